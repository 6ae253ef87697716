/**
 * Public pieces of `ts/state`: schema -> column layout, the state matrix, the shared row index,
 * and the matrix's wire forms: whole snapshots, deltas since a mark, single-instance snapshots.
 */

export { changedFieldCount, checkDeltaShape, deltaShapeProblem, type MatrixDelta } from './delta.js';
export { applyDelta } from './delta-apply.js';
export { decodeDelta, encodeDelta } from './delta-codec.js';
export { DeltaBaseMismatchError, DeltaShapeError, RowsReleasedError } from './delta-errors.js';
export { DeltaTracker, type DeltaTrackerOptions, type TakeDeltaOptions } from './delta-tracker.js';
export { FieldOutOfRangeError, InvalidSeqError, LayoutError, MatrixCapacityError, RowOutOfRangeError } from './errors.js';
export {
  decodeInstanceSnapshot,
  encodeInstanceSnapshot,
  type InstanceSnapshotData,
  InstanceSnapshotWriter,
  type SchemaSource,
  type SnapshotCommand,
  type SnapshotStatus,
} from './instance-snapshot-codec.js';
export { type DecodedValue, type LayoutOptions, layoutFor, MAX_COMPILED_FIELDS, MAX_FIELDS, type StateLayout } from './layout.js';
export {
  type DecodedMatrixSnapshot,
  decodeMatrixSnapshot,
  encodeMatrixSnapshot,
  type MatrixSnapshotReadOptions,
  MatrixSnapshotWriter,
} from './matrix-snapshot-codec.js';
export type { FingerprintPolicy, FleetSchema } from './matrix-snapshot-layout.js';
export { type RowIdSource, SnapshotRowIds } from './matrix-snapshot-row-ids.js';
export { FREE_ROW_ID, RowIndex } from './row-index.js';
export { StateMatrix } from './state-matrix.js';
export { decodeStateVector, encodeStateVector, type StateVector } from './state-vector-codec.js';
export { stringHash } from './string-hash.js';
