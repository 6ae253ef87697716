/**
 * What a chosen profile means for one batch: which backends to try, in which order, and the
 * settings each backend's factory gets. The comparator registry calls these; they hold no state.
 */
import type { BackendName, BackendSettings } from '../compare/backend.js';
import type { HardwareProfile } from './types.js';

/** Backends that run on a GPU (or emulate one): small batches do not go to them. */
export const GPU_BACKENDS: ReadonlySet<BackendName> = new Set<BackendName>(['webgpu', 'gpujs']);

/** Whether `name` runs on a GPU. */
export function isGpuBackend(name: BackendName): boolean {
  return GPU_BACKENDS.has(name);
}

/** The first CPU backend of the profile's order (exists: the order ends with `js`). */
export function cpuBackendOf(profile: HardwareProfile): BackendName {
  return profile.backendOrder.find((name) => !isGpuBackend(name)) ?? 'js';
}

/**
 * The backends to try for a batch of `rows` rows, best first. From `crossoverRows` rows on, the
 * profile's whole order; below it, only its CPU backends (uploading a small batch costs more than
 * the GPU saves), which still end with `js`.
 */
export function backendOrderForRows(profile: HardwareProfile, rows: number): readonly BackendName[] {
  if (rows >= profile.crossoverRows) return profile.backendOrder;
  return profile.backendOrder.filter((name) => !isGpuBackend(name));
}

/** The backend a batch of `rows` rows goes to first. */
export function backendForRows(profile: HardwareProfile, rows: number): BackendName {
  return backendOrderForRows(profile, rows)[0] ?? 'js';
}

/** The profile's choices as the settings every backend factory takes. */
export function backendSettingsOf(profile: HardwareProfile): BackendSettings {
  return {
    workgroupSize: profile.workgroupSize,
    minRowsPerWorker: profile.minRowsPerWorker,
    ...(profile.workers !== undefined ? { workers: profile.workers } : {}),
  };
}
