/**
 * The state vectors of a fleet in one typed array (DESIGN.md sections 2 and 6): row-major, one
 * row of `layout.stride` float64 values per instance, NaN meaning "missing", padding columns 0.
 * Row-major because one instance's update, delta and serialization are then contiguous, and the
 * deviation kernels read it faster than a column-major matrix.
 */
import { HEAP_STORAGE, type MatrixStorage } from '../compare/matrix-storage.js';
import { FieldOutOfRangeError, InvalidSeqError, MatrixCapacityError, RowOutOfRangeError } from './errors.js';
import type { StateLayout } from './layout.js';

/** A growable row-major float64 matrix of state vectors, with the seq each row was written at. */
export class StateMatrix {
  /** The layout every row follows. */
  readonly layout: StateLayout;
  #data: Float64Array;
  /**
   * Per row: the seq of the event after which the row was written; 0 until the first write
   * (events are numbered from 1). Float64Array, not Int32Array, because seq is a safe integer
   * that is not bounded by 2^31 over a long-lived instance.
   */
  #seq: Float64Array;
  #rowCount = 0;
  #capacity: number;
  /** Where `data` is allocated: the heap, or a backend's memory so comparisons read it in place. */
  readonly #storage: MatrixStorage;

  /**
   * @param layout the column layout (from `layoutFor`).
   * @param initialCapacity rows allocated up front; a non-negative integer (default 64).
   * @param storage where the values are allocated (default: the JS heap); see MatrixStorage.
   * @throws MatrixCapacityError when `initialCapacity` is not a non-negative safe integer or cannot be allocated.
   */
  constructor(layout: StateLayout, initialCapacity = 64, storage: MatrixStorage = HEAP_STORAGE) {
    if (!Number.isSafeInteger(initialCapacity) || initialCapacity < 0) {
      throw new MatrixCapacityError(`initialCapacity must be a non-negative integer, got ${String(initialCapacity)}`);
    }
    this.layout = layout;
    this.#capacity = initialCapacity;
    this.#storage = storage;
    this.#data = allocate(initialCapacity * layout.stride, storage);
    this.#seq = allocate(initialCapacity, HEAP_STORAGE);
  }

  /** Rows in use (`0 .. rowCount - 1`). */
  get rowCount(): number {
    return this.#rowCount;
  }

  /** Rows allocated; `data.length === capacity * layout.stride`. */
  get capacity(): number {
    return this.#capacity;
  }

  /**
   * The backing array: `capacity * stride` values, rows `>= rowCount` unspecified. It is
   * REPLACED (a new, larger array) whenever capacity grows ({@link addRow}, {@link ensureRows}):
   * do not keep it, or a {@link row} view, across a call that may add rows; read it again.
   */
  get data(): Float64Array {
    return this.#data;
  }

  /** Appends a row of NaN (missing) values, padding 0, seq 0; doubles capacity when full. Returns its index. */
  addRow(): number {
    if (this.#rowCount === this.#capacity) this.#grow(this.#rowCount + 1);
    const r = this.#rowCount++;
    // The array may hold stale values here (a matrix never shrinks, but rows past rowCount are
    // not cleared elsewhere), so every column is written.
    this.#blank(r);
    return r;
  }

  /**
   * Makes row `r` as a new row is: every field NaN (missing), padding 0, seq 0. For a row whose
   * instance was evicted: comparisons then skip it (seq 0 is "not seen yet") until it is reused.
   */
  clearRow(r: number): void {
    this.#checkRow(r);
    this.#blank(r);
  }

  #blank(r: number): void {
    const stride = this.layout.stride;
    const start = r * stride;
    this.#data.fill(Number.NaN, start, start + this.layout.fieldCount);
    this.#data.fill(0, start + this.layout.fieldCount, start + stride);
    this.#seq[r] = 0;
  }

