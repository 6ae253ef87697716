/** The worker-thread mirror and the shared-memory ring it is fed through: the public part. */
export {
  RingCapacityError,
  RingClosedError,
  RingCorruptError,
  RingHandleError,
  RingRecordTooLargeError,
} from '../ring/errors.js';
export { EventRing, type RingRecord, type RingStats, ringRecordBytes } from '../ring/event-ring.js';
export { compareWithSharedMirror, type SharedCompareOptions, type SharedComparison } from './compare-shared.js';
export {
  CorruptShardMessageError,
  InvalidWorkerMirrorOptionsError,
  MirrorFeedError,
  MirrorWorkerDiedError,
  MirrorWorkerScriptMissingError,
  MirrorWorkerStartError,
  SharedMatrixError,
  SharedMatrixFullError,
  WorkerMirrorClosedError,
} from './errors.js';
export type { WorkerNonDeterminismFinding, WorkerUnappliedEvent, WorkflowModule } from './shard-protocol.js';
export { DEFAULT_MAX_ROWS, type SharedMatrixHandle, SharedStateMatrix } from './shared-state-matrix.js';
export {
  DEFAULT_CATCH_UP_CHUNK,
  DEFAULT_RING_BYTES,
  type WorkerDefinition,
  WorkerMirror,
  type WorkerMirrorOptions,
  type WorkerMirrorStats,
  type WorkerShardStats,
} from './worker-mirror.js';
