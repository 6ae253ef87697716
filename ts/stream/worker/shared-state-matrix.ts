/**
 * A fleet's MIRROR state matrix in shared memory: written by the shard workers, read in place by
 * the main thread's comparator, row for row aligned with the primary's StateMatrix (same rows,
 * same stride, same NaN-for-missing and zero padding, same seq per row).
 *
 * Why not a `MatrixStorage` handed to a StateMatrix: a StateMatrix grows by allocating a new
 * array, copying its rows and releasing the old one, and keeps its seqs on the heap. With writers
 * on other threads that copy loses any row written between the copy's read and its write, and the
 * seqs would not be shared at all. Here the memory never moves instead: values, seqs and row
 * versions are three growable SharedArrayBuffers that grow in place, so no array is ever released
 * and every thread's length-tracking views see the current size without a message.
 *
 * Who does what:
 * - The main thread alone grows the matrix ({@link ensureRows}), when its Fleet assigns a row, and
 *   before the record naming that row is written to a ring. New rows are initialised there (fields
 *   NaN, padding 0, seq 0) while no worker can know them yet.
 * - Each row has ONE writer: the worker of the shard its instance hashes to ({@link writeRow}).
 * - Readers use the row's version as a seqlock: odd while a write is in progress; a read is
 *   consistent when the version was even and unchanged around it ({@link readRow}, and
 *   `compareWithSharedMirror` for whole ranges compared by a backend in place).
 */
import type { StateLayout } from '../../state/layout.js';
import { growableSharedBuffer, growSharedBuffer, isGrowable, maxByteLengthOf } from '../ring/shared-memory.js';
import { SharedMatrixError, SharedMatrixFullError } from './errors.js';

/** Default rows reserved per fleet (address space only; memory is committed as rows are added). */
export const DEFAULT_MAX_ROWS = 4_194_304;
const INITIAL_ROWS = 1024;
const ROW_COUNT = 0;
/** A write takes well under a microsecond; a row still mid-write after this many tries has no live writer. */
const MAX_READ_ATTEMPTS = 10_000_000;

/** What crosses to a worker (structured clone keeps the SharedArrayBuffers shared). */
export interface SharedMatrixHandle {
  readonly workflowType: string;
  readonly stride: number;
  readonly fieldCount: number;
  readonly maxRows: number;
  /** Float64 values, `stride` per row, row-major. */
  readonly values: SharedArrayBuffer;
  /** One Float64 seq per row. */
  readonly seqs: SharedArrayBuffer;
  /** One Int32 version per row (the seqlock). */
  readonly versions: SharedArrayBuffer;
  /** Int32 slots: [0] rows in use. */
  readonly header: SharedArrayBuffer;
}

/** Column shape of a matrix: what a StateLayout has. */
export type MatrixShape = Pick<StateLayout, 'stride' | 'fieldCount'>;

export class SharedStateMatrix {
  readonly handle: SharedMatrixHandle;
  readonly workflowType: string;
  readonly stride: number;
  readonly fieldCount: number;
  readonly maxRows: number;
  readonly #data: Float64Array;
  readonly #seqs: Float64Array;
  readonly #versions: Int32Array;
  readonly #header: Int32Array;

  private constructor(handle: SharedMatrixHandle) {
    this.handle = handle;
    this.workflowType = handle.workflowType;
    this.stride = handle.stride;
    this.fieldCount = handle.fieldCount;
    this.maxRows = handle.maxRows;
    // No length given: the views track the buffers as they grow.
    this.#data = new Float64Array(handle.values);
    this.#seqs = new Float64Array(handle.seqs);
    this.#versions = new Int32Array(handle.versions);
    this.#header = new Int32Array(handle.header);
  }

  /**
   * A new, empty shared matrix for `shape`, reserving address space for `maxRows` rows.
   * @throws SharedMatrixError for a bad shape or row count.
   */
  static create(workflowType: string, shape: MatrixShape, maxRows = DEFAULT_MAX_ROWS): SharedStateMatrix {
    const { stride, fieldCount } = shape;
    if (
      !Number.isSafeInteger(stride) ||
      stride < 1 ||
      !Number.isSafeInteger(fieldCount) ||
      fieldCount < 1 ||
      fieldCount > stride
    ) {
      throw new SharedMatrixError(`shared matrix: bad shape (stride ${String(stride)}, fieldCount ${String(fieldCount)})`);
    }
    if (!Number.isSafeInteger(maxRows) || maxRows < 1 || maxRows * stride * 8 > Number.MAX_SAFE_INTEGER) {
      throw new SharedMatrixError(`shared matrix: maxRows must be a positive integer, got ${String(maxRows)}`);
    }
    const rows = Math.min(INITIAL_ROWS, maxRows);
    let handle: SharedMatrixHandle;
    try {
      handle = {
        workflowType,
        stride,
        fieldCount,
        maxRows,
        values: growableSharedBuffer(rows * stride * 8, maxRows * stride * 8),
        seqs: growableSharedBuffer(rows * 8, maxRows * 8),
        versions: growableSharedBuffer(rows * 4, maxRows * 4),
        header: new SharedArrayBuffer(16),
      };
    } catch (cause) {
      throw new SharedMatrixError(`shared matrix: cannot reserve ${maxRows} rows of ${stride} values: ${String(cause)}`);
    }
    return new SharedStateMatrix(handle);
  }

