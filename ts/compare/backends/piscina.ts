/**
 * The `piscina` comparison backend: the wasm kernel on a pool of worker threads. A large batch is
 * split into row shards (`piscina-shards.ts`), one task per worker; every worker runs the same
 * compiled module on the comparator's one shared memory, so a task carries only byte offsets and
 * no matrix crosses a thread (`piscina-worker.mjs`). Matrices allocated from `storage` are read in
 * place; others have their compared rows copied into the arena once, on the calling thread, before
 * `compare` returns (`wasm-staging.ts`). Each shard writes its rows of the outputs into the shared
 * staging region (or straight into caller output arrays that live in the arena); the main thread
 * copies staged outputs out when every shard is done. Batches under
 * `minRowsPerWorker` rows run on the calling thread, through the same kernel.
 *
 * Matrices in the arena are read by the workers while the comparison is in flight, not at the
 * call: a row the engines write meanwhile may be seen before or after the write (the anomaly
 * detector reads each row's seqs and counts such a row as lagging). Copied matrices are a snapshot.
 *
 * Results are bit-identical to the reference backend: each row is computed whole by one kernel
 * call, in field order, whatever the sharding.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { assetPath } from '../../assets.js';
import type { BackendDefinition, BackendSettings, ProbeResult } from '../backend.js';
import type { ComparisonLayout, ComparisonResult } from '../comparator.js';
import { type CheckedComparison, checkComparisonInput, resultArrays } from './js.js';
import { ComparisonWorkerError, ComparisonWorkerScriptMissingError, InvalidBackendSettingsError } from './piscina-errors.js';
import { planShards, type Shard } from './piscina-shards.js';
import { createWasmComparatorOn, probeKernel, unsupported, type WasmComparator } from './wasm.js';
import { wasmSimdSupported } from './wasm-api.js';
import { ComparatorDisposedError, WasmUnsupportedError } from './wasm-errors.js';
import { instantiateKernel, type KernelVariant, kernelPath, loadKernelModule } from './wasm-kernel.js';
import { WasmArena } from './wasm-memory.js';
import {
  directOutputs,
  type KernelCall,
  type OutputTarget,
  planStaging,
  readResult,
  StagingCounter,
  type StagingStats,
  shardOf,
  stageComparison,
} from './wasm-staging.js';

/**
 * Default `minRowsPerWorker`; hardware profiles (and `wfmirror calibrate`) set their own. Measured
 * on a 2-vCPU VM (SIMD kernel, 8 fields, matrices in the arena): a pooled comparison costs about
 * 0.3 ms more than the kernel (task round trips), the calling thread does 64k rows in ~1.4 ms, and
 * the pool of 2 only overtook the calling thread from ~0.5M rows (1M rows x 32 fields: ~23 ms vs
 * ~41 ms). Below 64k rows per worker the pool cannot pay on any machine; between that and the
 * crossover, it still frees the calling thread for the engines.
 */
export const DEFAULT_MIN_ROWS_PER_WORKER = 65_536;

/** What a piscina comparator has done, beyond how it met its inputs. */
export interface PiscinaStats extends StagingStats {
  /** Comparisons split across the pool. */
  readonly pooledComparisons: number;
  /** Comparisons small enough to run on the calling thread. */
  readonly callingThreadComparisons: number;
  /** The shards of the last pooled comparison (rows relative to its rowStart). */
  readonly lastShards: readonly Shard[];
}

export interface PiscinaComparator extends WasmComparator {
  /** Worker threads in the pool. */
  readonly workers: number;
  readonly minRowsPerWorker: number;
  readonly stats: PiscinaStats;
}

/** Options for tests and tools, beyond the registry's {@link BackendSettings}. */
export interface PiscinaComparatorOptions {
  /** Another worker script (tests use one that dies). Default: {@link piscinaWorkerPath}. */
  readonly workerScript?: string;
}

/** Where the worker script is: beside this module (sources, or dist/ where the build copies it), else in the package's sources. */
export function piscinaWorkerPath(): string {
  const candidates = [fileURLToPath(new URL('./piscina-worker.mjs', import.meta.url))];
  try {
    candidates.push(assetPath('ts/compare/backends/piscina-worker.mjs'));
  } catch {
    // No package root above this module: only the first place counts.
  }
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) throw new ComparisonWorkerScriptMissingError(candidates);
  return found;
}

/** The kernel build the workers run: SIMD where the engine has it. */
function pickVariant(): KernelVariant {
  return wasmSimdSupported() ? 'simd' : 'scalar';
}

/**
 * Creates a piscina comparator: a pool of `settings.workers` threads (default: available cores)
 * on a new arena.
 * @throws InvalidBackendSettingsError, WasmUnsupportedError, the kernel's load errors,
 *   ComparisonWorkerScriptMissingError.
 */
