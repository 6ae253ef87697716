/**
 * The `wasm-simd` and `wasm-scalar` comparison backends: the AssemblyScript kernel
 * (`assembly/compare.ts`) run on the calling thread, on a shared WebAssembly memory that the
 * comparator also offers as its {@link MatrixStorage}. Matrices allocated from `storage` are
 * compared in place; others have their compared rows copied in first (see `wasm-staging.ts`).
 * Results are bit-identical to the reference backend (`js.ts`): same per-field rule, contributions
 * summed in field order.
 */
import type { BackendDefinition, ProbeResult } from '../backend.js';
import type { Comparator, ComparisonResult } from '../comparator.js';
import type { MatrixStorage } from '../matrix-storage.js';
import { checkComparisonInput, resultArrays } from './js.js';
import { sharedWasmMemorySupported, wasmSimdSupported, webAssemblyApi } from './wasm-api.js';
import { ComparatorDisposedError, WasmUnsupportedError } from './wasm-errors.js';
import { instantiateKernel, type KernelExports, type KernelVariant, kernelPath, loadKernelModule } from './wasm-kernel.js';
import { WasmArena } from './wasm-memory.js';
import { ReusableScratch } from './wasm-scratch.js';
import {
  directOutputs,
  planStaging,
  readResult,
  runKernel,
  StagingCounter,
  type StagingStats,
  stageComparison,
} from './wasm-staging.js';

/** A comparator running the wasm kernel, with the storage its matrices should live in. */
export interface WasmComparator extends Comparator {
  /** Allocate the state matrices here and every comparison reads them in place. */
  readonly storage: MatrixStorage;
  /** Which build of the kernel runs. */
  readonly kernel: KernelVariant;
  /** How comparisons met their inputs (zero-copy or copied); a snapshot. */
  readonly stats: StagingStats;
}

/** Creates a comparator running the `variant` build on the calling thread, with an arena of its own. */
export async function createWasmComparator(variant: KernelVariant): Promise<WasmComparator> {
  requireSupport(variant);
  const module = await loadKernelModule(variant);
  const arena = new WasmArena();
  const kernel = instantiateKernel(module, arena.memory, kernelPath(variant));
  return createWasmComparatorOn(arena, kernel, variant, `wasm-${variant}`);
}

/**
 * A comparator on an existing arena and kernel instance. The piscina backend runs its small
 * batches on the calling thread through one of these, sharing its arena and its stats counter.
 */
export function createWasmComparatorOn(
  arena: WasmArena,
  kernel: KernelExports,
  variant: KernelVariant,
  name: string,
  counter: StagingCounter = new StagingCounter(),
): WasmComparator {
  const scratch = new ReusableScratch(arena);
  let disposed = false;
  return {
    name,
    storage: arena,
    kernel: variant,
    get stats() {
      return counter.snapshot();
    },
    // async: invalid input becomes a rejected promise, as on every backend. There is no await:
    // the whole comparison runs before compare() returns, so no release can happen while it reads
    // (it needs no arena ticket) and one scratch region serves every call.
    async compare(primary, mirror, layout, options): Promise<ComparisonResult> {
      if (disposed) throw new ComparatorDisposedError(name);
      const checked = checkComparisonInput(primary, mirror, layout, options);
      // A too-small output is refused before any work.
      const target = options?.output && resultArrays(checked.rowCount, checked.maskWords, options.output);
      const plan = planStaging(arena, kernel, primary, mirror, layout, checked);
      const region = scratch.take(plan.bytes);
      const call = directOutputs(arena, stageComparison(arena, kernel, region, plan, primary, mirror, layout, checked), target);
      if (call.rowCount > 0) runKernel(kernel, call);
      counter.count(plan);
      return readResult(arena, call, checked, target);
    },
    dispose() {
      // The memory goes with the last reference to it; arrays from `storage` stay valid views.
      disposed = true;
    },
  };
}

/** @throws WasmUnsupportedError when this engine cannot run `variant`. */
function requireSupport(variant: KernelVariant): void {
  const missing = unsupported(variant);
  if (missing !== undefined) throw new WasmUnsupportedError(missing);
}

/** Why `variant` cannot run on this engine, or undefined when it can. */
export function unsupported(variant: KernelVariant): string | undefined {
  if (webAssemblyApi() === undefined) return 'this runtime has no WebAssembly';
  if (!sharedWasmMemorySupported()) return 'this engine cannot create a shared WebAssembly memory';
  if (variant === 'simd' && !wasmSimdSupported()) return 'this engine does not validate WebAssembly SIMD';
  return undefined;
}

/** Probe shared by both variants: engine support, then the built file compiles (cached after the first call). */
export async function probeKernel(variant: KernelVariant): Promise<ProbeResult> {
  const missing = unsupported(variant);
  if (missing !== undefined) return { available: false, reason: missing };
  try {
    await loadKernelModule(variant);
  } catch (error) {
    return { available: false, reason: error instanceof Error ? error.message : String(error) };
  }
  return { available: true, detail: `${variant === 'simd' ? 'f64x2 SIMD' : 'scalar'} kernel ${kernelPath(variant)}` };
}

export const wasmSimdBackend: BackendDefinition = {
  name: 'wasm-simd',
  probe: () => probeKernel('simd'),
  create: () => createWasmComparator('simd'),
};

export const wasmScalarBackend: BackendDefinition = {
  name: 'wasm-scalar',
  probe: () => probeKernel('scalar'),
  create: () => createWasmComparator('scalar'),
};
