/**
 * Errors of matrix deltas in memory. (A delta read from bytes that do not hold a valid one is a
 * serialization error, CorruptBufferError; these are about delta objects and their targets.)
 * Both extend {@link WorkflowMirrorError}; `code` is stable.
 */
import { WorkflowMirrorError } from '../base-error.js';

/** A delta object whose parts disagree (lengths, order, ranges): it describes no change at all. */
export class DeltaShapeError extends WorkflowMirrorError {
  constructor(problem: string) {
    super('INVALID_DELTA', `invalid matrix delta: ${problem}`);
  }
}

/**
 * A delta and a matrix are not at the same base. From `applyDelta`: the target is not in the state
 * the delta was taken from (another row count, a row whose seq is not the delta's `fromSeq`
 * because a delta was lost, repeated or applied out of order, a new row's id already in the row
 * index); nothing was written. From a DeltaTracker: its matrix lost rows since the mark (reloaded).
 */
export class DeltaBaseMismatchError extends WorkflowMirrorError {
  /** The row that differs, when one row is to blame. */
  readonly row: number | undefined;

  constructor(message: string, row?: number) {
    super('DELTA_BASE_MISMATCH', message);
    this.row = row;
  }
}

/**
 * From a DeltaTracker: rows of the tracked fleet changed hands (instances evicted, their rows
 * given to new instances) since the mark. A delta names only the rows added, so it cannot say that a row now belongs to another
 * instance or to none: send a full snapshot, then mark again.
 */
export class RowsReleasedError extends WorkflowMirrorError {
  constructor(readonly reassigned: number) {
    super(
      'DELTA_ROWS_RELEASED',
      `rows changed hands ${reassigned} time(s) since the mark (instances evicted, rows reused): a delta cannot describe that; send a full snapshot and mark again`,
    );
  }
}
