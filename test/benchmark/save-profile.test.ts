/** The profile a bench run saves: valid, ordered by the measured medians with js last, for this machine, from the base profile. */
import { describe, expect, it } from 'vitest';
import { NothingMeasuredError } from '../../ts/benchmark/errors.js';
import { benchmarkProfile } from '../../ts/benchmark/save-profile.js';
import { loadBuiltInProfiles } from '../../ts/hardware/profiles.js';
import { validateProfile } from '../../ts/hardware/validate-profile.js';
import { fixtureReport, timed } from './report-fixture.js';

const base = loadBuiltInProfiles().find((p) => p.profile.name === 'software-vulkan')!.profile;

describe('benchmarkProfile', () => {
  it('orders the measured backends by median, js last, and validates against the profile schema', () => {
    const profile = benchmarkProfile(fixtureReport(), base);
    expect(validateProfile(profile)).toEqual([]);
    expect(profile.name).toBe('bench-software-vulkan');
    // piscina 7 ms, wasm-simd 8, webgpu 200, then js; the failed and unavailable ones are left out.
    expect(profile.backendOrder).toEqual(['piscina', 'wasm-simd', 'webgpu', 'js']);
    expect(profile.crossoverRows).toBe(0);
    expect(profile.workers).toBe(2);
    expect(profile.priority).toBe(base.priority + 1000);
    expect(profile.match).toMatchObject({ softwareGpu: true, wasmSimd: true, minCores: 2, platform: 'linux', arch: 'x64' });
    expect(profile.measured?.timings).toEqual([
      { backend: 'js', rows: 262_144, medianMs: 30, samples: 20 },
      { backend: 'wasm-simd', rows: 262_144, medianMs: 8, samples: 20 },
      { backend: 'piscina', rows: 262_144, medianMs: 7, samples: 20 },
      { backend: 'webgpu', rows: 262_144, medianMs: 200, samples: 20 },
    ]);
    expect(profile.description).toMatch(/^Measured by wfmirror bench on .* from the software-vulkan profile/);
    expect(profile.minRowsPerWorker).toBe(base.minRowsPerWorker);
  });

  it('puts a GPU backend first with the measured size as the crossover when it was the fastest', () => {
    const report = fixtureReport([
      {
        backend: 'js',
        status: 'measured',
        detail: '',
        maxRelativeError: 0,
        ...timed(30),
        rooflineThreads: 1,
        percentOfRoofline: null,
        speedupOverBaseline: null,
      },
      {
        backend: 'webgpu',
        status: 'measured',
        detail: '',
        maxRelativeError: 0,
        ...timed(2),
        rooflineThreads: 1,
        percentOfRoofline: null,
        speedupOverBaseline: null,
      },
    ]);
    const profile = benchmarkProfile(report, base);
    expect(profile.backendOrder).toEqual(['webgpu', 'js']);
    expect(profile.crossoverRows).toBe(262_144);
  });

  it('refuses to save a profile when nothing was measured', () => {
    const report = fixtureReport([{ backend: 'js', status: 'failed', stage: 'check', reason: 'x' }]);
    expect(() => benchmarkProfile(report, base)).toThrow(NothingMeasuredError);
  });
});
