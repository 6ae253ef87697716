/**
 * How one case is timed: a short warm-up, then samples until both the time budget is spent and a
 * minimum number of samples is taken, and the median of those samples. Medians, not means: on a
 * shared machine a neighbour's burst lands on a few samples of whichever case runs then and drags
 * its mean, while the median stays with the typical run.
 */

/** How long a case is sampled. */
export interface SamplingBudget {
  /** Sample at least this long (after the warm-up). */
  readonly timeMs: number;
  /** And take at least this many samples, unless the case runs past {@link HARD_LIMIT_FACTOR} x `timeMs`. */
  readonly minSamples: number;
  /** Never more samples than this (a tiny case would otherwise collect millions). Default 100,000. */
  readonly maxSamples?: number;
}

/** A slow case stops at this multiple of its time budget even short of `minSamples` (it keeps at least one sample). */
export const HARD_LIMIT_FACTOR = 5;

/** Warm-up runs (unmeasured): JIT tiers, first-touch pages, pools spinning up. At most this many... */
const WARM_UP_RUNS = 3;
/** ... and no longer than this share of the time budget. */
const WARM_UP_SHARE = 0.1;

/** What sampling a case found. */
export interface CaseTiming {
  readonly medianMs: number;
  /** The fastest sample. */
  readonly minMs: number;
  readonly samples: number;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `run` once, awaiting it only when it returned a promise (a sync case pays no microtask). */
async function once(run: () => unknown): Promise<void> {
  const result = run();
  if (result instanceof Promise) await result;
}

/**
 * Times `run` (synchronous, or returning a promise) under `budget`. Whatever `run` throws
 * propagates: the caller reports the case as failed.
 */
export async function sampleCase(
  run: () => unknown,
  budget: SamplingBudget,
  now: () => number = () => performance.now(),
): Promise<CaseTiming> {
  const warmUpEnd = now() + budget.timeMs * WARM_UP_SHARE;
  for (let i = 0; i < WARM_UP_RUNS; i++) {
    await once(run);
    if (now() >= warmUpEnd) break;
  }
  const maxSamples = budget.maxSamples ?? 100_000;
  const times: number[] = [];
  const start = now();
  for (;;) {
    const before = now();
    await once(run);
    const after = now();
    times.push(after - before);
    const elapsed = after - start;
    if (times.length >= maxSamples) break;
    if (elapsed >= budget.timeMs * HARD_LIMIT_FACTOR) break;
    if (elapsed >= budget.timeMs && times.length >= budget.minSamples) break;
  }
  return { medianMs: median(times), minMs: times.reduce((a, b) => Math.min(a, b)), samples: times.length };
}
