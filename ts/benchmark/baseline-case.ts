/** The baseline's case: the plain typed-array loop, checked against the reference, then timed. Never throws. */
import { maskWordsFor } from '../compare/comparator.js';
import { checkAgainstReference } from './check-result.js';
import type { BenchmarkFleet } from './fleet.js';
import { plainLoopCompare } from './plain-loop.js';
import type { BenchmarkPlan } from './plan.js';
import { type CaseTiming, sampleCase } from './sampling.js';

/** The baseline's name in the report, the table and the chart. */
export const BASELINE_NAME = 'plain typed-array loop';

export type BaselineOutcome =
  | { readonly status: 'measured'; readonly timing: CaseTiming }
  | { readonly status: 'failed'; readonly reason: string };

export async function measureBaseline(plan: BenchmarkPlan, fleet: BenchmarkFleet, now?: () => number): Promise<BaselineOutcome> {
  const { primary, mirror, layout } = fleet;
  const deviation = new Float64Array(plan.rows);
  const affected = new Uint32Array(plan.rows * maskWordsFor(layout.fieldCount));
  const run = () => plainLoopCompare(primary, mirror, layout, plan.rows, deviation, affected);
  try {
    run();
    checkAgainstReference(BASELINE_NAME, fleet.expected, { rowCount: plan.rows, deviation, affected }, 0);
    return { status: 'measured', timing: await sampleCase(run, { timeMs: plan.timeMs, minSamples: plan.minSamples }, now) };
  } catch (error) {
    return { status: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }
}
