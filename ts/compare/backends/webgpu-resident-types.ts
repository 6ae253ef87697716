/**
 * The resident-fleet API of the `webgpu` comparator (DESIGN.md section 7, end): both state matrices
 * stay on the device, instances send only deltas, and only rows past the threshold come back.
 */
import type { ComparisonLayout } from '../comparator.js';

/** Which of the two matrices. */
export type ResidentSide = 'primary' | 'mirror';

/** How a resident fleet is laid out on the device. */
export interface ResidentFleetOptions {
  /**
   * Rows per device buffer (segment). Default: as many as one storage binding may hold (128 MiB on
   * most adapters, so 1,000,000 rows of 8 fields fit one segment, of 32 fields three). Smaller
   * values exist to test multi-segment fleets on small ones.
   */
  readonly segmentRows?: number;
}

/** What compareOverThreshold compares. */
export interface OverThresholdOptions {
  /** First fleet row compared. Default 0. */
  readonly rowStart?: number;
  /** Rows compared from `rowStart`. Default: to the fleet's capacity. */
  readonly rowCount?: number;
  /** Contribution of a field missing on exactly one side. Default DEFAULT_MISSING_WEIGHT. */
  readonly missingWeight?: number;
}

/** The rows whose deviation exceeds the threshold, exactly the oracle's set, in no particular order. */
export interface OverThresholdResult {
  /** Fleet row of each entry. */
  readonly rows: Uint32Array;
  /** `deviation[i]` belongs to `rows[i]` (within GPU_DEVIATION_RELATIVE_BOUND, or exact when rechecked). */
  readonly deviation: Float64Array;
  /** `maskWords` words per entry: the affected fields of `rows[i]`, exact. */
  readonly affected: Uint32Array;
  readonly maskWords: number;
  /** Rows of the range that the host recomputed (held values, close calls): a cost figure. */
  readonly rechecked: number;
}

/**
 * Two matrices of `capacity` rows resident on the device, in the layout given at creation.
 * `upload` and `applyDeltas` copy their arguments before they return; a device error they cause
 * rejects the next `compareOverThreshold`. Writes and comparisons are ordered on the device queue:
 * every write made before `compareOverThreshold` is called is in its answer. One made while a
 * comparison is in flight may land between its passes (a comparison that must grow its outputs
 * runs again), so for one consistent moment, await the comparison before writing again.
 */
export interface ResidentFleet {
  readonly capacity: number;
  readonly layout: ComparisonLayout;
  /**
   * Writes whole rows: `rows` is row-major with `layout.stride` values per row (padding columns
   * ignored), written to rows `rowStart ..` of `side`. Rows never written hold 0 in every field.
   */
  upload(side: ResidentSide, rowStart: number, rows: Float64Array): void;
  /**
   * Writes single fields: value i goes to (rowIndex[i], fieldIndex[i]) of `side`. Within one call,
   * the last delta for a field wins.
   */
  applyDeltas(side: ResidentSide, rowIndex: Uint32Array, fieldIndex: Uint32Array, values: Float64Array): void;
  /** The rows (of the range) whose deviation exceeds `threshold`, compacted on the device. */
  compareOverThreshold(threshold: number, options?: OverThresholdOptions): Promise<OverThresholdResult>;
  /** Frees the device buffers. */
  dispose(): void;
}
