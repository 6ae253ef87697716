/**
 * One backend's case: probe, create, place the fleet where the backend reads it in place, check its
 * answer against the reference, then time it. Every step that can fail is reported as the outcome
 * (with the stage and the reason), never thrown: one broken backend must not cost the others' results.
 */
import type { BackendDefinition, BackendName, BackendSettings, ProbeResult } from '../compare/backend.js';
import { GPU_DEVIATION_RELATIVE_BOUND } from '../compare/backends/gpu-precision.js';
import { type Comparator, type ComparisonOutput, maskWordsFor } from '../compare/comparator.js';
import { isGpuBackend } from '../hardware/profile-use.js';
import { checkAgainstReference } from './check-result.js';
import type { BenchmarkFleet } from './fleet.js';
import { type BenchmarkPlan, effectiveThreads } from './plan.js';
import type { FailedStage } from './report.js';
import { type CaseTiming, sampleCase } from './sampling.js';

/** What one backend's case came to; `run-benchmark.ts` turns it into a report entry. */
export type BackendOutcome =
  | {
      readonly backend: BackendName;
      readonly status: 'measured';
      readonly detail: string;
      readonly threads: number;
      readonly maxRelativeError: number;
      readonly timing: CaseTiming;
    }
  | { readonly backend: BackendName; readonly status: 'unavailable'; readonly reason: string }
  | { readonly backend: BackendName; readonly status: 'failed'; readonly stage: FailedStage; readonly reason: string };

export interface BackendCaseContext {
  readonly plan: BenchmarkPlan;
  readonly fleet: BenchmarkFleet;
  /** Settings from the hardware profile; the pool's size and sharding are set by the plan. */
  readonly settings: BackendSettings;
  readonly now?: () => number;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The backend's own settings for the benchmark. piscina gets `plan.threads` workers and shards every
 * batch across all of them (minRowsPerWorker 1): the case measures the pool itself, whatever the
 * batch size; where the pool stops paying is the profile's `minRowsPerWorker`, which `wfmirror
 * calibrate` measures.
 */
export function benchmarkSettings(settings: BackendSettings, plan: BenchmarkPlan): BackendSettings {
  return { ...settings, workers: plan.threads, minRowsPerWorker: 1 };
}

/** Arrays that live where the comparator reads them in place (its storage), or the fleet's own. */
interface Placed {
  readonly primary: Float64Array;
  readonly mirror: Float64Array;
  readonly output: ComparisonOutput;
  release(): void;
}

/**
 * The fleet copied into `comparator.storage` when it has one (once, as a fleet created with that
 * backend is allocated there), and reused output arrays (`CompareOptions.output`), in the storage
 * too so the wasm kernels write them in place: a fresh result per call would mostly time the
 * allocator and the garbage collector.
 */
function place(comparator: Comparator, fleet: BenchmarkFleet, rows: number): Placed {
  const words = rows * maskWordsFor(fleet.layout.fieldCount);
  const storage = comparator.storage;
  if (storage === undefined)
    return {
      primary: fleet.primary,
      mirror: fleet.mirror,
      output: { deviation: new Float64Array(rows), affected: new Uint32Array(words) },
      release: () => undefined,
    };
  const primary = storage.allocate(fleet.primary.length);
  const mirror = storage.allocate(fleet.mirror.length);
  primary.set(fleet.primary);
  mirror.set(fleet.mirror);
  const block = storage.allocate(rows + Math.ceil(words / 2));
  return {
    primary,
    mirror,
    output: {
      deviation: block.subarray(0, rows),
      affected: new Uint32Array(block.buffer, block.byteOffset + rows * 8, words),
    },
    release: () => {
      for (const array of [primary, mirror, block]) storage.release(array);
    },
  };
}

/** Runs one backend's case. Never throws. */
export async function measureBackend(definition: BackendDefinition, context: BackendCaseContext): Promise<BackendOutcome> {
  const backend = definition.name;
  const { plan, fleet } = context;
  let probe: ProbeResult;
  try {
    probe = await definition.probe();
  } catch (error) {
    // Probes promise never to throw; one that does cannot say the backend runs here.
    return { backend, status: 'unavailable', reason: `its probe failed: ${reasonOf(error)}` };
  }
  if (!probe.available) return { backend, status: 'unavailable', reason: probe.reason };
  let comparator: Comparator;
  try {
    comparator = await definition.create(benchmarkSettings(context.settings, plan));
  } catch (error) {
    return { backend, status: 'failed', stage: 'create', reason: reasonOf(error) };
  }
  let placed: Placed | undefined;
  try {
    let stage: FailedStage = 'check';
    try {
      placed = place(comparator, fleet, plan.rows);
      const { primary, mirror, output } = placed;
      const answer = await comparator.compare(primary, mirror, fleet.layout, { output });
      const bound = isGpuBackend(backend) ? GPU_DEVIATION_RELATIVE_BOUND : 0;
      const maxRelativeError = checkAgainstReference(backend, fleet.expected, answer, bound);
      stage = 'measure';
      const timing = await sampleCase(
        () => comparator.compare(primary, mirror, fleet.layout, { output }),
        { timeMs: plan.timeMs, minSamples: plan.minSamples },
        context.now,
      );
      const threads = backend === 'piscina' ? effectiveThreads(plan) : 1;
      return { backend, status: 'measured', detail: probe.detail, threads, maxRelativeError, timing };
    } catch (error) {
      return { backend, status: 'failed', stage, reason: reasonOf(error) };
    }
  } finally {
    quietly(() => placed?.release());
    quietly(() => comparator.dispose());
  }
}

function quietly(free: () => void): void {
  try {
    free();
  } catch {
    // The case is over; a backend that cannot free itself cleanly changes nothing measured.
  }
}
