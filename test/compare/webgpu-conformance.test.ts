/**
 * The webgpu backend against the oracle (the shared conformance suite, with the documented error
 * bound), plus its own promises: the bound itself on large values with small differences, exact
 * host recheck of values the device does not carry, reuse of pipelines and buffers, settings, and
 * typed failures (no adapter, device lost) instead of crashes or hangs.
 *
 * Without a WebGPU adapter the device tests are skipped, with the probe's reason in the title;
 * with WFMIRROR_REQUIRE_WEBGPU=1 (CI installs lavapipe) they run and a missing adapter fails them.
 */
import { describe, expect, it } from 'vitest';
import { WebGpuBackendError } from '../../ts/compare/backends/gpu-errors.js';
import { GPU_DEVIATION_RELATIVE_BOUND } from '../../ts/compare/backends/gpu-precision.js';
import { compareRowsSync } from '../../ts/compare/backends/js.js';
import {
  createWebGpuComparator,
  defineWebGpuBackend,
  type GpuSource,
  loadDawn,
  type WebGpuComparator,
  webgpuBackend,
} from '../../ts/compare/backends/webgpu.js';
import { findAdapter } from '../../ts/compare/backends/webgpu-device.js';
import { DeviceGuard } from '../../ts/compare/backends/webgpu-device-guard.js';
import { checkSelfTestOutputs, SELF_TEST_OUTPUT_WORDS, selfTestInputs } from '../../ts/compare/backends/webgpu-self-test.js';
import type { ComparisonResult } from '../../ts/compare/comparator.js';
import {
  expectSameResult,
  makeLayout,
  makeRows,
  prng,
  randomLayout,
  randomMatrices,
  runComparatorConformance,
} from './conformance.js';

const probe = await webgpuBackend.probe();
const required = process.env['WFMIRROR_REQUIRE_WEBGPU'] === '1';
const skip = !probe.available && !required;
const where = probe.available ? `on ${probe.detail}` : `${required ? 'REQUIRED, MISSING' : 'SKIPPED'}: ${probe.reason}`;
const bound = { relative: GPU_DEVIATION_RELATIVE_BOUND };

