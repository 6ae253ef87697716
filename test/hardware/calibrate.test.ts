/**
 * Calibration's arithmetic: the crossover and order it derives from timings, the profile it
 * writes (valid against the schema, chosen on the machine it was measured on, not on another),
 * and the measuring loop (median of the samples, a failing backend dropped, not fatal).
 */
import { describe, expect, it } from 'vitest';
import { createJsComparator } from '../../ts/compare/backends/js.js';
import type { Comparator } from '../../ts/compare/comparator.js';
import {
  calibratedProfile,
  calibrationInput,
  crossoverRows,
  measureBackends,
  measuredOrder,
} from '../../ts/hardware/calibrate.js';
import { chooseProfile, loadBuiltInProfiles, parseProfile } from '../../ts/hardware/index.js';
import type { MeasuredTiming } from '../../ts/hardware/types.js';
import { machines } from './machines.js';

const t = (backend: MeasuredTiming['backend'], rows: number, medianMs: number): MeasuredTiming => ({ backend, rows, medianMs });

describe('crossoverRows', () => {
  it('is the smallest size from which a GPU backend wins at every larger size', () => {
    const timings = [
      t('wasm-simd', 1000, 1),
      t('webgpu', 1000, 5),
      t('wasm-simd', 10000, 10),
      t('webgpu', 10000, 8),
      t('wasm-simd', 100000, 100),
      t('webgpu', 100000, 20),
    ];
    expect(crossoverRows(timings)).toBe(10000);
  });

  it('ignores a GPU win at a small size that is lost again at a larger one', () => {
    const timings = [
      t('js', 10, 5),
      t('webgpu', 10, 1),
      t('js', 100, 5),
      t('webgpu', 100, 9),
      t('js', 1000, 50),
      t('webgpu', 1000, 10),
    ];
    expect(crossoverRows(timings)).toBe(1000);
  });

  it('is undefined when the GPU never wins, or no GPU backend ran', () => {
    expect(crossoverRows([t('wasm-simd', 10, 1), t('webgpu', 10, 2)])).toBeUndefined();
    expect(crossoverRows([t('wasm-simd', 10, 1), t('js', 10, 2)])).toBeUndefined();
  });
});

describe('measuredOrder', () => {
  it('ranks by time on the largest batch and keeps js last', () => {
    const timings = [
      t('js', 100, 1),
      t('wasm-simd', 100, 3),
      t('webgpu', 100, 2),
      t('js', 1000, 40),
      t('wasm-simd', 1000, 10),
      t('webgpu', 1000, 30),
      t('piscina', 1000, 6),
    ];
    expect(measuredOrder(timings)).toEqual(['piscina', 'wasm-simd', 'webgpu', 'js']);
  });
});

describe('calibratedProfile', () => {
  const base = loadBuiltInProfiles().find((f) => f.profile.name === 'software-vulkan')!.profile;
  const timings = [
    t('wasm-simd', 1024, 0.1),
    t('webgpu', 1024, 3),
    t('js', 1024, 0.3),
    t('wasm-simd', 8192, 0.8),
    t('webgpu', 8192, 9),
    t('js', 8192, 2),
  ];
  const profile = calibratedProfile(
    base,
    machines.lavapipe,
    { rows: [1024, 8192], fieldCount: 32, samples: 3 },
    timings,
    new Date('2026-11-26T00:00:00Z'),
  );

  it('validates against the schema and records what was measured', () => {
    expect(() => parseProfile(JSON.parse(JSON.stringify(profile)), 'calibrated')).not.toThrow();
    expect(profile.backendOrder).toEqual(['wasm-simd', 'webgpu', 'js']);
    expect(profile.crossoverRows).toBe(0);
    expect(profile.measured?.timings).toHaveLength(6);
    expect(profile.measured?.fieldCount).toBe(32);
    expect(profile.description).toMatch(/no GPU backend beat the CPU/);
  });

  it('is chosen over the built-in profiles on the machine it was measured on, and not on another', () => {
    const all = [...loadBuiltInProfiles().map((f) => f.profile), profile];
    expect(chooseProfile(machines.lavapipe, all).profile.name).toBe('calibrated-software-vulkan');
    expect(chooseProfile(machines.h100, all).profile.name).not.toBe('calibrated-software-vulkan');
  });
});

describe('measureBackends', () => {
  it('keeps the median of the samples per backend and size, and drops a backend that throws', async () => {
    let clock = 0;
    const durations = [5, 1, 3]; // per sample of the timed backend, after its warm-up
    let call = 0;
    const js = createJsComparator();
    const timed: Comparator = {
      name: 'timed',
      async compare(...args) {
        // The warm-up is call 0; samples 1..3 advance the fake clock by the listed durations.
        if (call > 0) clock += durations[(call - 1) % durations.length]!;
        call++;
        return js.compare(...args);
      },
      dispose() {},
    };
    const broken: Comparator = {
      name: 'broken',
      compare: async () => {
        throw new Error('device lost');
      },
      dispose() {},
    };
    const { timings, failed } = await measureBackends(
      [
        { name: 'wasm-simd', comparator: timed },
        { name: 'webgpu', comparator: broken },
      ],
      { rows: [16], fieldCount: 8, samples: 3 },
      undefined,
      () => clock,
    );
    expect(timings).toEqual([{ backend: 'wasm-simd', rows: 16, medianMs: 3, samples: 3 }]);
    expect(failed).toEqual([{ backend: 'webgpu', reason: 'device lost' }]);
  });

  it('makes the given share of rows differ, in one to three fields each', () => {
    for (const share of [0.25, 0.01]) {
      const { layout, primary, mirror } = calibrationInput(20000, 32, undefined, share);
      expect(layout.stride).toBe(32);
      let rowsDiffering = 0;
      for (let r = 0; r < 20000; r++) {
        let fields = 0;
        for (let j = 0; j < 32; j++) if (primary[r * 32 + j] !== mirror[r * 32 + j]) fields++;
        expect(fields).toBeLessThanOrEqual(3);
        if (fields > 0) rowsDiffering++;
      }
      expect(rowsDiffering / 20000).toBeGreaterThan(share * 0.8);
      expect(rowsDiffering / 20000).toBeLessThan(share * 1.2);
    }
  });
});
