/**
 * The correctness gate before a case's timing counts: its answer on the benchmark's batch against
 * the js reference's. Masks must be identical; deviations identical, or within a relative bound for
 * the GPU backends, whose bound is documented and tested (`ts/compare/backends/gpu-precision.ts`).
 */
import type { ComparisonResult } from '../compare/comparator.js';
import { BenchmarkResultMismatchError } from './errors.js';

/** The parts of a result the check reads. */
export type CheckedArrays = Pick<ComparisonResult, 'rowCount' | 'deviation' | 'affected'>;

/**
 * The largest relative deviation error of `actual` (0 when bit-exact).
 * @throws BenchmarkResultMismatchError at the first row or mask word outside the bound
 */
export function checkAgainstReference(
  backend: string,
  expected: CheckedArrays,
  actual: CheckedArrays,
  relativeBound: number,
): number {
  if (actual.rowCount !== expected.rowCount)
    throw new BenchmarkResultMismatchError(backend, `${actual.rowCount} rows, expected ${expected.rowCount}`);
  let worst = 0;
  for (let i = 0; i < expected.rowCount; i++) {
    const e = expected.deviation[i]!;
    const a = actual.deviation[i]!;
    if (a === e) continue;
    const relative = Math.abs(a - e) / Math.abs(e);
    // NaN (a NaN answer, or 0 expected and something else given) fails this test too.
    if (!(relative <= relativeBound)) throw new BenchmarkResultMismatchError(backend, `row ${i} deviation ${a}, expected ${e}`);
    worst = Math.max(worst, relative);
  }
  const words = expected.affected.length;
  for (let w = 0; w < words; w++) {
    if (actual.affected[w] !== expected.affected[w])
      throw new BenchmarkResultMismatchError(
        backend,
        `affected-fields mask word ${w} is ${actual.affected[w]}, expected ${expected.affected[w]}`,
      );
  }
  return worst;
}
