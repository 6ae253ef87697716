/**
 * Errors of the worker-thread mirror (`worker-mirror.ts` and what it uses). All extend
 * {@link WorkflowMirrorError}; `code` is stable.
 */
import { WorkflowMirrorError } from '../../base-error.js';

/** How a message names the shard it concerns (-1: all of them). */
function where(shard: number): string {
  return shard < 0 ? 'worker mirror' : `mirror shard ${shard}`;
}

/** Options of WorkerMirror.start that cannot work (shard count, ring size, rows, modules). */
export class InvalidWorkerMirrorOptionsError extends WorkflowMirrorError {
  constructor(message: string) {
    super('INVALID_WORKER_MIRROR_OPTIONS', message);
  }
}

/** The built worker script (`dist/ts/stream/worker/shard-worker.js`) was not found: run the TypeScript build. */
export class MirrorWorkerScriptMissingError extends WorkflowMirrorError {
  constructor(readonly searched: readonly string[]) {
    super(
      'MIRROR_WORKER_SCRIPT_MISSING',
      `mirror worker script not found (looked at ${searched.join(', ')}); build with tsc first`,
    );
  }
}

/**
 * A shard worker could not start: its workflow module did not load, an export is not a workflow
 * definition, or its definitions and the primary's fleets do not name the same workflow types.
 */
export class MirrorWorkerStartError extends WorkflowMirrorError {
  constructor(
    /** The shard, or -1 when the failure concerns every shard (the definitions do not match the fleets). */
    readonly shard: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('MIRROR_WORKER_START_FAILED', `${where(shard)}: ${message}`, options);
  }
}

/**
 * A shard worker died (exited, crashed, threw) while mirroring. Nothing is lost: every event is in
 * the log, and `WorkerMirror.restartShard(shard)` replays the shard's instances from it.
 */
export class MirrorWorkerDiedError extends WorkflowMirrorError {
  constructor(
    readonly shard: number,
    /** The worker's exit code, when it exited. */
    readonly exitCode: number | undefined,
    /** The highest log position the worker had applied (0 before any). */
    readonly appliedPosition: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('MIRROR_WORKER_DIED', `mirror shard ${shard} died: ${message}`, options);
  }
}

/** The WorkerMirror was closed; the call cannot be served. */
export class WorkerMirrorClosedError extends WorkflowMirrorError {
  constructor(operation: string) {
    super('WORKER_MIRROR_CLOSED', `${operation}: the worker mirror is closed`);
  }
}

/** A shared mirror matrix reached the rows it reserved (`maxRows`); rows past it are not published. */
export class SharedMatrixFullError extends WorkflowMirrorError {
  constructor(
    readonly workflowType: string,
    readonly maxRows: number,
  ) {
    super(
      'SHARED_MATRIX_FULL',
      `the shared mirror matrix of "${workflowType}" holds at most ${maxRows} rows (raise maxRows); later instances are mirrored but not published`,
    );
  }
}

/** A shared matrix handle or size that is not valid (bad stride, rows out of range, not a matrix's buffers). */
export class SharedMatrixError extends WorkflowMirrorError {
  constructor(message: string) {
    super('SHARED_MATRIX_INVALID', message);
  }
}

/** A ring record that is not a shard message (wrong kind, truncated, fragments out of order). */
export class CorruptShardMessageError extends WorkflowMirrorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CORRUPT_SHARD_MESSAGE', message, options);
  }
}

/** A shard could not be fed from the log (the log failed a read, or its ring was aborted under it). */
export class MirrorFeedError extends WorkflowMirrorError {
  constructor(
    /** The shard, or -1 when a batch could not be forwarded to any shard. */
    readonly shard: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('MIRROR_FEED_FAILED', `${where(shard)}: ${message}`, options);
  }
}
