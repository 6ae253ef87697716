/**
 * A whole bench run, small (4,096 x 8, 20 ms per case): every backend of the registry is in the
 * report, measured with finite positive numbers where its probe says it runs here, or with the
 * probe's reason; the relative columns come from this run's own roofline and baseline; the JSON
 * shape is the documented one. Then a run with broken backends: each is reported at the stage it
 * failed, and the others are still measured. No assertion is about speed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BASELINE_NAME } from '../../ts/benchmark/baseline-case.js';
import { benchmarkPlan } from '../../ts/benchmark/plan.js';
import { type BenchmarkReport, measuredBackends, rooflineFor } from '../../ts/benchmark/report.js';
import { runBenchmark } from '../../ts/benchmark/run-benchmark.js';
import { BACKEND_NAMES, type BackendDefinition, type BackendName } from '../../ts/compare/backend.js';
import { BACKENDS, probeBackends } from '../../ts/compare/backend-registry.js';
import { createJsComparator } from '../../ts/compare/backends/js.js';
import type { Comparator } from '../../ts/compare/comparator.js';
import { detectMachine } from '../../ts/hardware/detect.js';

const SMALL = { rows: 4096, fieldCount: 8, timeMs: 20, threads: 2 };

let report: BenchmarkReport;
let probes: Awaited<ReturnType<typeof probeBackends>>;
const progress: string[] = [];

beforeAll(async () => {
  probes = await probeBackends();
  report = await runBenchmark(benchmarkPlan(SMALL), { machine: await detectMachine(), onProgress: (l) => progress.push(l) });
});

const positiveFinite = (x: number) => Number.isFinite(x) && x > 0;

describe('runBenchmark on this machine', () => {
  it('lists every backend of the registry, in order: measured where its probe says it runs, else with the reason', () => {
    expect(report.backends.map((b) => b.backend)).toEqual([...BACKEND_NAMES]);
    for (const entry of report.backends) {
      const probe = probes[entry.backend];
      if (probe.available) {
        expect(entry, `${entry.backend} should have been measured`).toMatchObject({ status: 'measured', detail: probe.detail });
      } else {
        expect(entry).toEqual({ backend: entry.backend, status: 'unavailable', reason: probe.reason });
      }
    }
    expect(progress).toHaveLength(report.roofline.length + 1 + BACKEND_NAMES.length);
  });

  it('gives every measured case finite positive numbers, with rates that follow from its median', () => {
    const cases = [...report.roofline, report.baseline, ...report.backends].filter((c) => c.status === 'measured');
    expect(cases.length).toBeGreaterThanOrEqual(4); // two rooflines, the baseline, js at least
    for (const c of cases) {
      for (const x of [c.medianMs, c.minMs, c.samples, c.threads, c.rowsPerSecond, c.gigabytesPerSecond])
        expect(positiveFinite(x)).toBe(true);
      expect(c.minMs).toBeLessThanOrEqual(c.medianMs);
      expect(c.samples).toBeGreaterThanOrEqual(1);
      expect(c.rowsPerSecond).toBeCloseTo(SMALL.rows / (c.medianMs / 1000), 6);
      expect(c.gigabytesPerSecond).toBeCloseTo(report.plan.bytesPerComparison / (c.medianMs / 1000) / 1e9, 9);
    }
  });

  it("relates each backend to the same run's roofline of its thread count and to the same run's baseline", () => {
    expect(report.roofline.map((r) => r.threads)).toEqual([1, 2]);
    expect(report.baseline.status).toBe('measured');
    if (report.baseline.status !== 'measured') return;
    const baselineMs = report.baseline.medianMs;
    for (const b of measuredBackends(report)) {
      expect(b.rooflineThreads).toBe(b.backend === 'piscina' ? 2 : 1);
      expect(b.threads).toBe(b.rooflineThreads);
      const roof = rooflineFor(report, b.rooflineThreads);
      expect(roof, 'the roofline ran').toBeDefined();
      expect(b.percentOfRoofline).toBeCloseTo((roof!.medianMs / b.medianMs) * 100, 9);
      expect(b.speedupOverBaseline).toBeCloseTo(baselineMs / b.medianMs, 9);
      // Checked before timed: the wasm kernels bit-exact, the GPU paths within their documented bound.
      expect(b.maxRelativeError).toBeLessThanOrEqual(2 ** -32);
      if (b.backend === 'js' || b.backend.startsWith('wasm') || b.backend === 'piscina') expect(b.maxRelativeError).toBe(0);
    }
    expect(report.baseline.speedupOverBaseline).toBe(1);
  });

  it('writes the documented JSON shape, and it survives a JSON round trip unchanged', () => {
    expect(Object.keys(report)).toEqual(['format', 'date', 'machine', 'plan', 'roofline', 'baseline', 'backends']);
    expect(report.format).toBe('wfmirror-bench/1');
    expect(Object.keys(report.plan).sort()).toEqual(
      [
        'backends',
        'bytesPerComparison',
        'differingRowShare',
        'fieldCount',
        'minSamples',
        'rows',
        'stride',
        'threads',
        'timeMs',
      ].sort(),
    );
    expect(Object.keys(report.machine).sort()).toEqual(
      ['arch', 'cores', 'cpu', 'memoryGiB', 'nodeVersion', 'platform', 'wasmSimd', 'webgpu'].sort(),
    );
    const measurement = ['gigabytesPerSecond', 'medianMs', 'minMs', 'rowsPerSecond', 'samples', 'threads'];
    const relative = ['percentOfRoofline', 'rooflineThreads', 'speedupOverBaseline'];
    for (const r of report.roofline) expect(Object.keys(r).sort()).toEqual(['status', ...measurement].sort());
    expect(Object.keys(report.baseline).sort()).toEqual(['name', 'status', ...measurement, ...relative].sort());
    expect(report.baseline).toMatchObject({ name: BASELINE_NAME });
    for (const b of report.backends) {
      const keys =
        b.status === 'measured'
          ? ['backend', 'status', 'detail', 'maxRelativeError', ...measurement, ...relative]
          : b.status === 'unavailable'
            ? ['backend', 'status', 'reason']
            : ['backend', 'status', 'stage', 'reason'];
      expect(Object.keys(b).sort()).toEqual(keys.sort());
    }
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

/** A js comparator whose answers are spoiled by `spoil` from call number `from` on (the first call is the check). */
function spoiled(from: number, spoil: (deviation: Float64Array) => void): Comparator {
  const js = createJsComparator();
  let calls = 0;
  return {
    name: 'spoiled',
    async compare(primary, mirror, layout, options) {
      calls += 1;
      const result = await js.compare(primary, mirror, layout, options);
      if (calls >= from) spoil(result.deviation);
      return result;
    },
    dispose: () => undefined,
  };
}

