/// <reference types="@webgpu/types" />
/**
 * Where the `webgpu` backend gets its adapter and device. The source is anything shaped like
 * `navigator.gpu` ({@link GpuSource}); by default it is Dawn through the `webgpu` package (an
 * optional dependency), created once per process. Tests and hosts inject their own source, which is
 * how "no adapter" and "device lost" are exercised without a machine that has neither.
 */

/** The part of `navigator.gpu` this backend uses. */
export interface GpuSource {
  requestAdapter(options?: GPURequestAdapterOptions): Promise<GPUAdapter | null>;
}

/** Produces the source; may reject (the package is missing, or its native binding does not load). */
export type GpuSourceLoader = () => Promise<GpuSource>;

/** The part of the `webgpu` package used: `create(flags)` returns its `navigator.gpu`. */
interface DawnModule {
  create(flags: string[]): GpuSource;
}

let dawn: Promise<GpuSource> | undefined;

/**
 * Dawn's `navigator.gpu`, created on first use and shared by every comparator of the process: one
 * Dawn instance enumerates the adapters once. A failed load is not cached, so a later call retries.
 */
export const loadDawn: GpuSourceLoader = () => {
  if (dawn === undefined) {
    // A variable specifier: the package is optional, so the build must not need its types.
    const specifier = 'webgpu';
    const loading = (import(specifier) as Promise<Partial<DawnModule>>).then((dawnModule) => {
      if (typeof dawnModule.create !== 'function') throw new Error('the webgpu package exports no create()');
      return dawnModule.create([]);
    });
    dawn = loading;
    loading.catch(() => {
      if (dawn === loading) dawn = undefined;
    });
  }
  return dawn;
};

/** How long Dawn may take to answer requestAdapter (a hung driver must not hang the backend). */
export const ADAPTER_TIMEOUT_MS = 15_000;

/** An adapter, or why there is none (one line a person can read). */
export type AdapterLookup =
  | { readonly adapter: GPUAdapter; readonly detail: string }
  | { readonly adapter: null; readonly reason: string; readonly code: 'WEBGPU_UNAVAILABLE' | 'WEBGPU_NO_ADAPTER' };

/**
 * Asks `load`'s source for an adapter (high-performance preferred). Never throws: a loader or
 * adapter request that fails, or does not answer within `timeoutMs`, is a reason.
 */
export async function findAdapter(load: GpuSourceLoader, timeoutMs = ADAPTER_TIMEOUT_MS): Promise<AdapterLookup> {
  let source: GpuSource;
  try {
    source = await load();
  } catch (error) {
    return { adapter: null, code: 'WEBGPU_UNAVAILABLE', reason: `the webgpu package (Dawn) did not load: ${describe(error)}` };
  }
  let adapter: GPUAdapter | null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    // A driver that never answers must not hang probe() or create().
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref?.();
    });
    adapter = await Promise.race([source.requestAdapter({ powerPreference: 'high-performance' }), timeout]);
  } catch (error) {
    return { adapter: null, code: 'WEBGPU_NO_ADAPTER', reason: `requestAdapter failed: ${describe(error)}` };
  } finally {
    clearTimeout(timer);
  }
  if (adapter === null || adapter === undefined) {
    return {
      adapter: null,
      code: 'WEBGPU_NO_ADAPTER',
      reason: 'no WebGPU adapter: Dawn found no GPU and no software Vulkan driver (install Mesa lavapipe for a CPU one)',
    };
  }
  return { adapter, detail: describeAdapter(adapter) };
}

/** The adapter as Dawn reports it: vendor, architecture, device, description (empty ones left out). */
export function describeAdapter(adapter: GPUAdapter): string {
  const info = adapter.info as Partial<GPUAdapterInfo> | undefined;
  const parts: string[] = [];
  for (const key of ['vendor', 'architecture', 'device', 'description'] as const) {
    const value = info?.[key];
    if (typeof value === 'string' && value.trim() !== '') parts.push(`${key} ${value.trim()}`);
  }
  if (info?.isFallbackAdapter === true) parts.push('fallback adapter');
  return parts.length === 0 ? 'WebGPU adapter (no info reported)' : parts.join(', ');
}

/**
 * Opens a device with the adapter's largest storage binding and buffer sizes: the defaults (128 MiB
 * and 256 MiB) are a spec floor, not the hardware's, and larger bindings mean fewer chunks.
 */
export function openDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  return adapter.requestDevice({
    label: 'workflow-mirror compare',
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
}

/** One line for an unknown thrown value. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
