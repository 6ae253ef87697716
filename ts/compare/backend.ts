/**
 * What a comparison backend offers the registry: a name, a probe that says whether it can run on
 * this machine (and why not), and a factory. One file per backend under `backends/` exports one
 * {@link BackendDefinition}; `backend-registry.ts` lists them all in one table (DESIGN.md section 7).
 */
import type { Comparator } from './comparator.js';

/** Every backend this package ships. `js` is the reference; the others are tested against it. */
export const BACKEND_NAMES = ['js', 'wasm-simd', 'wasm-scalar', 'piscina', 'webgpu', 'gpujs'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What a probe found. `detail` / `reason` are one line a person can read (shown by `wfmirror detect`). */
export type ProbeResult =
  | { readonly available: true; readonly detail: string }
  | { readonly available: false; readonly reason: string };

/** Settings a hardware profile (or the caller) passes to a backend's factory; each backend reads its own. */
export interface BackendSettings {
  /** piscina: worker threads (default: available cores). */
  readonly workers?: number;
  /** piscina: rows below which a batch runs on the calling thread instead of the pool. */
  readonly minRowsPerWorker?: number;
  /** webgpu: threads per workgroup of the compare shader (default 64). */
  readonly workgroupSize?: number;
  /** gpujs: which gpu.js mode runs the kernel (default: the best that works here). */
  readonly gpujsMode?: 'webgpu' | 'webasm' | 'cpu';
}

/** One backend as the registry sees it. */
export interface BackendDefinition {
  readonly name: BackendName;
  /** Cheap and side-effect free apart from caching its answer; never throws (a failure is `available: false`). */
  probe(): Promise<ProbeResult>;
  /** Creates a comparator; rejects (with a typed error) when the backend cannot run here. */
  create(settings?: BackendSettings): Promise<Comparator>;
}
