/**
 * Turns "what a matrix holds now" into "what changed since the mark" without any help from the
 * code that writes the matrix: engines already record a row's seq with every write, so a row
 * whose seq moved is a row that may have changed, and nothing is added to the per-event path.
 *
 * The mark is a copy of the seqs (and, when diffing fields, of the values) of every row. Taking a
 * delta compares the seqs column with the copy (one linear pass over 8 bytes per row), diffs the
 * rows whose seq moved field by field on their BITS (two uint32 words per value: NaN payloads and
 * -0 vs +0 are changes, which `===` would miss or invent), lists new rows with their ids, and moves
 * the mark forward by copying just what changed.
 *
 * A write that does not advance the row's seq (matrix.set() from outside a handler) is not seen
 * until the row's seq next moves; `take({ allRows: true })` diffs every row instead.
 */

import type { MatrixDelta } from './delta.js';
import { DeltaBaseMismatchError, RowsReleasedError } from './delta-errors.js';
import type { FleetSchema } from './matrix-snapshot-layout.js';
import type { RowIdSource } from './matrix-snapshot-row-ids.js';
import type { StateMatrix } from './state-matrix.js';

/** Options of {@link DeltaTracker}. */
export interface DeltaTrackerOptions {
  /**
   * Diff changed rows field by field (default true). False keeps only the seqs at the mark (8 bytes
   * per row instead of a copy of the matrix) and sends every field of a changed row: the right
   * trade when the receiver also gets the whole instance (checkpoints), or memory is short.
   */
  readonly diffFields?: boolean;
}

/** Options of {@link DeltaTracker.take}. */
export interface TakeDeltaOptions {
  /** Diff every row, not only rows whose seq moved (finds writes that did not advance a seq). Needs `diffFields`. */
  readonly allRows?: boolean;
}

// The bits of the NaN a new row holds (StateMatrix.addRow fills with Number.NaN the same way).
const FRESH_BITS = new Uint32Array(new Float64Array(1).fill(Number.NaN).buffer);
const FRESH_LO = FRESH_BITS[0]!;
const FRESH_HI = FRESH_BITS[1]!;

/** Tracks one matrix's changes since a mark. The mark starts empty: the first delta holds every row. */
export class DeltaTracker {
  readonly #matrix: StateMatrix;
  readonly #rowIds: RowIdSource;
  readonly #schema: FleetSchema;
  readonly #diffFields: boolean;
  /** Rows at the mark. */
  #rowCount = 0;
  /** Seqs at the mark (capacity >= #rowCount). */
  #seqs: Float64Array = new Float64Array(0);
  /** Values at the mark, `stride` per row (diffFields only). */
  #values: Float64Array = new Float64Array(0);
  /** The row ids' count of reassigned rows at the mark (0 before any mark). */
  #reassignedAtMark = 0;
  /** The columns of the delta being built, kept between takes. */
  readonly #scratch = new DeltaScratch();

  /**
   * @param matrix the matrix to track.
   * @param rowIds names its rows (the fleet's RowIndex): the ids of new rows go into deltas.
   * @param schema the matrix's workflow type, version, fingerprint and layout.
   */
  constructor(matrix: StateMatrix, rowIds: RowIdSource, schema: FleetSchema, options: DeltaTrackerOptions = {}) {
    this.#matrix = matrix;
    this.#rowIds = rowIds;
    this.#schema = schema;
    this.#diffFields = options.diffFields ?? true;
  }

