/**
 * The baseline every backend is measured against in the same run: the comparison rule as a plain
 * loop over the row-major Float64Arrays, one pass, a float64 sum and a u32 mask per row, no special
 * cases. It is what a developer writes first, so "x vs baseline" is what a backend buys over that.
 * The benchmark suite (`bench/compare-baselines.ts`, `typedLoopCompare`) uses this one too.
 *
 * On the benchmark's fleet (no missing values) it gives the reference's answer; it is not one in
 * general (it does not treat equal infinities as the reference does).
 */
import { type ComparisonLayout, DEFAULT_MISSING_WEIGHT, maskWordsFor } from '../compare/comparator.js';

/** Compares `rows` rows from row 0 into `deviation` and `affected` (maskWordsFor(fieldCount) words per row). */
export function plainLoopCompare(
  primary: Float64Array,
  mirror: Float64Array,
  layout: ComparisonLayout,
  rows: number,
  deviation: Float64Array,
  affected: Uint32Array,
): void {
  const { stride, fieldCount, weights, tolerances, categorical } = layout;
  const words = maskWordsFor(fieldCount);
  for (let r = 0; r < rows; r++) {
    const base = r * stride;
    let sum = 0;
    for (let w = 0; w < words; w++) {
      let bits = 0;
      const end = Math.min(fieldCount, (w + 1) * 32);
      for (let j = w * 32; j < end; j++) {
        const p = primary[base + j]!;
        const m = mirror[base + j]!;
        const d = Math.abs(p - m);
        let c = 0;
        const pNaN = Number.isNaN(p);
        const mNaN = Number.isNaN(m);
        if (pNaN || mNaN) c = pNaN && mNaN ? 0 : DEFAULT_MISSING_WEIGHT;
        else if (categorical[j] === 1) c = d !== 0 ? weights[j]! : 0;
        else if (d > tolerances[j]!) c = weights[j]! * d;
        if (c !== 0) bits |= 1 << (j & 31);
        sum += c;
      }
      affected[r * words + w] = bits >>> 0;
    }
    deviation[r] = sum;
  }
}
