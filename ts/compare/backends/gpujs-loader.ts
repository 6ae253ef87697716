/**
 * Loading gpu.js (an optional, CommonJS dependency) and giving its `webgpu` mode a WebGPU binding.
 *
 * gpu.js's webgpu mode reads the browser global `navigator.gpu`. Node has no WebGPU, so before that
 * mode is used we install Dawn's (the `webgpu` package, the same binding the `webgpu` backend uses)
 * as `navigator.gpu` — only when `navigator.gpu` is absent: a host that has its own WebGPU (a
 * browser-like runtime, a test harness) keeps it. Node 20 has no `navigator` at all (one is
 * created); Node 21+ has one without `gpu` (the property is added). The package.json override makes
 * gpu.js's own `webgpu` dependency this same 0.6 package, so there is one Dawn in the process.
 */
import { createRequire } from 'node:module';
import { describe, loadDawn } from './webgpu-device.js';

/** The gpu.js modes this backend uses. */
export type GpuJsMode = 'webgpu' | 'webasm' | 'cpu';

/** What a gpu.js kernel call takes: typed arrays and numbers. */
export type KernelArgument = Float32Array | number;

/** The part of a gpu.js kernel this backend uses. */
export interface GpuJsKernel {
  (...args: KernelArgument[]): unknown;
  setOutput(output: number[]): GpuJsKernel;
}

/** The part of a gpu.js GPU instance this backend uses. */
export interface GpuJsInstance {
  addFunction(source: string): GpuJsInstance;
  createKernel(source: string, settings: Record<string, unknown>): GpuJsKernel;
  destroy(): Promise<void> | void;
}

/** The gpu.js module, reduced to its constructor. */
export interface GpuJsModule {
  GPU: new (settings: { mode: GpuJsMode }) => GpuJsInstance;
}

let loaded: GpuJsModule | undefined;

/** gpu.js, loaded once; throws (the package is optional) when it is not installed. */
export function loadGpuJs(): GpuJsModule {
  if (loaded === undefined) {
    const required = createRequire(import.meta.url)('gpu.js') as Partial<GpuJsModule>;
    if (typeof required.GPU !== 'function') throw new Error('gpu.js did not export GPU');
    loaded = required as GpuJsModule;
  }
  return loaded;
}

/**
 * Makes `navigator.gpu` available for gpu.js's webgpu mode (see the module header). Resolves
 * whether it is there now; never throws.
 */
export async function provideNavigatorGpu(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const holder = globalThis as { navigator?: { gpu?: unknown } };
  if (holder.navigator?.gpu !== undefined && holder.navigator.gpu !== null) return { ok: true };
  let gpu: unknown;
  try {
    gpu = await loadDawn();
  } catch (error) {
    return { ok: false, reason: `the webgpu package (Dawn) did not load: ${describe(error)}` };
  }
  // Checked again: another caller may have installed one while Dawn loaded.
  if (holder.navigator === undefined) {
    holder.navigator = { gpu };
  } else if (holder.navigator.gpu === undefined || holder.navigator.gpu === null) {
    Object.defineProperty(holder.navigator, 'gpu', { value: gpu, configurable: true, enumerable: true, writable: true });
  }
  return { ok: true };
}
