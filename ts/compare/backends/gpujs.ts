/**
 * The `gpujs` comparison backend: the deviation of DESIGN.md section 6 as a gpu.js kernel, on the
 * same hi/lo/tail f32 packing and with the same host recheck as the webgpu backend (masks exact,
 * deviations within GPU_DEVIATION_RELATIVE_BOUND).
 *
 * settings.gpujsMode picks gpu.js's mode: `webgpu` (WGSL through Dawn), `webasm` (WebAssembly) or
 * `cpu` (plain JavaScript). Default: the best that works here (gpujs-modes.ts: webgpu on a hardware
 * adapter, else cpu, else webasm, measured). probe() says which modes work; on the development
 * machine (no GPU, Mesa lavapipe) all three do.
 *
 * Files: gpujs-loader.ts (gpu.js and navigator.gpu), gpujs-kernel.ts (kernel source),
 * gpujs-runner.ts (one mode, kernel built once), gpujs-modes.ts (which modes work),
 * gpujs-comparator.ts (compare).
 */
import type { BackendDefinition, BackendSettings, ProbeResult } from '../backend.js';
import { GpuJsBackendError } from './gpu-errors.js';
import { createGpuJsComparator, type GpuJsComparator } from './gpujs-comparator.js';
import type { GpuJsMode } from './gpujs-loader.js';
import { checkMode, defaultMode, GPUJS_MODES } from './gpujs-modes.js';
import { GpuJsRunner } from './gpujs-runner.js';
import { describe } from './webgpu-device.js';

export type { GpuJsComparator, GpuJsStats } from './gpujs-comparator.js';
export type { GpuJsMode } from './gpujs-loader.js';
export { GPUJS_MODES } from './gpujs-modes.js';

/** A gpujs backend definition whose create() is typed with the extra API. */
export interface GpuJsBackendDefinition extends BackendDefinition {
  create(settings?: BackendSettings): Promise<GpuJsComparator>;
}

let probed: Promise<ProbeResult> | undefined;

/** The registry's `gpujs` backend. */
export const gpujsBackend: GpuJsBackendDefinition = {
  name: 'gpujs',
  probe() {
    probed ??= probeModes().catch(
      (error: unknown): ProbeResult => ({ available: false, reason: `probe failed: ${describe(error)}` }),
    );
    return probed;
  },
  create(settings = {}) {
    return createGpuJsBackendComparator(settings.gpujsMode);
  },
};

/**
 * A comparator on `mode` (default: the best that works here). Rejects with GPUJS_MODE_UNAVAILABLE
 * (saying why) when the mode does not work, GPUJS_UNAVAILABLE when gpu.js is not installed.
 */
export async function createGpuJsBackendComparator(mode?: GpuJsMode): Promise<GpuJsComparator> {
  if (mode !== undefined && !GPUJS_MODES.includes(mode)) {
    throw new GpuJsBackendError(
      'GPUJS_MODE_UNAVAILABLE',
      `unknown gpu.js mode ${String(mode)} (known: ${GPUJS_MODES.join(', ')})`,
    );
  }
  const check = mode === undefined ? await defaultMode() : await checkMode(mode);
  if (!check.works) {
    const code = /gpu\.js did not load/.test(check.reason) ? 'GPUJS_UNAVAILABLE' : 'GPUJS_MODE_UNAVAILABLE';
    throw new GpuJsBackendError(code, check.reason);
  }
  return createGpuJsComparator(await GpuJsRunner.open(check.mode));
}

async function probeModes(): Promise<ProbeResult> {
  const results = await Promise.all(GPUJS_MODES.map(checkMode));
  const working = results.filter((r) => r.works).map((r) => r.mode);
  const broken = results.filter((r) => !r.works).map((r) => `${r.mode}: ${r.works ? '' : r.reason}`);
  if (working.length === 0) return { available: false, reason: `no gpu.js mode works here (${broken.join('; ')})` };
  const preferred = await defaultMode();
  const note = broken.length === 0 ? '' : `; not working: ${broken.join('; ')}`;
  return { available: true, detail: `gpu.js modes working: ${working.join(', ')} (default ${preferred.mode})${note}` };
}
