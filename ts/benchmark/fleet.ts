/**
 * The batch every case of a run compares: calibration's deterministic fleet (`calibrationInput`,
 * the same generator `wfmirror calibrate` times) and the js reference's answer on it, which every
 * other case must reproduce before its timing counts.
 */
import { compareRowsSync } from '../compare/backends/js.js';
import type { ComparisonLayout, ComparisonResult } from '../compare/comparator.js';
import { calibrationInput } from '../hardware/calibrate.js';
import type { BenchmarkPlan } from './plan.js';

export interface BenchmarkFleet {
  readonly layout: ComparisonLayout;
  /** Row-major, `layout.stride` values per row, on the heap. */
  readonly primary: Float64Array;
  readonly mirror: Float64Array;
  /** The js reference's answer: what every case is checked against. */
  readonly expected: ComparisonResult;
}

/** The fleet of `plan`: `plan.rows` rows, `plan.differingRowShare` of them differing in one to three fields. */
export function benchmarkFleet(plan: Pick<BenchmarkPlan, 'rows' | 'fieldCount' | 'differingRowShare'>): BenchmarkFleet {
  const input = calibrationInput(plan.rows, plan.fieldCount, undefined, plan.differingRowShare);
  return { ...input, expected: compareRowsSync(input.primary, input.mirror, input.layout) };
}
