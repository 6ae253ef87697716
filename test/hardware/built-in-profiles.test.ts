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
      // None has been through `wfmirror calibrate` yet; a profile must not pretend otherwise.
      expect(profile.measured, profile.name).toBeUndefined();
      expect(profile.description, profile.name).toMatch(/not measured|expected|guess/i);
    }
  });

  it('keep the GPU out of the way where it is a software rasteriser', () => {
    const software = loadBuiltInProfiles().find((p) => p.profile.name === 'software-vulkan')?.profile;
    expect(software?.backendOrder.slice(-2)).toEqual(['webgpu', 'js']);
    expect(software !== undefined && cpuBackendOf(software)).toBe(software?.backendOrder[0]);
  });

  it('send large batches to the GPU first on the hardware-GPU profiles', () => {
    for (const name of ['nvidia-h100', 'nvidia-h200', 'apple-silicon', 'generic-gpu']) {
      const profile = loadBuiltInProfiles().find((p) => p.profile.name === name)?.profile;
      expect(profile?.backendOrder[0], name).toBe('webgpu');
      expect(profile?.crossoverRows, name).toBeGreaterThan(0);
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