  /**
   * The matrix behind another thread's handle.
   * @throws SharedMatrixError when the handle's buffers do not fit its shape.
   */
  static attach(handle: SharedMatrixHandle): SharedStateMatrix {
    const { stride, maxRows } = handle;
    const ok =
      handle.values instanceof SharedArrayBuffer &&
      handle.seqs instanceof SharedArrayBuffer &&
      handle.versions instanceof SharedArrayBuffer &&
      handle.header instanceof SharedArrayBuffer &&
      isGrowable(handle.values) &&
      maxByteLengthOf(handle.values) === maxRows * stride * 8 &&
      maxByteLengthOf(handle.seqs) === maxRows * 8 &&
      maxByteLengthOf(handle.versions) === maxRows * 4;
    if (!ok)
      throw new SharedMatrixError(`shared matrix "${String(handle.workflowType)}": the handle's buffers do not match its shape`);
    return new SharedStateMatrix(handle);
  }

  /** Rows in use (`0 .. rowCount - 1`), as the main thread last published. */
  get rowCount(): number {
    return Atomics.load(this.#header, ROW_COUNT);
  }

  /** Rows the memory holds now. */
  get capacity(): number {
    return this.#seqs.length;
  }

  /**
   * The values, `capacity * stride`, row-major, read in place by comparators. The view tracks the
   * shared buffer: it is never replaced, and rows past {@link rowCount} are unspecified.
   */
  get data(): Float64Array {
    return this.#data;
  }

  /** The per-row seqs (same caveats as {@link data}); write through {@link writeRow}. */
  get seqs(): Float64Array {
    return this.#seqs;
  }

  /** The per-row versions (the seqlock; odd while the row is being written). */
  get versions(): Int32Array {
    return this.#versions;
  }

  /**
   * Adds rows until there are at least `rows` (fields NaN, padding 0, seq 0), growing the shared
   * buffers in place. MAIN THREAD ONLY: the one thread that grows the matrix.
   * @throws SharedMatrixFullError past `maxRows`.
   */
  ensureRows(rows: number): void {
    const current = this.rowCount;
    if (rows <= current) return;
    if (rows > this.maxRows) throw new SharedMatrixFullError(this.workflowType, this.maxRows);
    if (rows > this.capacity) {
      let capacity = Math.max(this.capacity, 4);
      while (capacity < rows) capacity *= 2;
      capacity = Math.min(capacity, this.maxRows);
      growSharedBuffer(this.handle.values, capacity * this.stride * 8);
      growSharedBuffer(this.handle.seqs, capacity * 8);
      growSharedBuffer(this.handle.versions, capacity * 4);
    }
    const data = this.#data;
    for (let r = current; r < rows; r++) {
      const start = r * this.stride;
      // Fresh bytes are zero (padding and seq are right already); rows never shrink, so no row
      // past rowCount was ever written by a worker.
      data.fill(Number.NaN, start, start + this.fieldCount);
    }
    Atomics.store(this.#header, ROW_COUNT, rows);
  }

  /**
   * Writes row `r` from `source[sourceOffset .. sourceOffset + stride)` and its seq, inside the
   * row's seqlock. Only the one writer of the row may call it.
   */
  writeRow(r: number, source: Float64Array, sourceOffset: number, seq: number): void {
    const versions = this.#versions;
    // Odd while writing. Computed rather than incremented, so that a row left odd by a writer that
    // died mid-write becomes consistent again under the shard's next worker.
    const writing = (Atomics.load(versions, r) + 1) | 1;
    Atomics.store(versions, r, writing);
    // A plain loop: a row is a dozen values, and subarray() + set() made a view object per call.
    const data = this.#data;
    const stride = this.stride;
    const base = r * stride;
    for (let i = 0; i < stride; i++) data[base + i] = source[sourceOffset + i]!;
    this.#seqs[r] = seq;
    Atomics.store(versions, r, writing + 1);
  }

  /** The row's seq (a plain read: may be mid-write; see {@link readRow} for a consistent one). */
  seqOf(r: number): number {
    return this.#seqs[r]!;
  }

  /**
   * Copies row `r` into `out` (`stride` values) as one consistent state, retrying while its writer
   * is mid-write; returns the seq that state belongs to.
   * @throws SharedMatrixError when the row stays mid-write (its writer died during the write; the
   *   shard's restarted worker rewrites it).
   */
  readRow(r: number, out: Float64Array): number {
    const versions = this.#versions;
    const start = r * this.stride;
    for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
      const before = Atomics.load(versions, r);
      if ((before & 1) === 0) {
        out.set(this.#data.subarray(start, start + this.stride));
        const seq = this.#seqs[r]!;
        if (Atomics.load(versions, r) === before) return seq;
      }
    }
    throw new SharedMatrixError(`shared matrix "${this.workflowType}": row ${r} stays mid-write (its writer died?)`);
  }
}