export async function createPiscinaComparator(
  settings: BackendSettings = {},
  options: PiscinaComparatorOptions = {},
): Promise<PiscinaComparator> {
  const workers = settings.workers ?? availableParallelism();
  const minRowsPerWorker = settings.minRowsPerWorker ?? DEFAULT_MIN_ROWS_PER_WORKER;
  if (!Number.isSafeInteger(workers) || workers < 1) {
    throw new InvalidBackendSettingsError(`piscina: workers must be an integer >= 1, got ${String(workers)}`);
  }
  if (!Number.isSafeInteger(minRowsPerWorker) || minRowsPerWorker < 1) {
    throw new InvalidBackendSettingsError(`piscina: minRowsPerWorker must be an integer >= 1, got ${String(minRowsPerWorker)}`);
  }
  const variant = pickVariant();
  const missing = unsupported(variant);
  if (missing !== undefined) throw new WasmUnsupportedError(missing);
  const workerScript = options.workerScript ?? piscinaWorkerPath();
  const module = await loadKernelModule(variant);
  const arena = new WasmArena();
  const kernel = instantiateKernel(module, arena.memory, kernelPath(variant));
  const counter = new StagingCounter();
  const local = createWasmComparatorOn(arena, kernel, variant, 'piscina', counter);
  const pool = new Piscina<KernelCall, number>({
    filename: workerScript,
    minThreads: workers,
    maxThreads: workers,
    // A module and a shared memory are posted by reference: every worker sees the same bytes.
    workerData: { module, memory: arena.memory },
  });
  // piscina emits 'error' when a worker fails with no task of ours in flight (its tasks, if any,
  // are rejected instead, and reach compare() below). An unhandled 'error' event would throw.
  pool.on('error', () => undefined);

  let disposed = false;
  let pooledComparisons = 0;
  let callingThreadComparisons = 0;
  let lastShards: readonly Shard[] = [];

  const comparePooled = async (
    primary: Float64Array,
    mirror: Float64Array,
    layout: ComparisonLayout,
    checked: CheckedComparison,
    shards: readonly Shard[],
    target: OutputTarget | undefined,
  ): Promise<ComparisonResult> => {
    const ticket = arena.beginComparison();
    let region: number | undefined;
    try {
      const plan = planStaging(arena, kernel, primary, mirror, layout, checked);
      region = arena.allocateBlock(plan.bytes);
      const call = directOutputs(arena, stageComparison(arena, kernel, region, plan, primary, mirror, layout, checked), target);
      counter.count(plan);
      pooledComparisons += 1;
      lastShards = shards;
      // allSettled, not all: the staging region is freed below, so every shard must have stopped
      // writing into it first, even when one of them failed.
      const outcomes = await Promise.allSettled(
        shards.map((shard) => pool.run(shardOf(call, checked.maskWords, shard.start, shard.count))),
      );
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          if (disposed) throw new ComparatorDisposedError('piscina');
          const reason: unknown = outcome.reason;
          throw new ComparisonWorkerError(
            `piscina: a comparison worker failed: ${reason instanceof Error ? reason.message : String(reason)}`,
            { cause: reason },
          );
        }
      }
      return readResult(arena, call, checked, target);
    } finally {
      arena.endComparison(ticket);
      // After dispose a terminating worker may still be writing its shard: leave the region be.
      if (region !== undefined && !disposed) arena.freeBlock(region);
    }
  };

  return {
    name: 'piscina',
    storage: arena,
    kernel: variant,
    workers,
    minRowsPerWorker,
    get stats(): PiscinaStats {
      return { ...counter.snapshot(), pooledComparisons, callingThreadComparisons, lastShards };
    },
    async compare(primary, mirror, layout, compareOptions) {
      if (disposed) throw new ComparatorDisposedError('piscina');
      const checked = checkComparisonInput(primary, mirror, layout, compareOptions);
      const shards = planShards(checked.rowCount, workers, minRowsPerWorker);
      if (shards.length === 0) {
        callingThreadComparisons += 1;
        return local.compare(primary, mirror, layout, compareOptions);
      }
      // A too-small output is refused before any work.
      const target = compareOptions?.output && resultArrays(checked.rowCount, checked.maskWords, compareOptions.output);
      return comparePooled(primary, mirror, layout, checked, shards, target);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      local.dispose();
      // Rejects the shards in flight (their compare() rejects with ComparatorDisposedError).
      pool.destroy().catch(() => undefined);
    },
  };
}

async function probePiscina(): Promise<ProbeResult> {
  try {
    piscinaWorkerPath();
  } catch (error) {
    return { available: false, reason: error instanceof Error ? error.message : String(error) };
  }
  const kernel = await probeKernel(pickVariant());
  if (!kernel.available) return kernel;
  return { available: true, detail: `${availableParallelism()} worker threads by default, ${kernel.detail}` };
}

export const piscinaBackend: BackendDefinition = {
  name: 'piscina',
  probe: probePiscina,
  create: (settings) => createPiscinaComparator(settings),
};
