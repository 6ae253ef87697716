/** Errors of lead mode. None of them is thrown at the mirror: they are handed to `onError` and counted. */
import { WorkflowMirrorError } from '../base-error.js';

/** A definition's `predict` threw (or returned something that is not JSON) for a scheduled activity. */
export class PredictionError extends WorkflowMirrorError {
  constructor(
    readonly workflowId: string,
    readonly activity: string,
    readonly scheduledSeq: number,
    cause: unknown,
  ) {
    super(
      'PREDICTION_FAILED',
      `predict of activity "${activity}" (workflow "${workflowId}", scheduled at seq ${scheduledSeq}) failed: ${text(cause)}`,
      { cause },
    );
  }
}

/** A handler threw while running on a speculative branch; the speculation was skipped. */
export class SpeculationError extends WorkflowMirrorError {
  constructor(
    readonly workflowId: string,
    readonly activity: string,
    readonly scheduledSeq: number,
    cause: unknown,
  ) {
    super(
      'SPECULATION_FAILED',
      `the completed handler of "${activity}" threw on the speculative branch of "${workflowId}" (scheduled at seq ${scheduledSeq}): ${text(cause)}`,
      { cause },
    );
  }
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
