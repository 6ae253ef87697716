/**
 * Reads the real machine into {@link MachineFacts}: WebAssembly SIMD by validating a SIMD module,
 * WebGPU by asking Dawn for an adapter, cores, memory, platform and Node from `node:os` / `process`.
 * Features are tried, never guessed from the platform name. Never throws: what is missing is a fact.
 */
import { arch, availableParallelism, platform, totalmem } from 'node:os';
import type { MachineFacts } from './types.js';
import { detectWasmSimd } from './wasm-simd.js';
import { DEFAULT_GPU_TIMEOUT_MS, detectWebGpu, type GpuSource } from './webgpu-adapter.js';

/** The facts that come from the operating system rather than from trying a feature. */
export type SystemFacts = Pick<MachineFacts, 'cores' | 'memoryGiB' | 'platform' | 'arch' | 'nodeVersion'>;

/** Replacements for each source of facts (tests); anything left out is read from the machine. */
export interface DetectOptions {
  /** Who to ask for a WebGPU adapter (default: the `webgpu` package). */
  readonly gpuSource?: GpuSource;
  /** How long the adapter request may take. */
  readonly gpuTimeoutMs?: number;
  /** Validates wasm bytes (default: `WebAssembly.validate`). */
  readonly validateWasm?: (bytes: Uint8Array) => boolean;
  /** Cores, memory, platform, arch, Node version (default: {@link readSystemFacts}). */
  readonly system?: () => SystemFacts;
}

const GiB = 1024 ** 3;

/** Cores, memory, platform, arch and Node version of this process's machine. */
export function readSystemFacts(): SystemFacts {
  return {
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / GiB) * 10) / 10,
    platform: platform(),
    arch: arch(),
    nodeVersion: process.versions.node,
  };
}

/** Detects the machine. The WebGPU answer is cached per source (see `detectWebGpu`). */
export async function detectMachine(options: DetectOptions = {}): Promise<MachineFacts> {
  const webgpu = await detectWebGpu(options.gpuSource, options.gpuTimeoutMs ?? DEFAULT_GPU_TIMEOUT_MS);
  const system = (options.system ?? readSystemFacts)();
  return {
    platform: system.platform,
    arch: system.arch,
    nodeVersion: system.nodeVersion,
    cores: system.cores,
    memoryGiB: system.memoryGiB,
    wasmSimd: detectWasmSimd(options.validateWasm),
    webgpu,
  };
}