  /** How often rows changed hands (evictions, reuses) since the mark: a take now throws unless 0. */
  get reassignedSinceMark(): number {
    return (this.#rowIds.reassignedCount ?? 0) - this.#reassignedAtMark;
  }

  /** Rows at the mark. */
  get markedRows(): number {
    return this.#rowCount;
  }

  /** Sets the mark to the matrix as it is now (copies its seqs and, when diffing, its values). */
  mark(): void {
    const matrix = this.#matrix;
    const rows = matrix.rowCount;
    const stride = matrix.layout.stride;
    this.#seqs = new Float64Array(rows);
    // Float64Array.set copies bytes, so NaN payloads survive into the mark.
    this.#seqs.set(matrix.seqs.subarray(0, rows));
    if (this.#diffFields) {
      this.#values = new Float64Array(rows * stride);
      this.#values.set(matrix.data.subarray(0, rows * stride));
    }
    this.#rowCount = rows;
    this.#reassignedAtMark = this.#rowIds.reassignedCount ?? 0;
  }

  /**
   * The delta from the mark to now, after which the mark is now.
   * @throws DeltaBaseMismatchError when the matrix has fewer rows than at the mark (it was reloaded).
   * @throws RowsReleasedError when rows changed hands since the mark (instances evicted, rows reused); the mark stays.
   */
  take(options: TakeDeltaOptions = {}): MatrixDelta {
    const reassigned = this.reassignedSinceMark;
    if (reassigned !== 0) throw new RowsReleasedError(reassigned);
    const matrix = this.#matrix;
    const rowCount = matrix.rowCount;
    const before = this.#rowCount;
    if (rowCount < before) {
      throw new DeltaBaseMismatchError(`the matrix has ${rowCount} rows, fewer than the ${before} at the mark: was it reloaded?`);
    }
    if (this.#rowIds.size < rowCount) {
      throw new DeltaBaseMismatchError(`the row ids name ${this.#rowIds.size} rows, the matrix has ${rowCount}`);
    }
    const diff = this.#diffFields;
    const allRows = diff && options.allRows === true;
    const { stride, fieldCount } = matrix.layout;
    this.#ensureMarkCapacity(rowCount, stride);
    const now = matrix.data;
    const marked = this.#values;
    const nowWords = words(now);
    const markedWords = words(marked);
    const seqs = matrix.seqs;
    const markedSeqs = this.#seqs;
    const out = this.#scratch;
    out.reset();

    // One pass: a row is looked at when its seq moved (or always, under allRows / for new rows
    // when diffing); its changed fields go straight into the scratch columns and into the mark.
    for (let r = 0; r < rowCount; r++) {
      const isNew = r >= before;
      const seq = seqs[r]!;
      const was = isNew ? 0 : markedSeqs[r]!;
      // Seqs are safe integers (StateMatrix checks), so only the sign of a zero needs a second look.
      const seqMoved = seq !== was || (seq === 0 && 1 / seq !== 1 / was);
      if (!seqMoved && !(diff && (allRows || isNew))) continue;
      out.reserveFields(fieldCount);
      const base = r * stride;
      const k = !diff
        ? copyRow(nowWords, base, fieldCount, out.fields, out.valueWords, out.fieldCount)
        : isNew
          ? diffFresh(now, nowWords, base, fieldCount, out.fields, out.valueWords, out.fieldCount)
          : diffMarked(now, marked, nowWords, markedWords, base, fieldCount, out.fields, out.valueWords, out.fieldCount);
      if (!seqMoved && k === out.fieldCount) continue;
      out.addRow(r, was, seq, k);
      markedSeqs[r] = seq;
    }
    // New rows join the mark whole (listed or not: unlisted ones are still fresh), seqs likewise.
    if (diff) marked.set(now.subarray(before * stride, rowCount * stride), before * stride);
    markedSeqs.set(seqs.subarray(before, rowCount), before);
    this.#rowCount = rowCount;

    const newRowIds: string[] = [];
    for (let r = before; r < rowCount; r++) newRowIds.push(this.#rowIds.idOf(r));
    return {
      workflowType: this.#schema.workflowType,
      version: this.#schema.version,
      fingerprint: this.#schema.fingerprint,
      rowCountBefore: before,
      rowCount,
      newRowIds,
      ...out.columns(),
    };
  }

  /** Grows the mark's arrays (doubling, so a growing fleet costs O(n) copying in all) to hold `rows`. */
  #ensureMarkCapacity(rows: number, stride: number): void {
    if (this.#seqs.length >= rows) return;
    const capacity = Math.max(rows, this.#seqs.length * 2, 64);
    const seqs = new Float64Array(capacity);
    seqs.set(this.#seqs.subarray(0, this.#rowCount));
    this.#seqs = seqs;
    if (this.#diffFields) {
      const values = new Float64Array(capacity * stride);
      values.set(this.#values.subarray(0, this.#rowCount * stride));
      this.#values = values;
    }
  }
}

/** The uint32 words of a float64 array (two per value, low word first on little-endian platforms). */
function words(array: Float64Array): Uint32Array {
  return new Uint32Array(array.buffer, array.byteOffset, array.length * 2);
}

// The three row scans, as separate small functions so that each stays monomorphic and tight.
// Each appends the row's listed fields at `k` (field index, value as two words) and returns the new end.

/** Every field of the row (diffFields off). */
function copyRow(
  nowWords: Uint32Array,
  base: number,
  fieldCount: number,
  fields: Uint16Array,
  valueWords: Uint32Array,
  k: number,
): number {
  for (let j = 0; j < fieldCount; j++) {
    const i = base + j;
    fields[k] = j;
    valueWords[2 * k] = nowWords[2 * i]!;
    valueWords[2 * k + 1] = nowWords[2 * i + 1]!;
    k++;
  }
  return k;
}

/** The fields of a new row whose bits are not a fresh row's NaN. */
function diffFresh(
  now: Float64Array,
  nowWords: Uint32Array,
  base: number,
  fieldCount: number,
  fields: Uint16Array,
  valueWords: Uint32Array,
  k: number,
): number {
  for (let j = 0; j < fieldCount; j++) {
    const i = base + j;
    if (Number.isNaN(now[i]!) && nowWords[2 * i] === FRESH_LO && nowWords[2 * i + 1] === FRESH_HI) continue;
    fields[k] = j;
    valueWords[2 * k] = nowWords[2 * i]!;
    valueWords[2 * k + 1] = nowWords[2 * i + 1]!;
    k++;
  }
  return k;
}

/** The fields whose bits differ from the mark; the mark takes the new bits. */
function diffMarked(
  now: Float64Array,
  marked: Float64Array,
  nowWords: Uint32Array,
  markedWords: Uint32Array,
  base: number,
  fieldCount: number,
  fields: Uint16Array,
  valueWords: Uint32Array,
  k: number,
): number {
  for (let j = 0; j < fieldCount; j++) {
    const i = base + j;
    const a = now[i]!;
    const b = marked[i]!;
    // Equal non-zero doubles have equal bits; equal zeros differ by sign only; unequal values are
    // a change unless both are NaN with the very same bits. The float compare settles almost all.
    if (a === b) {
      if (a !== 0 || 1 / a === 1 / b) continue;
    } else if (
      Number.isNaN(a) &&
      Number.isNaN(b) &&
      nowWords[2 * i] === markedWords[2 * i] &&
      nowWords[2 * i + 1] === markedWords[2 * i + 1]
    ) {
      continue;
    }
    const lo = nowWords[2 * i]!;
    const hi = nowWords[2 * i + 1]!;
    markedWords[2 * i] = lo;
    markedWords[2 * i + 1] = hi;
    fields[k] = j;
    valueWords[2 * k] = lo;
    valueWords[2 * k + 1] = hi;
    k++;
  }
  return k;
}

/**
 * Growable columns of a delta under construction. Kept by the tracker, so that taking a delta
 * writes into memory already touched (on a VM, first touches of fresh pages cost more than the
 * scan); the delta returned gets exact-size copies.
 */
class DeltaScratch {
  rows: Uint32Array = new Uint32Array(256);
  fromSeqs: Float64Array = new Float64Array(256);
  toSeqs: Float64Array = new Float64Array(256);
  fieldEnds: Uint32Array = new Uint32Array(256);
  fields: Uint16Array = new Uint16Array(1024);
  /** Values as uint32 word pairs: copied as words, so no float store can touch a NaN payload. */
  valueWords: Uint32Array = new Uint32Array(2048);
  rowCount = 0;
  fieldCount = 0;

  reset(): void {
    this.rowCount = 0;
    this.fieldCount = 0;
  }

  /** Room for `more` fields after the ones written (call before writing a row's fields). */
  reserveFields(more: number): void {
    const needed = this.fieldCount + more;
    if (needed <= this.fields.length) return;
    const capacity = Math.max(needed, this.fields.length * 2);
    this.fields = grown(this.fields, new Uint16Array(capacity));
    this.valueWords = grown(this.valueWords, new Uint32Array(capacity * 2));
  }

  addRow(row: number, fromSeq: number, toSeq: number, fieldEnd: number): void {
    const n = this.rowCount;
    if (n === this.rows.length) {
      const capacity = n * 2;
      this.rows = grown(this.rows, new Uint32Array(capacity));
      this.fromSeqs = grown(this.fromSeqs, new Float64Array(capacity));
      this.toSeqs = grown(this.toSeqs, new Float64Array(capacity));
      this.fieldEnds = grown(this.fieldEnds, new Uint32Array(capacity));
    }
    this.rows[n] = row;
    this.fromSeqs[n] = fromSeq;
    this.toSeqs[n] = toSeq;
    this.fieldEnds[n] = fieldEnd;
    this.fieldCount = fieldEnd;
    this.rowCount = n + 1;
  }

  /** Exact-size copies of the columns. */
  columns(): Pick<MatrixDelta, 'rows' | 'fromSeqs' | 'toSeqs' | 'fieldEnds' | 'fields' | 'values'> {
    const n = this.rowCount;
    const m = this.fieldCount;
    return {
      rows: this.rows.slice(0, n),
      fromSeqs: this.fromSeqs.slice(0, n),
      toSeqs: this.toSeqs.slice(0, n),
      fieldEnds: this.fieldEnds.slice(0, n),
      fields: this.fields.slice(0, m),
      // A byte copy of the words: the values bit for bit.
      values: new Float64Array(this.valueWords.slice(0, 2 * m).buffer),
    };
  }
}

function grown<T extends Uint16Array | Uint32Array | Float64Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}
