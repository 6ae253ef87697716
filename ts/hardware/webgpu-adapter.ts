/**
 * Asks Dawn (the `webgpu` package) which adapter it would use, and turns the answer into
 * {@link WebGpuFacts}. Every failure (package missing, native library that does not load, no driver,
 * no answer) becomes `available: false` with the reason: a machine without a GPU is normal.
 *
 * Only an adapter is requested, never a device: adapter info is all detection needs, and an adapter
 * holds no GPU memory, so there is nothing to destroy.
 */
import type { GpuAdapterFacts, WebGpuFacts } from './types.js';

/** The fields of `GPUAdapterInfo` detection reads (all optional: older Dawn builds lack some). */
export interface GpuAdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}

/** The part of a `GPUAdapter` detection reads. */
export interface GpuAdapterLike {
  readonly info?: GpuAdapterInfoLike;
}

/** Requests an adapter: `null` when there is none; may reject. Tests pass fakes. */
export type GpuSource = () => Promise<GpuAdapterLike | null>;

/** How long Dawn may take to answer before detection gives up (a hung driver must not hang `detect`). */
export const DEFAULT_GPU_TIMEOUT_MS = 15_000;

interface DawnModule {
  create(flags: string[]): { requestAdapter(options?: object): Promise<unknown> };
}

/** The real source: `import('webgpu')`, `create([])`, `requestAdapter()`. */
export const dawnGpuSource: GpuSource = async () => {
  // A variable specifier keeps TypeScript from needing the optional package's types (and DOM libs).
  const specifier = 'webgpu';
  const dawn = (await import(specifier)) as Partial<DawnModule>;
  if (typeof dawn.create !== 'function') throw new Error('the webgpu package exports no create()');
  const gpu = dawn.create([]);
  return (await gpu.requestAdapter({ powerPreference: 'high-performance' })) as GpuAdapterLike | null;
};

const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|microsoft basic render/i;
const SOFTWARE_ARCHITECTURES = new Set(['software', 'swiftshader', 'warp']);

/** Whether an adapter is a CPU rasteriser pretending to be a GPU. */
export function isSoftwareAdapter(info: GpuAdapterInfoLike): boolean {
  if (info.isFallbackAdapter === true) return true;
  if (SOFTWARE_ARCHITECTURES.has((info.architecture ?? '').toLowerCase())) return true;
  return SOFTWARE_NAMES.test(`${info.description ?? ''} ${info.device ?? ''}`);
}

/** The facts of one adapter. */
export function adapterFacts(info: GpuAdapterInfoLike): GpuAdapterFacts {
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    software: isSoftwareAdapter(info),
  };
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0] ?? text;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Dawn within ${ms} ms`)), ms);
    timer.unref(); // detection must not keep the process alive
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function askSource(source: GpuSource, timeoutMs: number): Promise<WebGpuFacts> {
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await withTimeout(Promise.resolve().then(source), timeoutMs);
  } catch (error) {
    return { available: false, reason: `webgpu: ${firstLine(error)}` };
  }
  if (adapter === null || adapter === undefined) {
    return { available: false, reason: 'Dawn found no adapter (no Vulkan, Metal or D3D12 driver it can use)' };
  }
  if (adapter.info === undefined) return { available: false, reason: 'the adapter reports no info (webgpu package too old)' };
  return { available: true, adapter: adapterFacts(adapter.info) };
}

// Requesting an adapter loads the native library and enumerates drivers (~0.1-1 s), so each source
// is asked once per process. Keyed by source so that a test's fake never sees another's answer.
const answers = new WeakMap<GpuSource, Promise<WebGpuFacts>>();

/** What `source` (default: Dawn) says about WebGPU here; asked once per process and source. */
export function detectWebGpu(source: GpuSource = dawnGpuSource, timeoutMs = DEFAULT_GPU_TIMEOUT_MS): Promise<WebGpuFacts> {
  let answer = answers.get(source);
  if (answer === undefined) {
    answer = askSource(source, timeoutMs);
    answers.set(source, answer);
  }
  return answer;
}