describe.skipIf(skip)(`webgpu backend (${where})`, () => {
  it('has a WebGPU adapter (required by WFMIRROR_REQUIRE_WEBGPU=1 in CI)', () => {
    if (!probe.available) expect.fail(probe.reason);
    expect(probe.detail).toMatch(/\S/);
  });

  runComparatorConformance('webgpu', () => webgpuBackend.create(), { deviationTolerance: bound });

  describe('precision', () => {
    it('sees 1e12 vs 1e12 + 0.01 on the device, within the bound', async () => {
      await withComparator(async (comparator) => {
        const layout = makeLayout([3], [0.001], [false]);
        const primary = makeRows(layout, [[1e12], [1e12 + 0.01], [-1e12]]);
        const mirror = makeRows(layout, [[1e12 + 0.01], [1e12], [-1e12 - 0.01]]);
        const before = comparator.stats;
        const actual = await comparator.compare(primary, mirror, layout);
        const expected = compareRowsSync(primary, mirror, layout);
        expectSameResult(actual, expected, { deviationTolerance: bound });
        expect(Array.from(actual.affected)).toEqual([1, 1, 1]);
        expect(actual.deviation[0]).toBeCloseTo(0.03, 4);
        // Decided by the shader: nothing went back to the host.
        expect(recheckedSince(comparator, before)).toBe(0);
      });
    });

    it('keeps large values with small differences within the bound (and measures the error)', async () => {
      await withComparator(async (comparator) => {
        const fields = 16;
        const rows = 4000;
        const layout = makeLayout(
          Array.from({ length: fields }, (_, j) => [1, 0.5, 7.25, 1e-3][j % 4]!),
          Array.from({ length: fields }, (_, j) => [0, 1e-9, 0, 0.5][j % 4]!),
          new Array<boolean>(fields).fill(false),
        );
        const rand = prng(77);
        const primary = new Float64Array(rows * layout.stride);
        const mirror = new Float64Array(rows * layout.stride);
        for (let i = 0; i < rows * layout.stride; i++) {
          // Magnitudes 1e3 .. 1e17, differences 1e-14 .. 1e-6 relative (the hard case for f32).
          const p = (rand() < 0.5 ? -1 : 1) * 10 ** (3 + rand() * 14) * (1 + rand());
          const relative = 10 ** -(6 + rand() * 8);
          primary[i] = p;
          mirror[i] = rand() < 0.2 ? p : p * (1 + (rand() - 0.5) * relative);
        }
        const before = comparator.stats;
        const actual = await comparator.compare(primary, mirror, layout);
        const expected = compareRowsSync(primary, mirror, layout);
        expectSameResult(actual, expected, { deviationTolerance: bound });
        const worst = worstRelativeError(actual, expected);
        expect(worst).toBeLessThanOrEqual(GPU_DEVIATION_RELATIVE_BOUND);
        // The measured error is far inside the bound (reported by the test name's neighbour below).
        expect(worst).toBeLessThan(1e-13);
        // Almost everything was decided on the device.
        expect(recheckedSince(comparator, before)).toBeLessThan(rows / 100);
      });
    });

    it('recomputes rows with values the device does not carry on the host, exactly', async () => {
      await withComparator(async (comparator) => {
        const layout = makeLayout([1, 2, 1e-300], [0, 0.5, 0], [false, false, false]);
        const specials = [
          Number.POSITIVE_INFINITY,
          Number.NEGATIVE_INFINITY,
          Number.MAX_VALUE,
          1e300,
          2 ** 60,
          1e-300,
          Number.MIN_VALUE,
          2 ** -71,
        ];
        const p: number[][] = [];
        const m: number[][] = [];
        for (const s of specials) {
          p.push([s, 1, 2]);
          m.push([1, 1, 2]);
          p.push([5, s, 2]);
          m.push([5, -s, 2]);
        }
        // And a carried row between them, answered by the device.
        p.push([1, 2, 3]);
        m.push([1.5, 2, 3]);
        const primary = makeRows(layout, p);
        const mirror = makeRows(layout, m);
        const before = comparator.stats;
        const actual = await comparator.compare(primary, mirror, layout);
        // Exact: no tolerance at all.
        expectSameResult(actual, compareRowsSync(primary, mirror, layout));
        expect(comparator.stats.hostValueRows - before.hostValueRows).toBe(specials.length * 2);
      });
    });

    it('sends close calls of d against the tolerance to the host, and gets them right', async () => {
      await withComparator(async (comparator) => {
        const fields = 4;
        const rows = 2000;
        const rand = prng(5);
        const tolerances = Array.from({ length: fields }, () => 0.1 + rand());
        const layout = makeLayout(new Array<number>(fields).fill(1), tolerances, new Array<boolean>(fields).fill(false));
        const primary = new Float64Array(rows * layout.stride);
        const mirror = new Float64Array(rows * layout.stride);
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < fields; j++) {
            const p = (rand() - 0.5) * 1e4;
            // |p - m| within a few ulps of the tolerance: the dead-band's edge.
            const d = tolerances[j]! * (1 + (Math.floor(rand() * 9) - 4) * 2 ** -52);
            primary[r * layout.stride + j] = p;
            mirror[r * layout.stride + j] = rand() < 0.5 ? p + d : p - d;
          }
        }
        const before = comparator.stats;
        const actual = await comparator.compare(primary, mirror, layout);
        expectSameResult(actual, compareRowsSync(primary, mirror, layout), { deviationTolerance: bound });
        expect(comparator.stats.uncertainRows - before.uncertainRows).toBeGreaterThan(0);
      });
    });
  });

  describe('resources', () => {
    it('builds its pipelines once and reuses its buffers for batches of the same shape', async () => {
      await withComparator(async (comparator) => {
        const layout = randomLayout(12, 3);
        const a = randomMatrices(layout, 500, 4);
        const b = randomMatrices(layout, 500, 5);
        await comparator.compare(a.primary, a.mirror, layout);
        const first = comparator.stats;
        expect(first.pipelinesCreated).toBe(4);
        await comparator.compare(b.primary, b.mirror, layout);
        await comparator.compare(a.primary, a.mirror, layout, { rowStart: 10, rowCount: 300 });
        const second = comparator.stats;
        expect(second.pipelinesCreated).toBe(4);
        expect(second.buffersCreated).toBe(first.buffersCreated);
        expect(second.compares).toBe(first.compares + 2);
        // A larger batch grows what it must, once.
        const big = randomMatrices(layout, 5000, 6);
        await comparator.compare(big.primary, big.mirror, layout);
        const grown = comparator.stats.buffersCreated;
        expect(grown).toBeGreaterThan(second.buffersCreated);
        await comparator.compare(big.primary, big.mirror, layout);
        expect(comparator.stats.buffersCreated).toBe(grown);
      });
    });

    it('describes the values as they were at the call (inputs are copied before compare returns)', async () => {
      await withComparator(async (comparator) => {
        const layout = randomLayout(8, 9);
        const { primary, mirror } = randomMatrices(layout, 300, 10);
        const expected = compareRowsSync(primary, mirror, layout);
        const pending = comparator.compare(primary, mirror, layout);
        primary.fill(123);
        mirror.fill(Number.NaN);
        layout.weights.fill(0);
        expectSameResult(await pending, expected, { deviationTolerance: bound });
      });
    });

    it('runs concurrent comparisons one after another, each with its own values', async () => {
      await withComparator(async (comparator) => {
        const layout = randomLayout(10, 11);
        const inputs = [12, 13, 14].map((seed) => randomMatrices(layout, 2000, seed));
        const results = await Promise.all(inputs.map(({ primary, mirror }) => comparator.compare(primary, mirror, layout)));
        results.forEach((result, i) => {
          expectSameResult(result, compareRowsSync(inputs[i]!.primary, inputs[i]!.mirror, layout), { deviationTolerance: bound });
        });
      });
    });
  });

  describe('settings', () => {
    for (const workgroupSize of [1, 32, 256]) {
      it(`gives the same results with workgroupSize ${workgroupSize}`, async () => {
        const comparator = await webgpuBackend.create({ workgroupSize });
        try {
          expect(comparator.workgroupSize).toBe(workgroupSize);
          const layout = randomLayout(40, 15);
          const { primary, mirror } = randomMatrices(layout, 777, 16);
          expectSameResult(await comparator.compare(primary, mirror, layout), compareRowsSync(primary, mirror, layout), {
            deviationTolerance: bound,
          });
        } finally {
          comparator.dispose();
        }
      });
    }

    it('rejects a workgroupSize the adapter cannot run', async () => {
      for (const workgroupSize of [0, 1.5, 1 << 20]) {
        await expect(webgpuBackend.create({ workgroupSize })).rejects.toMatchObject({ code: 'WEBGPU_INVALID_SETTINGS' });
      }
    });
  });

  describe('failures', () => {
    it('rejects, typed, when the device is lost during and after a comparison (no hang)', async () => {
      const devices: GPUDevice[] = [];
      const capturing = defineWebGpuBackend(async () => capture(await loadDawn(), devices));
      const comparator = await capturing.create();
      const layout = randomLayout(8, 17);
      const { primary, mirror } = randomMatrices(layout, 200_000, 18);
      const pending = comparator.compare(primary, mirror, layout);
      expect(devices).toHaveLength(1);
      devices[0]!.destroy();
      const error = await pending.then(
        () => undefined,
        (e: unknown) => e,
      );
      // The race may let the comparison finish before the loss is seen; a later one cannot.
      if (error !== undefined) expect(error).toMatchObject({ code: 'WEBGPU_DEVICE_LOST' });
      await expect(comparator.compare(primary, mirror, layout)).rejects.toMatchObject({ code: 'WEBGPU_DEVICE_LOST' });
      comparator.dispose();
    });

    it('turns WebGPU validation errors and thrown encoders into typed rejections', async () => {
      const adapter = await (await loadDawn()).requestAdapter();
      if (adapter === null) expect.fail('no adapter');
      const guard = new DeviceGuard(await adapter.requestDevice(), 'test device');
      try {
        // Usage 0 is invalid: WebGPU reports it asynchronously, the scope turns it into a rejection.
        await expect(guard.scoped('bad buffer', () => guard.device.createBuffer({ size: 16, usage: 0 }))).rejects.toMatchObject({
          code: 'WEBGPU_OPERATION_FAILED',
          message: expect.stringMatching(/test device: bad buffer failed/),
        });
        await expect(
          guard.scoped('throwing', () => {
            throw new Error('encoder bug');
          }),
        ).rejects.toMatchObject({ code: 'WEBGPU_OPERATION_FAILED', message: expect.stringMatching(/encoder bug/) });
        // The device is still usable after both.
        await guard.scoped('good buffer', () => guard.device.createBuffer({ size: 16, usage: 0x80 }).destroy());
      } finally {
        guard.dispose();
      }
      expect(() => guard.check()).toThrow(expect.objectContaining({ code: 'WEBGPU_DISPOSED' }));
    });

    it('rejects, typed, after dispose', async () => {
      const comparator = await webgpuBackend.create();
      comparator.dispose();
      const layout = randomLayout(4, 1);
      const { primary, mirror } = randomMatrices(layout, 4, 2);
      await expect(comparator.compare(primary, mirror, layout)).rejects.toMatchObject({ code: 'WEBGPU_DISPOSED' });
      comparator.dispose();
    });
  });
});

