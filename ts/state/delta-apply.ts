/**
 * Applies a matrix delta to a target matrix (a standby mirror, a resident copy, a restored
 * checkpoint). All or nothing: every check runs before the first write, so a delta that does not
 * fit leaves the matrix and its row index exactly as they were.
 */
import { SchemaMismatchError } from '../serialization/errors.js';
import { checkDeltaShape, type MatrixDelta } from './delta.js';
import { DeltaBaseMismatchError } from './delta-errors.js';
import type { FleetSchema } from './matrix-snapshot-layout.js';
import { FREE_ROW_ID, type RowIndex } from './row-index.js';
import type { StateMatrix } from './state-matrix.js';

/**
 * Applies `delta` to `matrix`, whose rows `rowIndex` names and whose definition is `schema`:
 * adds the new rows (ids into `rowIndex`, fresh NaN rows into `matrix`), then writes each changed
 * field's bits and each changed row's seq.
 *
 * `rowIndex` may be shared with another matrix (a Fleet's primary and mirror share one): a new
 * row's id may then be in it already, at that same row. The other matrix does not grow here; give
 * it the rows with `ensureRows(rowIndex.size)`.
 *
 * @throws SchemaMismatchError when the delta is another workflow type's, another fingerprint's, or
 *   `matrix` does not have `schema`'s layout.
 * @throws DeltaShapeError when the delta's parts disagree (see `deltaShapeProblem`).
 * @throws DeltaBaseMismatchError when the target is not at the delta's base: `matrix.rowCount` is
 *   not `rowCountBefore`, `rowIndex` does not name exactly those rows, a new id is already another
 *   row's (or repeats), or a changed row's current seq is not its `fromSeq`.
 * @throws MatrixCapacityError when the new rows cannot be allocated (nothing written either).
 */
export function applyDelta(matrix: StateMatrix, rowIndex: RowIndex, delta: MatrixDelta, schema: FleetSchema): void {
  if (delta.workflowType !== schema.workflowType) {
    throw new SchemaMismatchError(
      `a delta of workflow "${delta.workflowType}" cannot apply to a "${schema.workflowType}" matrix`,
    );
  }
  if (delta.fingerprint !== schema.fingerprint) {
    throw new SchemaMismatchError(
      `the delta was taken under fingerprint ${delta.fingerprint}, the target's code has ${schema.fingerprint}`,
    );
  }
  const layout = matrix.layout;
  if (layout.stride !== schema.layout.stride || layout.fieldCount !== schema.layout.fieldCount) {
    throw new SchemaMismatchError(`the target matrix's layout is not the layout of workflow "${schema.workflowType}"`);
  }
  checkDeltaShape(delta, layout.fieldCount);
  checkBase(matrix, rowIndex, delta);

  // Writes: nothing below can fail once ensureRows has allocated.
  matrix.ensureRows(delta.rowCount);
  // New rows go at the end, where the delta puts them, even if the index has free rows.
  for (const id of delta.newRowIds) rowIndex.appendRow(id);
  const stride = layout.stride;
  const data = matrix.data;
  const target = new Uint32Array(data.buffer, data.byteOffset, data.length * 2);
  const source = new Uint32Array(delta.values.buffer, delta.values.byteOffset, delta.values.length * 2);
  let k = 0;
  for (let i = 0; i < delta.rows.length; i++) {
    const r = delta.rows[i]!;
    const end = delta.fieldEnds[i]!;
    // Words, not float64 assignments: a float store may quiet a signalling NaN on some platforms.
    for (; k < end; k++) {
      const at = 2 * (r * stride + delta.fields[k]!);
      target[at] = source[2 * k]!;
      target[at + 1] = source[2 * k + 1]!;
    }
    matrix.setSeq(r, delta.toSeqs[i]!);
  }
}

/** DeltaBaseMismatchError unless `matrix` and `rowIndex` are in the state `delta` was taken from. */
function checkBase(matrix: StateMatrix, rowIndex: RowIndex, delta: MatrixDelta): void {
  const before = delta.rowCountBefore;
  if (matrix.rowCount !== before) {
    throw mismatch(`the delta was taken from ${before} rows, the matrix has ${matrix.rowCount}`);
  }
  if (rowIndex.size < before) {
    throw mismatch(`the row index names ${rowIndex.size} rows, the matrix has ${before}`);
  }
  // A shared index may already know new rows (the other matrix of its fleet added them): at the same rows only.
  const seen = new Set<string>();
  for (let i = 0; i < delta.newRowIds.length; i++) {
    const id = delta.newRowIds[i]!;
    const row = before + i;
    if (id === FREE_ROW_ID) throw mismatch(`new row ${row} has the empty id, which names a free row, not an instance`, row);
    if (seen.has(id)) throw mismatch(`new row id "${id}" appears twice`, row);
    seen.add(id);
    const known = rowIndex.get(id);
    if (known === undefined ? row < rowIndex.size : known !== row) {
      throw mismatch(
        known === undefined
          ? `new row ${row} ("${id}") is another instance's row in the row index`
          : `new row id "${id}" is already row ${known}`,
        row,
      );
    }
  }
  const seqs = matrix.seqs;
  for (let i = 0; i < delta.rows.length; i++) {
    const r = delta.rows[i]!;
    const current = r < before ? seqs[r]! : 0;
    if (current !== delta.fromSeqs[i]) {
      throw mismatch(`row ${r} is at seq ${current}, the delta goes from seq ${delta.fromSeqs[i]}`, r);
    }
  }
}

function mismatch(problem: string, row?: number): DeltaBaseMismatchError {
  return new DeltaBaseMismatchError(`the delta does not apply to this matrix: ${problem}; nothing was written`, row);
}
