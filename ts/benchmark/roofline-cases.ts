/**
 * The roofline cases of a run: the plain sum over a copy of the fleet's two matrices in a shared
 * wasm memory, on the calling thread and, when the pooled cases use more than one, on that many
 * worker threads. A roofline that cannot run here is reported with the reason (its backends then
 * show no "% of roofline"), never thrown.
 */
import { WasmArena } from '../compare/backends/wasm-memory.js';
import type { BenchmarkFleet } from './fleet.js';
import { type BenchmarkPlan, effectiveThreads } from './plan.js';
import { loadRooflineModule, singleThreadSum, ThreadedSum } from './roofline.js';
import { type CaseTiming, sampleCase } from './sampling.js';

/** One roofline case's outcome. */
export type RooflineOutcome =
  | { readonly status: 'measured'; readonly threads: number; readonly timing: CaseTiming }
  | { readonly status: 'failed'; readonly threads: number; readonly reason: string };

/** Thread counts the run measures a roofline for: 1, and the pooled count when it is more. */
export function rooflineThreadCounts(plan: Pick<BenchmarkPlan, 'rows' | 'threads'>): number[] {
  const pooled = effectiveThreads(plan);
  return pooled > 1 ? [1, pooled] : [1];
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Measures every roofline of the plan. Never throws. */
export async function measureRooflines(
  plan: BenchmarkPlan,
  fleet: BenchmarkFleet,
  now?: () => number,
): Promise<RooflineOutcome[]> {
  const counts = rooflineThreadCounts(plan);
  let arena: WasmArena;
  let arrays: Float64Array[];
  let module: Awaited<ReturnType<typeof loadRooflineModule>>;
  try {
    module = await loadRooflineModule();
    arena = new WasmArena();
    arrays = [fleet.primary, fleet.mirror].map((source) => {
      const copy = arena.allocate(source.length);
      copy.set(source);
      return copy;
    });
  } catch (error) {
    const reason = reasonOf(error);
    return counts.map((threads) => ({ status: 'failed', threads, reason }));
  }
  const budget = { timeMs: plan.timeMs, minSamples: plan.minSamples };
  const outcomes: RooflineOutcome[] = [];
  for (const threads of counts) {
    try {
      if (threads === 1) {
        const sum = singleThreadSum(module, arena.memory);
        outcomes.push({ status: 'measured', threads, timing: await sampleCase(() => sum(arrays), budget, now) });
        continue;
      }
      const pool = new ThreadedSum(module, arena.memory, threads);
      try {
        outcomes.push({ status: 'measured', threads, timing: await sampleCase(() => pool.sum(arrays), budget, now) });
      } finally {
        await pool.close();
      }
    } catch (error) {
      outcomes.push({ status: 'failed', threads, reason: reasonOf(error) });
    }
  }
  for (const array of arrays) arena.release(array);
  return outcomes;
}