describe('webgpu backend without an adapter (injected sources, no GPU needed)', () => {
  it('reports unavailable with a reason when there is no adapter, and create rejects typed', async () => {
    const backend = defineWebGpuBackend(async () => ({ requestAdapter: async () => null }));
    const result = await backend.probe();
    expect(result.available).toBe(false);
    if (!result.available) expect(result.reason).toMatch(/no WebGPU adapter/);
    await expect(backend.create()).rejects.toBeInstanceOf(WebGpuBackendError);
    await expect(backend.create()).rejects.toMatchObject({ code: 'WEBGPU_NO_ADAPTER' });
  });

  it('reports unavailable when the package does not load or requestAdapter throws', async () => {
    const missing = defineWebGpuBackend(() => Promise.reject(new Error('Cannot find module webgpu')));
    const result = await missing.probe();
    expect(result).toMatchObject({ available: false });
    if (!result.available) expect(result.reason).toMatch(/did not load: Cannot find module webgpu/);
    await expect(missing.create()).rejects.toMatchObject({ code: 'WEBGPU_UNAVAILABLE' });

    const throwing = defineWebGpuBackend(async () => ({
      requestAdapter: () => Promise.reject(new Error('driver exploded')),
    }));
    const thrown = await throwing.probe();
    expect(thrown).toMatchObject({ available: false });
    if (!thrown.available) expect(thrown.reason).toMatch(/driver exploded/);
  });

  it('gives up on an adapter request that never answers (a hung driver must not hang the backend)', async () => {
    const hung = async () => ({ requestAdapter: () => new Promise<GPUAdapter | null>(() => undefined) });
    const found = await findAdapter(hung, 50);
    expect(found).toMatchObject({
      adapter: null,
      code: 'WEBGPU_NO_ADAPTER',
      reason: expect.stringMatching(/no answer within 50 ms/),
    });
  });

  it('caches the probe (one adapter request)', async () => {
    let calls = 0;
    const backend = defineWebGpuBackend(async () => ({
      requestAdapter: async () => {
        calls++;
        return null;
      },
    }));
    await backend.probe();
    await backend.probe();
    expect(calls).toBe(1);
  });

  it('the df64 self-test recognises arithmetic a compiler has folded to f32', () => {
    const inputs = selfTestInputs(64);
    const exact = new Float32Array(64 * SELF_TEST_OUTPUT_WORDS);
    for (let i = 0; i < 64; i++) {
      const p = inputs[i * 2]!;
      const m = inputs[i * 2 + 1]!;
      const d = Math.abs(p - m);
      const dh = Math.fround(d);
      const a = Math.fround(p);
      const b = Math.fround(m);
      const s = Math.fround(a + b);
      const q = Math.fround(a * b);
      // A pair holds 48 bits: state the pair's own error as the bound.
      exact.set([dh, Math.fround(d - dh), d * 2 ** -40, 0, s, a + b - s, q, a * b - q], i * SELF_TEST_OUTPUT_WORDS);
    }
    expect(checkSelfTestOutputs(inputs, exact)).toBeUndefined();
    // TwoSum's error term folded away, as lavapipe's compiler did before the opaque rounding.
    const folded = exact.map((v, k) => (k % SELF_TEST_OUTPUT_WORDS === 5 ? 0 : v));
    expect(checkSelfTestOutputs(inputs, folded)).toMatch(/^two_sum\(/);
    // The difference computed in f32 only (its lo part lost, and a bound of 0 as nothing was seen rounded).
    const f32Only = exact.map((v, k) => (k % SELF_TEST_OUTPUT_WORDS === 1 || k % SELF_TEST_OUTPUT_WORDS === 2 ? 0 : v));
    expect(checkSelfTestOutputs(inputs, f32Only)).toMatch(/^certified_difference\(1\.1, 2\.3\)/);
  });
});

/** A comparator for one test, disposed after it. */
async function withComparator(run: (comparator: WebGpuComparator) => Promise<void>): Promise<void> {
  const comparator = await createWebGpuComparator();
  try {
    await run(comparator);
  } finally {
    comparator.dispose();
  }
}

/** Rows recomputed on the host since `before`. */
function recheckedSince(comparator: WebGpuComparator, before: WebGpuComparator['stats']): number {
  const now = comparator.stats;
  return now.hostValueRows - before.hostValueRows + now.uncertainRows - before.uncertainRows + now.rangeRows - before.rangeRows;
}

/** A source whose adapters hand every device they open to `devices` (to lose it on purpose). */
function capture(source: GpuSource, devices: GPUDevice[]): GpuSource {
  return {
    async requestAdapter(options) {
      const adapter = await source.requestAdapter(options);
      if (adapter === null) return null;
      const requestDevice = adapter.requestDevice.bind(adapter);
      return new Proxy(adapter, {
        get(target, key) {
          if (key === 'requestDevice') {
            return async (descriptor?: GPUDeviceDescriptor) => {
              const device = await requestDevice(descriptor);
              devices.push(device);
              return device;
            };
          }
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
  };
}

/** The largest relative error of `actual`'s deviations against the oracle's (rows with deviation > 0). */
function worstRelativeError(actual: ComparisonResult, expected: ComparisonResult): number {
  let worst = 0;
  for (let r = 0; r < expected.rowCount; r++) {
    const e = expected.deviation[r]!;
    if (e > 0) worst = Math.max(worst, Math.abs(actual.deviation[r]! - e) / e);
  }
  return worst;
}
