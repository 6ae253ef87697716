/**
 * A matrix delta: what changed in a fleet's state matrix between a mark and now, only the
 * changed fields of changed rows (DESIGN.md section 7: a resident matrix receives deltas, not
 * whole matrices). Columnar like its wire form (schemas/delta.fbs), so encoding is block copies.
 *
 * A delta applies to exactly one state of a matrix: the one at the mark. `rowCountBefore` and
 * `fromSeqs` say which, and `applyDelta` refuses any other (a lost or repeated delta must not
 * silently corrupt the target).
 */
import { DeltaShapeError } from './delta-errors.js';

/** What changed in one matrix since a mark. Treat every array as read-only. */
export interface MatrixDelta {
  /** The definition name (workflow type) of the matrix. */
  readonly workflowType: string;
  /** The definition version. */
  readonly version: number;
  /** Fingerprint of the code whose matrix this is; `applyDelta` requires the target's to be the same. */
  readonly fingerprint: string;
  /** Rows at the mark; rows `rowCountBefore .. rowCount - 1` are new. */
  readonly rowCountBefore: number;
  /** Rows now. */
  readonly rowCount: number;
  /** The ids of the new rows, in row order (`rowCount - rowCountBefore` of them). */
  readonly newRowIds: readonly string[];
  /** Changed rows, increasing. A new row is listed when its seq or any field differs from a fresh row's. */
  readonly rows: Uint32Array;
  /** Per changed row: its seq at the mark (0 for a new row). */
  readonly fromSeqs: Float64Array;
  /** Per changed row: its seq now. */
  readonly toSeqs: Float64Array;
  /** Per changed row: the end (exclusive) of its entries in `fields` / `values`. */
  readonly fieldEnds: Uint32Array;
  /** Changed field indices, increasing within a row. */
  readonly fields: Uint16Array;
  /** The new value of each changed field, bit for bit (NaN payloads and -0 included). */
  readonly values: Float64Array;
}

/** Changed fields in the delta (the length of `fields`). */
export function changedFieldCount(delta: MatrixDelta): number {
  return delta.fields.length;
}

/**
 * Checks the internal consistency of a delta (not whether it fits a target; `applyDelta` does
 * that): counts and lengths agree, rows increase and lie below `rowCount`, field ends do not
 * decrease and end at `fields.length`, fields increase within a row and lie below `fieldCount`
 * (when given), seqs are non-negative safe integers and a new row's `fromSeq` is 0.
 * @returns a description of the first problem, or undefined when there is none.
 */
export function deltaShapeProblem(delta: MatrixDelta, fieldCount?: number): string | undefined {
  const { rowCountBefore, rowCount, rows, fromSeqs, toSeqs, fieldEnds, fields, values } = delta;
  if (!isCount(rowCountBefore) || !isCount(rowCount))
    return `row counts ${rowCountBefore} -> ${rowCount} are not unsigned 32-bit integers`;
  if (rowCount < rowCountBefore)
    return `row_count ${rowCount} is below row_count_before ${rowCountBefore}: matrices never shrink`;
  if (delta.newRowIds.length !== rowCount - rowCountBefore) {
    return `${delta.newRowIds.length} new row ids for ${rowCount - rowCountBefore} new rows`;
  }
  const n = rows.length;
  if (fromSeqs.length !== n || toSeqs.length !== n || fieldEnds.length !== n) {
    return `rows (${n}), from_seqs (${fromSeqs.length}), to_seqs (${toSeqs.length}) and field_ends (${fieldEnds.length}) differ in length`;
  }
  if (values.length !== fields.length) return `${fields.length} fields but ${values.length} values`;
  let previousRow = -1;
  let start = 0;
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    if (row <= previousRow) return `changed rows are not increasing (${row} after ${previousRow})`;
    if (row >= rowCount) return `changed row ${row} is not below row_count ${rowCount}`;
    previousRow = row;
    const from = fromSeqs[i]!;
    const to = toSeqs[i]!;
    if (!isSeq(from) || !isSeq(to)) return `row ${row}: seqs ${from} -> ${to} are not non-negative safe integers`;
    if (row >= rowCountBefore && from !== 0) return `new row ${row} has from_seq ${from}, not 0`;
    const end = fieldEnds[i]!;
    if (end < start || end > fields.length) return `row ${row}: field end ${end} is outside ${start}..${fields.length}`;
    let previousField = -1;
    for (let k = start; k < end; k++) {
      const field = fields[k]!;
      if (field <= previousField) return `row ${row}: changed fields are not increasing (${field} after ${previousField})`;
      if (fieldCount !== undefined && field >= fieldCount)
        return `row ${row}: field ${field} is not below the layout's ${fieldCount} fields`;
      previousField = field;
    }
    start = end;
  }
  if (start !== fields.length) return `field ends stop at ${start} of ${fields.length} fields`;
  return undefined;
}

/** Throws DeltaShapeError when {@link deltaShapeProblem} finds one. */
export function checkDeltaShape(delta: MatrixDelta, fieldCount?: number): void {
  const problem = deltaShapeProblem(delta, fieldCount);
  if (problem !== undefined) throw new DeltaShapeError(problem);
}

function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;
}

function isSeq(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