  /**
   * Adds rows (as {@link addRow} does) until there are at least `rows`; grows capacity at most once.
   * @throws MatrixCapacityError when `rows` is not a non-negative safe integer or cannot be allocated.
   */
  ensureRows(rows: number): void {
    if (!Number.isSafeInteger(rows) || rows < 0) {
      throw new MatrixCapacityError(`ensureRows: rows must be a non-negative integer, got ${String(rows)}`);
    }
    if (rows > this.#capacity) this.#grow(rows);
    while (this.#rowCount < rows) this.addRow();
  }

  /** A view of row `r` (`stride` values, padding included) over the current {@link data}; see its caveat. */
  row(r: number): Float64Array {
    this.#checkRow(r);
    const start = r * this.layout.stride;
    return this.#data.subarray(start, start + this.layout.stride);
  }

  /** The value of field `j` in row `r` (NaN when missing). */
  get(r: number, j: number): number {
    this.#checkRow(r);
    this.#checkField(j);
    return this.#data[r * this.layout.stride + j]!;
  }

  /** Sets the value of field `j` in row `r` (NaN marks it missing). Padding columns cannot be set. */
  set(r: number, j: number, value: number): void {
    this.#checkRow(r);
    this.#checkField(j);
    this.#data[r * this.layout.stride + j] = value;
  }

  /** Encodes `state` into row `r` with `layout.encode` (wrong-typed or absent fields become NaN). */
  writeState(r: number, state: Readonly<Record<string, unknown>>): void {
    this.#checkRow(r);
    this.layout.encode(state, this.#data, r * this.layout.stride);
  }

  /** The seq row `r` was last written at (0 before any). Comparisons align primary and mirror rows on it. */
  seqOf(r: number): number {
    this.#checkRow(r);
    return this.#seq[r]!;
  }

  /**
   * Records the seq row `r` now reflects.
   * @throws InvalidSeqError when `seq` is not a non-negative safe integer.
   */
  setSeq(r: number, seq: number): void {
    this.#checkRow(r);
    if (!Number.isSafeInteger(seq) || seq < 0) throw new InvalidSeqError(seq);
    this.#seq[r] = seq;
  }

  /**
   * The per-row seq column (`capacity` values, rows `>= rowCount` unspecified), for block reads
   * such as delta tracking and snapshots. Treat it as read-only (write through {@link setSeq}) and
   * do not keep it across a call that may add rows: like {@link data}, it is replaced on growth.
   */
  get seqs(): Float64Array {
    return this.#seq;
  }

  /**
   * Replaces every row at once with `rowCount` rows copied as blocks: `values` holds
   * `rowCount * stride` values row-major, `seqs` one seq per row. A Float64Array is copied with one
   * `set`; a Uint8Array is read as the little-endian bytes of the float64 values at any byte
   * offset (a FlatBuffers vector inside a socket buffer need not be 8-byte aligned) and copied
   * byte for byte, so NaN payloads and -0 survive either way. Padding columns are written 0
   * whatever the source holds there (snapshot decoders check them first). Grows capacity at most
   * once and allocates nothing per row; no row object is created.
   * @throws MatrixCapacityError when `rowCount` is not a non-negative safe integer, a source has
   *   the wrong length, or the rows cannot be allocated.
   * @throws InvalidSeqError when a seq is not a non-negative safe integer. Every check runs before
   *   anything is written: on a throw the matrix is unchanged.
   */
  loadRows(rowCount: number, values: Float64Array | Uint8Array, seqs: Float64Array | Uint8Array): void {
    if (!Number.isSafeInteger(rowCount) || rowCount < 0) {
      throw new MatrixCapacityError(`loadRows: rowCount must be a non-negative integer, got ${String(rowCount)}`);
    }
    const stride = this.layout.stride;
    const valueBytes = rowCount * stride * 8;
    if ((values instanceof Uint8Array ? values.length : values.length * 8) !== valueBytes) {
      throw new MatrixCapacityError(
        `loadRows: values must hold ${rowCount} rows of ${stride} float64 values (${valueBytes} bytes)`,
      );
    }
    if ((seqs instanceof Uint8Array ? seqs.length : seqs.length * 8) !== rowCount * 8) {
      throw new MatrixCapacityError(`loadRows: seqs must hold ${rowCount} float64 values`);
    }
    checkSeqs(seqs, rowCount);
    if (rowCount > this.#capacity) this.#grow(rowCount);
    copyFloat64(values, this.#data);
    copyFloat64(seqs, this.#seq);
    const fieldCount = this.layout.fieldCount;
    if (fieldCount < stride) {
      const data = this.#data;
      for (let r = 0; r < rowCount; r++) {
        const start = r * stride;
        for (let j = start + fieldCount; j < start + stride; j++) data[j] = 0;
      }
    }
    this.#rowCount = rowCount;
  }

  /** Reallocates to hold at least `minRows`, doubling so that n addRow calls cost O(n) copying in all. */
  #grow(minRows: number): void {
    let capacity = Math.max(this.#capacity, 4);
    while (capacity < minRows) capacity *= 2;
    const data = allocate(capacity * this.layout.stride, this.#storage);
    const seq = allocate(capacity, HEAP_STORAGE);
    // Only rows in use are copied; `set` between two Float64Arrays is a byte copy, so NaN payloads
    // and -0 survive growth bit for bit.
    data.set(this.#data.subarray(0, this.#rowCount * this.layout.stride));
    seq.set(this.#seq.subarray(0, this.#rowCount));
    this.#storage.release(this.#data);
    this.#data = data;
    this.#seq = seq;
    this.#capacity = capacity;
  }

  #checkRow(r: number): void {
    // Checked on every call: these accessors are for engines and tests, not the comparison path
    // (comparators read `data` directly), and a wrong row must never write into another instance.
    if (!Number.isInteger(r) || r < 0 || r >= this.#rowCount) throw new RowOutOfRangeError(r, this.#rowCount);
  }

  #checkField(j: number): void {
    if (!Number.isInteger(j) || j < 0 || j >= this.layout.fieldCount) throw new FieldOutOfRangeError(j, this.layout.fieldCount);
  }
}

/** True where typed arrays are little-endian, as FlatBuffers bytes are (every platform Node ships on but s390x). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Copies float64 values, from an array or from little-endian bytes at any alignment, to the start of `target`. */
function copyFloat64(source: Float64Array | Uint8Array, target: Float64Array): void {
  if (!(source instanceof Uint8Array)) {
    target.set(source);
    return;
  }
  if (LITTLE_ENDIAN) {
    // A byte copy: the only way to read float64 values at an offset that is not a multiple of 8.
    new Uint8Array(target.buffer, target.byteOffset, source.length).set(source);
    return;
  }
  const view = new DataView(source.buffer, source.byteOffset, source.length);
  for (let i = 0; i < source.length / 8; i++) target[i] = view.getFloat64(i * 8, true);
}

/** Throws InvalidSeqError for the first seq that is not a non-negative safe integer. */
function checkSeqs(seqs: Float64Array | Uint8Array, rowCount: number): void {
  if (seqs instanceof Uint8Array) {
    const view = new DataView(seqs.buffer, seqs.byteOffset, seqs.length);
    for (let r = 0; r < rowCount; r++) {
      const seq = view.getFloat64(r * 8, true);
      if (!Number.isSafeInteger(seq) || seq < 0) throw new InvalidSeqError(seq);
    }
    return;
  }
  for (let r = 0; r < rowCount; r++) {
    const seq = seqs[r]!;
    if (!Number.isSafeInteger(seq) || seq < 0) throw new InvalidSeqError(seq);
  }
}

/** Allocates a Float64Array, turning the engine's RangeError for an impossible size into a typed error. */
function allocate(length: number, storage: MatrixStorage): Float64Array {
  try {
    return storage.allocate(length);
  } catch (error) {
    throw new MatrixCapacityError(`cannot allocate a Float64Array of ${length} values`, { cause: error });
  }
}
