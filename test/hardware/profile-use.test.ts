import { describe, expect, it } from 'vitest';
import { backendForRows, backendOrderForRows, backendSettingsOf, cpuBackendOf } from '../../ts/hardware/profile-use.js';
import { loadBuiltInProfiles } from '../../ts/hardware/profiles.js';
import type { HardwareProfile } from '../../ts/hardware/types.js';

function builtIn(name: string): HardwareProfile {
  const found = loadBuiltInProfiles().find((p) => p.profile.name === name)?.profile;
  if (found === undefined) throw new Error(`no built-in profile ${name}`);
  return found;
}

describe('what a profile means for a batch', () => {
  // A calibrated profile where the GPU won from 65,536 rows (the built-in ones keep compare() on the CPU).
  const h100: HardwareProfile = {
    ...builtIn('nvidia-h100'),
    backendOrder: ['webgpu', 'piscina', 'wasm-simd', 'wasm-scalar', 'js'],
    crossoverRows: 65536,
  };

  it('keeps batches below the crossover on the CPU backends, larger ones start on the GPU', () => {
    expect(backendForRows(h100, h100.crossoverRows - 1)).toBe('piscina');
    expect(backendOrderForRows(h100, h100.crossoverRows - 1)).toEqual(['piscina', 'wasm-simd', 'wasm-scalar', 'js']);
    expect(backendForRows(h100, h100.crossoverRows)).toBe('webgpu');
    expect(backendOrderForRows(h100, h100.crossoverRows)).toEqual(h100.backendOrder);
  });

  it('sends every batch to the first backend when that one is a CPU backend', () => {
    const lavapipe = builtIn('software-vulkan');
    expect(cpuBackendOf(lavapipe)).toBe('wasm-simd');
    expect(backendForRows(lavapipe, 1)).toBe('wasm-simd');
    expect(backendForRows(lavapipe, 10_000_000)).toBe('wasm-simd');
    // webgpu stays in the order for big batches, as a fallback before js only.
    expect(backendOrderForRows(lavapipe, 10_000_000)).toEqual(['wasm-simd', 'wasm-scalar', 'webgpu', 'js']);
  });

  it('hands the backends their settings; workers only when the profile fixes them', () => {
    expect(backendSettingsOf(h100)).toEqual({ workgroupSize: 256, minRowsPerWorker: 32768 });
    expect(backendSettingsOf({ ...h100, workers: 12 })).toEqual({ workgroupSize: 256, minRowsPerWorker: 32768, workers: 12 });
  });
});
