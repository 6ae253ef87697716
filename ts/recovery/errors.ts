/** The errors `ts/recovery` throws or reports on purpose. */
import { WorkflowMirrorError } from '../base-error.js';

/** A heartbeat could not be written to the log. */
export class HeartbeatFailedError extends WorkflowMirrorError {
  constructor(owner: string, cause: unknown) {
    super(
      'HEARTBEAT_FAILED',
      `heartbeat of ${JSON.stringify(owner)} was not written: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}
