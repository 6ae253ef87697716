/**
 * The one table of comparison backends (DESIGN.md section 7). Adding a backend means one file
 * under `backends/` exporting a BackendDefinition and one line here.
 */
import { BACKEND_NAMES, type BackendDefinition, type BackendName, type ProbeResult } from './backend.js';
import { gpujsBackend } from './backends/gpujs.js';
import { jsBackend } from './backends/js-backend.js';
import { piscinaBackend } from './backends/piscina.js';
import { wasmScalarBackend, wasmSimdBackend } from './backends/wasm.js';
import { webgpuBackend } from './backends/webgpu.js';
import { UnknownBackendError } from './errors.js';

export const BACKENDS: Readonly<Record<BackendName, BackendDefinition>> = {
  js: jsBackend,
  'wasm-simd': wasmSimdBackend,
  'wasm-scalar': wasmScalarBackend,
  piscina: piscinaBackend,
  webgpu: webgpuBackend,
  gpujs: gpujsBackend,
};

/** Whether `name` is a backend of the table. */
export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/**
 * The definition of backend `name`.
 * @throws UnknownBackendError when there is none
 */
export function backendDefinition(name: string): BackendDefinition {
  if (!isBackendName(name)) throw new UnknownBackendError(name, ['auto', ...BACKEND_NAMES]);
  return BACKENDS[name];
}

/** Every backend's probe, in the table's order (what `wfmirror detect` shows). */
export async function probeBackends(): Promise<Record<BackendName, ProbeResult>> {
  const entries = await Promise.all(BACKEND_NAMES.map(async (name) => [name, await BACKENDS[name].probe()] as const));
  return Object.fromEntries(entries) as Record<BackendName, ProbeResult>;
}
