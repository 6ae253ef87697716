/**
 * Fake machines for the hardware tests, shaped like what Dawn and node:os report on each kind of
 * host. The adapter strings follow Dawn's conventions: lower-case vendor, `architecture` from its
 * gpu_info table (empty where the table has no entry, as for Hopper), the model name in
 * `description` and a normalised copy in `device`.
 */
import type { GpuAdapterFacts, MachineFacts } from '../../ts/hardware/types.js';

const linuxServer = { platform: 'linux', arch: 'x64', nodeVersion: '20.20.2' } as const;

function withGpu(adapter: GpuAdapterFacts, rest: Omit<MachineFacts, 'webgpu'>): MachineFacts {
  return { ...rest, webgpu: { available: true, adapter } };
}

const noGpu = { available: false, reason: 'Dawn found no adapter' } as const;

export const machines = {
  /** An old or locked-down engine: no SIMD, no GPU. */
  noSimd: { ...linuxServer, cores: 2, memoryGiB: 4, wasmSimd: false, webgpu: noGpu },
  /** A small VM with SIMD and no GPU driver at all. */
  simdNoGpu: { ...linuxServer, cores: 2, memoryGiB: 8, wasmSimd: true, webgpu: noGpu },
  /** A 32-core CPU server, no GPU. */
  bigCpu: { ...linuxServer, cores: 32, memoryGiB: 128, wasmSimd: true, webgpu: noGpu },
  /** This project's development machine: Mesa lavapipe through Dawn's Vulkan backend. */
  lavapipe: withGpu(
    {
      vendor: 'mesa',
      architecture: 'software',
      device: 'llvmpipe-llvm-15-0-6-256-bits-',
      description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1',
      software: true,
    },
    { ...linuxServer, cores: 2, memoryGiB: 23.5, wasmSimd: true },
  ),
  h100: withGpu(
    {
      vendor: 'nvidia',
      architecture: '',
      device: 'nvidia-h100-80gb-hbm3',
      description: 'NVIDIA H100 80GB HBM3',
      software: false,
    },
    { ...linuxServer, cores: 16, memoryGiB: 128, wasmSimd: true },
  ),
  /** An H100 whose Dawn build puts the driver in `description` and the model only in `device`. */
  h100DriverDescription: withGpu(
    { vendor: 'nvidia', architecture: '', device: 'nvidia-h100-80gb-hbm3', description: 'NVIDIA: 570.86.15', software: false },
    { ...linuxServer, cores: 16, memoryGiB: 128, wasmSimd: true },
  ),
  h200: withGpu(
    { vendor: 'nvidia', architecture: '', device: 'nvidia-h200', description: 'NVIDIA H200', software: false },
    { ...linuxServer, cores: 16, memoryGiB: 128, wasmSimd: true },
  ),
  /** A desktop NVIDIA card no specific profile names. */
  rtx4090: withGpu(
    {
      vendor: 'nvidia',
      architecture: 'lovelace',
      device: 'nvidia-geforce-rtx-4090',
      description: 'NVIDIA GeForce RTX 4090',
      software: false,
    },
    { ...linuxServer, cores: 24, memoryGiB: 64, wasmSimd: true },
  ),
  appleM2: withGpu(
    { vendor: 'apple', architecture: 'metal-3', device: '', description: 'Apple M2 Pro', software: false },
    { platform: 'darwin', arch: 'arm64', nodeVersion: '20.20.2', cores: 12, memoryGiB: 32, wasmSimd: true },
  ),
} satisfies Record<string, MachineFacts>;