function fake(name: BackendName, create: () => Promise<Comparator>, available = true): BackendDefinition {
  return {
    name,
    probe: async () =>
      available ? { available: true, detail: `fake ${name}` } : { available: false, reason: `no ${name} on this test machine` },
    create,
  };
}

describe('runBenchmark with broken backends', () => {
  it('reports each at the stage it failed with the reason, and still measures the others', async () => {
    const definitions: Record<BackendName, BackendDefinition> = {
      ...BACKENDS,
      'wasm-simd': fake('wasm-simd', async () =>
        spoiled(1, (d) => {
          d[7] = (d[7] ?? 0) + 1;
        }),
      ),
      'wasm-scalar': fake('wasm-scalar', async () => {
        throw new Error('cannot create wasm-scalar here');
      }),
      piscina: fake('piscina', async () =>
        spoiled(2, () => {
          throw new Error('worker died');
        }),
      ),
      webgpu: fake('webgpu', async () => createJsComparator(), false),
    };
    const plan = benchmarkPlan({
      ...SMALL,
      rows: 512,
      timeMs: 5,
      backends: ['js', 'wasm-simd', 'wasm-scalar', 'piscina', 'webgpu'],
    });
    const result = await runBenchmark(plan, { machine: await detectMachine(), definitions });
    const byName = Object.fromEntries(result.backends.map((b) => [b.backend, b]));
    expect(byName['js']).toMatchObject({ status: 'measured' });
    expect(byName['wasm-simd']).toMatchObject({ status: 'failed', stage: 'check' });
    expect(byName['wasm-simd']).toHaveProperty(
      'reason',
      expect.stringMatching(/^wasm-simd disagrees with the js reference: row 7 deviation/),
    );
    expect(byName['wasm-scalar']).toEqual({
      backend: 'wasm-scalar',
      status: 'failed',
      stage: 'create',
      reason: 'cannot create wasm-scalar here',
    });
    expect(byName['piscina']).toEqual({ backend: 'piscina', status: 'failed', stage: 'measure', reason: 'worker died' });
    expect(byName['webgpu']).toEqual({ backend: 'webgpu', status: 'unavailable', reason: 'no webgpu on this test machine' });
    expect(result.backends.map((b) => b.backend)).toEqual(['js', 'wasm-simd', 'wasm-scalar', 'piscina', 'webgpu']);
  });
});
