/**
 * The host side of the GPU backends' exactness: rows the device flagged (values it does not carry,
 * decisions too close to call, contributions outside f32's range) are recomputed with the oracle
 * (`compareRowsSync`), which overwrites the device's answer for those rows in place.
 */
import type { ComparisonLayout } from '../comparator.js';
import { compareRowsSync } from './js.js';

/** Counts of rows recomputed on the host, by the first reason that flagged them. */
export interface RecheckCounts {
  /** Rows holding a value the device does not carry (infinity, |x| >= 2^60, 0 < |x| < 2^-70). */
  hostValueRows: number;
  /** Rows with a decision too close to call within the certified margin (or lost to cancellation). */
  uncertainRows: number;
  /** Rows with a weight or contribution outside f32's safe range. */
  rangeRows: number;
}

/** Zeroed {@link RecheckCounts}. */
export function emptyRecheckCounts(): RecheckCounts {
  return { hostValueRows: 0, uncertainRows: 0, rangeRows: 0 };
}

/**
 * Recomputes `rows` (ascending indices into the snapshots, which hold rows 0 .. n-1 of the compared
 * range with the layout's stride) and writes the oracle's deviation and mask words over the
 * device's, at the same indices of `deviation` / `affected`. Runs of consecutive rows go to the
 * oracle as one range.
 */
export function recheckRows(
  primary: Float64Array,
  mirror: Float64Array,
  layout: ComparisonLayout,
  missingWeight: number,
  rows: readonly number[],
  deviation: Float64Array,
  affected: Uint32Array,
  maskWords: number,
): void {
  let i = 0;
  while (i < rows.length) {
    const start = rows[i]!;
    let end = start + 1;
    i++;
    while (i < rows.length && rows[i] === end) {
      end++;
      i++;
    }
    compareRowsSync(
      primary,
      mirror,
      layout,
      { rowStart: start, rowCount: end - start, missingWeight },
      { deviation: deviation.subarray(start), affected: affected.subarray(start * maskWords) },
    );
  }
}
