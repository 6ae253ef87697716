/**
 * What every comparison backend implements. A comparator knows nothing about workflows: it sees
 * two row-major matrices of float64 values, a layout (weights, tolerances, kinds) and a row range.
 */
import type { MatrixStorage } from './matrix-storage.js';

/** Column description shared by both matrices. */
export interface ComparisonLayout {
  /** Number of fields (columns that carry values). */
  readonly fieldCount: number;
  /** Values per row, >= fieldCount, a multiple of 4 (padding columns are ignored). */
  readonly stride: number;
  /** Per field: multiplier of its contribution. */
  readonly weights: Float64Array;
  /** Per field: numeric dead-band (ignored for categorical fields). */
  readonly tolerances: Float64Array;
  /** Per field: 1 if categorical (compared for equality), 0 if numeric. */
  readonly categorical: Uint8Array;
}

/** Which rows to compare and the constants of the formula. */
export interface CompareOptions {
  /** First row compared. Default 0. */
  readonly rowStart?: number;
  /** Rows compared from `rowStart`. Default: every row the matrices hold from rowStart. */
  readonly rowCount?: number;
  /** Contribution of a field missing (NaN) on exactly one side. Default {@link DEFAULT_MISSING_WEIGHT}. */
  readonly missingWeight?: number;
  /**
   * Arrays to write the result into instead of allocating: the result's `deviation` and
   * `affected` are then views of their first `rowCount` (and `rowCount * maskWords`) elements.
   * For callers comparing large fleets periodically: a fresh result for 1,000,000 rows is 12 MB of
   * new ArrayBuffers per call, whose allocation invites full garbage collections. With the wasm
   * backends, outputs allocated from the comparator's `storage` are written by the kernel in place.
   */
  readonly output?: ComparisonOutput;
}

/** Caller-owned arrays a comparison writes into (see {@link CompareOptions.output}). */
export interface ComparisonOutput {
  /** At least `rowCount` values. */
  readonly deviation: Float64Array;
  /** At least `rowCount * maskWordsFor(fieldCount)` words. */
  readonly affected: Uint32Array;
}

/** Per compared row: the deviation and the bitmask of affected fields. */
export interface ComparisonResult {
  readonly rowStart: number;
  readonly rowCount: number;
  /** `deviation[i]` belongs to row `rowStart + i`. */
  readonly deviation: Float64Array;
  /** `maskWords` u32 words per row; bit j of word j>>5 is set when field j is affected. */
  readonly affected: Uint32Array;
  readonly maskWords: number;
}

/** A comparison backend. */
export interface Comparator {
  /** Registry name, e.g. `js`. */
  readonly name: string;
  /**
   * Compares `primary` and `mirror` (same layout, same row order). Asynchronous because device
   * backends are, but every backend reads (or copies) the inputs before it returns: the engines
   * go on writing their matrices while a comparison is in flight, and the result must describe
   * the values as they were at the call.
   */
  compare(
    primary: Float64Array,
    mirror: Float64Array,
    layout: ComparisonLayout,
    options?: CompareOptions,
  ): Promise<ComparisonResult>;
  /**
   * Where the matrices should be allocated for this backend to read them in place (wasm linear
   * memory, shared with its worker threads); absent when any Float64Array is as good as another.
   */
  readonly storage?: MatrixStorage;
  /** Frees what the backend holds (device buffers, workers). */
  dispose(): void;
}

/** The default penalty for a field missing on one side (DESIGN.md section 6). */
export const DEFAULT_MISSING_WEIGHT = 1e6;

/** u32 words needed for a bitmask of `fieldCount` bits. */
export function maskWordsFor(fieldCount: number): number {
  return Math.max(1, Math.ceil(fieldCount / 32));
}
