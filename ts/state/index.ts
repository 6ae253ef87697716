/** Public pieces of `ts/state`: schema -> column layout, the state matrix, the shared row index. */
export { FieldOutOfRangeError, InvalidSeqError, LayoutError, MatrixCapacityError, RowOutOfRangeError } from './errors.js';
export { type DecodedValue, type LayoutOptions, layoutFor, MAX_COMPILED_FIELDS, MAX_FIELDS, type StateLayout } from './layout.js';
export { RowIndex } from './row-index.js';
export { StateMatrix } from './state-matrix.js';
export { stringHash } from './string-hash.js';
