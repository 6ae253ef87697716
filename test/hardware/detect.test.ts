import { describe, expect, it } from 'vitest';
import { detectMachine, type SystemFacts } from '../../ts/hardware/detect.js';
import { detectWasmSimd, SIMD_PROBE_MODULE } from '../../ts/hardware/wasm-simd.js';
import { detectWebGpu, type GpuAdapterLike, type GpuSource, isSoftwareAdapter } from '../../ts/hardware/webgpu-adapter.js';

const system: SystemFacts = { cores: 4, memoryGiB: 16, platform: 'linux', arch: 'x64', nodeVersion: '20.0.0' };

function countingSource(answer: () => Promise<GpuAdapterLike | null>): GpuSource & { calls: number } {
  const source = Object.assign(
    async () => {
      source.calls++;
      return answer();
    },
    { calls: 0 },
  );
  return source;
}

describe('detectMachine with an injected GPU source', () => {
  it('turns a source that throws into a fact with the reason, never an exception', async () => {
    const gpuSource = countingSource(async () => {
      throw new Error("Cannot find package 'webgpu'\nRequire stack: ...");
    });
    const facts = await detectMachine({ gpuSource, system: () => system, validateWasm: () => true });
    expect(facts.webgpu).toEqual({ available: false, reason: "webgpu: Cannot find package 'webgpu'" });
    expect(facts).toMatchObject({ ...system, wasmSimd: true });
  });

  it('turns a source that throws synchronously into a fact too', async () => {
    const gpuSource: GpuSource = () => {
      throw new Error('dawn.node: wrong ELF class');
    };
    const facts = await detectMachine({ gpuSource, system: () => system });
    expect(facts.webgpu).toEqual({ available: false, reason: 'webgpu: dawn.node: wrong ELF class' });
  });

  it('reports "no adapter" when the source finds none', async () => {
    const facts = await detectMachine({ gpuSource: async () => null, system: () => system });
    expect(facts.webgpu.available).toBe(false);
    expect(facts.webgpu.available === false && facts.webgpu.reason).toMatch(/no adapter/);
  });

  it('gives up on a source that never answers', async () => {
    const facts = await detectMachine({ gpuSource: () => new Promise(() => {}), gpuTimeoutMs: 20, system: () => system });
    expect(facts.webgpu).toEqual({ available: false, reason: 'webgpu: no answer from Dawn within 20 ms' });
  });

  it('reads an adapter and marks it hardware or software', async () => {
    const h100 = { info: { vendor: 'nvidia', architecture: '', device: 'nvidia-h100', description: 'NVIDIA H100 80GB HBM3' } };
    const facts = await detectMachine({ gpuSource: async () => h100, system: () => system });
    expect(facts.webgpu).toEqual({
      available: true,
      adapter: {
        vendor: 'nvidia',
        architecture: '',
        device: 'nvidia-h100',
        description: 'NVIDIA H100 80GB HBM3',
        software: false,
      },
    });
    const lavapipe = { info: { vendor: 'mesa', architecture: 'software', device: 'llvmpipe', description: 'llvmpipe: Mesa 25' } };
    const soft = await detectMachine({ gpuSource: async () => lavapipe, system: () => system });
    expect(soft.webgpu.available && soft.webgpu.adapter.software).toBe(true);
  });

  it('asks each source once and reuses the answer (the real request is slow)', async () => {
    const gpuSource = countingSource(async () => ({ info: { vendor: 'amd' } }));
    const first = await detectMachine({ gpuSource, system: () => system });
    const second = await detectMachine({ gpuSource, system: () => system });
    expect(gpuSource.calls).toBe(1);
    expect(second.webgpu).toBe(first.webgpu);
    // A failure is cached too: a driver that is not there does not appear on the second try.
    const failing = countingSource(async () => null);
    await detectWebGpu(failing);
    await detectWebGpu(failing);
    expect(failing.calls).toBe(1);
  });
});

describe('software adapters', () => {
  it.each([
    [{ vendor: 'mesa', architecture: 'software', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }, true],
    [{ vendor: 'mesa', architecture: '', description: 'lavapipe' }, true],
    [{ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' }, true],
    [{ vendor: 'microsoft', architecture: '', description: 'Microsoft Basic Render Driver' }, true],
    [{ vendor: 'intel', architecture: 'gen-12lp', description: 'Intel(R) UHD', isFallbackAdapter: true }, true],
    [{ vendor: 'nvidia', architecture: 'lovelace', description: 'NVIDIA GeForce RTX 4090' }, false],
    [{ vendor: 'apple', architecture: 'metal-3', description: 'Apple M2 Pro' }, false],
  ])('%o is software: %s', (info, expected) => {
    expect(isSoftwareAdapter(info)).toBe(expected);
  });
});

describe('WebAssembly SIMD', () => {
  const engine = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;

  it('validates the probe module on this engine (Node 20 has SIMD), and a near-miss does not', () => {
    expect(detectWasmSimd()).toBe(true);
    // The same module with an i32 result no longer type-checks: the probe tests v128, not just parsing.
    const broken = SIMD_PROBE_MODULE.slice();
    broken[14] = 0x7f;
    expect(engine.validate(broken)).toBe(false);
  });

  it('asks the injected validator about the probe module and believes it', async () => {
    const seen: Uint8Array[] = [];
    const facts = await detectMachine({
      gpuSource: async () => null,
      system: () => system,
      validateWasm: (bytes) => {
        seen.push(bytes);
        return false;
      },
    });
    expect(facts.wasmSimd).toBe(false);
    expect(seen).toEqual([SIMD_PROBE_MODULE]);
  });

  it('reports no SIMD when validation throws', () => {
    expect(
      detectWasmSimd(() => {
        throw new Error('no WebAssembly');
      }),
    ).toBe(false);
  });
});

describe('detectMachine on this machine', () => {
  it('never throws and returns coherent facts whatever the GPU situation', async () => {
    const facts = await detectMachine();
    expect(facts.cores).toBeGreaterThanOrEqual(1);
    expect(facts.memoryGiB).toBeGreaterThan(0);
    expect(facts.platform).toBe(process.platform);
    expect(facts.arch).toBe(process.arch);
    expect(facts.nodeVersion).toBe(process.versions.node);
    expect(facts.wasmSimd).toBe(true);
    if (facts.webgpu.available) expect(typeof facts.webgpu.adapter.vendor).toBe('string');
    else expect(facts.webgpu.reason.length).toBeGreaterThan(0);
  });
});
