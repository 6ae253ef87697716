import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../ts/assets.js';
import { cpuBackendOf, isGpuBackend } from '../../ts/hardware/profile-use.js';
import { loadBuiltInProfiles } from '../../ts/hardware/profiles.js';
import { validateProfile } from '../../ts/hardware/validate-profile.js';

const dir = assetPath('hardware-profiles');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('built-in hardware profiles', () => {
  it('include the profiles the design names', () => {
    const names = files.map((f) => basename(f, '.json'));
    expect(names).toEqual(
      expect.arrayContaining(['cpu-scalar', 'cpu-simd', 'software-vulkan', 'nvidia-h100', 'nvidia-h200', 'apple-silicon']),
    );
  });

  it.each(files)('%s satisfies the schema, is named like its file and ends its order with js', (file) => {
    const value = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { name: string; backendOrder: string[] };
    expect(validateProfile(value)).toEqual([]);
    expect(value.name).toBe(basename(file, '.json'));
    expect(value.backendOrder.at(-1)).toBe('js');
  });

  it('all load, and each says in its description whether its numbers are measured', () => {
    const loaded = loadBuiltInProfiles();
    expect(loaded).toHaveLength(files.length);
    for (const { profile } of loaded) {
      // Measured ones carry calibrate's timings; the others must not pretend to be measured.
      if (profile.name === 'nvidia-h100') {
        expect(profile.measured?.timings.length, profile.name).toBeGreaterThan(0);
        expect(profile.description, profile.name).toMatch(/measured on 2026-11-26/);
      } else {
        expect(profile.measured, profile.name).toBeUndefined();
        expect(profile.description, profile.name).toMatch(/not measured|expected|guess/i);
      }
    }
  });

  it('keep the GPU out of the way where it is a software rasteriser', () => {
    const software = loadBuiltInProfiles().find((p) => p.profile.name === 'software-vulkan')?.profile;
    expect(software?.backendOrder.slice(-2)).toEqual(['webgpu', 'js']);
    expect(software !== undefined && cpuBackendOf(software)).toBe(software?.backendOrder[0]);
  });

  // Measured on an H100 (bench/results/compare-nvidia-h100.md): packing and uploading host matrices
  // for a plain compare() costs far more than comparing them on the CPU, on any card.
  it('keep plain comparisons on the CPU on the hardware-GPU profiles, with webgpu still in the order', () => {
    for (const name of ['nvidia-h100', 'nvidia-h200', 'apple-silicon', 'generic-gpu']) {
      const profile = loadBuiltInProfiles().find((p) => p.profile.name === name)?.profile;
      expect(profile !== undefined && isGpuBackend(profile.backendOrder[0]!), name).toBe(false);
      expect(profile?.backendOrder, name).toContain('webgpu');
      expect(profile?.match.softwareGpu, name).toBe(false);
    }
    for (const name of ['cpu-scalar', 'cpu-simd', 'cpu-multicore']) {
      const profile = loadBuiltInProfiles().find((p) => p.profile.name === name)?.profile;
      expect(
        profile?.backendOrder.some((b) => isGpuBackend(b)),
        name,
      ).toBe(false);
    }
  });
});
