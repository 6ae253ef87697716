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

/** Promotion refused before anything was done: the mirror found non-determinism in instances it would take over. */
export class PromotionRefusedError extends WorkflowMirrorError {
  /** The instances whose replay disagreed with their history. */
  readonly workflowIds: readonly string[];

  constructor(workflowIds: readonly string[]) {
    const shown = workflowIds
      .slice(0, 5)
      .map((id) => JSON.stringify(id))
      .join(', ');
    super(
      'PROMOTION_REFUSED',
      `refusing to promote: the mirror found non-determinism in ${workflowIds.length} instance(s) (${shown}${workflowIds.length > 5 ? ', ...' : ''}); its state may not be the history's. Pass force: true to promote anyway`,
    );
    this.workflowIds = workflowIds;
  }
}

/** Another promotion claimed the log first; this one did nothing. */
export class PromotionConflictError extends WorkflowMirrorError {
  constructor(expectedEpoch: number, actualEpoch: number, cause: unknown) {
    super(
      'PROMOTION_CONFLICT',
      `another promotion won: the log is at epoch ${actualEpoch}, this one expected ${expectedEpoch}; nothing was changed`,
      { cause },
    );
  }
}

/**
 * The log failed after this promotion claimed it: the old primary is fenced, no new primary runs
 * yet. Retry with `claimedEpoch` set to {@link epoch}: the claim is kept, the rest is redone.
 */
export class PromotionIncompleteError extends WorkflowMirrorError {
  readonly epoch: number;

  constructor(epoch: number, cause: unknown) {
    super(
      'PROMOTION_INCOMPLETE',
      `promotion claimed epoch ${epoch} but could not finish (${cause instanceof Error ? cause.message : String(cause)}); retry with claimedEpoch: ${epoch}`,
      { cause },
    );
    this.epoch = epoch;
  }
}
