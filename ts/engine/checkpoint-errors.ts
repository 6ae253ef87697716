/**
 * Errors of mirror checkpoints that are about order and target rather than bytes (bytes that are
 * no valid checkpoint raise the serialization errors). Both extend {@link WorkflowMirrorError}.
 */
import { WorkflowMirrorError } from '../base-error.js';

/**
 * Checkpoints given or asked for in an order that cannot work: an incremental checkpoint from a
 * mirror that has taken no full one (nor was restored from one), a restore whose first checkpoint
 * is not full, or increments that are not numbered 1, 2, 3... after it.
 */
export class CheckpointOrderError extends WorkflowMirrorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CHECKPOINT_ORDER', message, options);
  }
}

/** A restore into fleets that already hold rows (of another mirror, or of a primary that ran). */
export class RestoreTargetError extends WorkflowMirrorError {
  constructor(message: string) {
    super('RESTORE_TARGET_NOT_FRESH', message);
  }
}
