/**
 * The gpujs backend against the oracle, once per gpu.js mode that works here (webgpu, webasm, cpu),
 * with the documented error bound, plus the precision and host-recheck promises it shares with the
 * webgpu backend. A mode that does not work is skipped with its reason in the title; with
 * WFMIRROR_REQUIRE_GPUJS_WEBGPU=1 (CI, on lavapipe) the webgpu mode must work. It is a variable of its
 * own because gpu.js's webgpu mode fails its df64 self-check on an NVIDIA H100 (its compiled
 * arithmetic loses the low part) and is refused there by design, while our own WGSL passes.
 */
import { describe, expect, it } from 'vitest';
import { GPU_DEVIATION_RELATIVE_BOUND } from '../../ts/compare/backends/gpu-precision.js';
import { GPUJS_MODES, type GpuJsComparator, gpujsBackend } from '../../ts/compare/backends/gpujs.js';
import { checkMode } from '../../ts/compare/backends/gpujs-modes.js';
import { compareRowsSync } from '../../ts/compare/backends/js.js';
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

const bound = { relative: GPU_DEVIATION_RELATIVE_BOUND };
const webgpuRequired = process.env['WFMIRROR_REQUIRE_GPUJS_WEBGPU'] === '1';

for (const mode of GPUJS_MODES) {
  const check = await checkMode(mode);
  const required = mode === 'webgpu' && webgpuRequired;
  const title = check.works
    ? `works, ${check.float64 ? 'float64' : 'f32'} arithmetic`
    : `${required ? 'REQUIRED, MISSING' : 'SKIPPED'}: ${check.reason}`;

  describe.skipIf(!check.works && !required)(`gpujs backend, mode ${mode} (${title})`, () => {
    it('works here', () => {
      if (!check.works) expect.fail(`gpu.js ${mode} mode does not work: ${check.reason}`);
    });

    runComparatorConformance(`gpujs ${mode}`, () => gpujsBackend.create({ gpujsMode: mode }), { deviationTolerance: bound });

    it('sees 1e12 vs 1e12 + 0.01 and keeps large values with small differences within the bound', async () => {
      await withComparator(mode, async (comparator) => {
        const layout = makeLayout([3, 1, 0.5, 7.25], [0.001, 0, 1e-9, 0], [false, false, false, false]);
        const rand = prng(31);
        const rows: number[][] = [[1e12, 1, 1, 1]];
        const mirrorRows: number[][] = [[1e12 + 0.01, 1, 1, 1]];
        for (let r = 0; r < 2000; r++) {
          const p = [0, 1, 2, 3].map(() => (rand() < 0.5 ? -1 : 1) * 10 ** (3 + rand() * 14) * (1 + rand()));
          rows.push(p);
          mirrorRows.push(p.map((x) => (rand() < 0.2 ? x : x * (1 + (rand() - 0.5) * 10 ** -(6 + rand() * 8)))));
        }
        const primary = makeRows(layout, rows);
        const mirror = makeRows(layout, mirrorRows);
        const actual = await comparator.compare(primary, mirror, layout);
        const expected = compareRowsSync(primary, mirror, layout);
        expectSameResult(actual, expected, { deviationTolerance: bound });
        expect(actual.affected[0]).toBe(1);
        expect(actual.deviation[0]).toBeCloseTo(0.03, 4);
        const worst = worstRelativeError(actual, expected);
        expect(worst).toBeLessThan(1e-13);
        const { hostValueRows, uncertainRows, rangeRows } = comparator.stats;
        expect(hostValueRows + uncertainRows + rangeRows).toBeLessThan(expected.rowCount / 100);
      });
    });

    it('recomputes rows with values the kernel does not carry on the host, exactly', async () => {
      await withComparator(mode, async (comparator) => {
        const layout = makeLayout([1, 2], [0, 0.5], [false, false]);
        const specials = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MAX_VALUE, 1e300, 1e-300, Number.MIN_VALUE];
        const primary = makeRows(layout, [...specials.map((s) => [s, 1]), [1, 2]]);
        const mirror = makeRows(layout, [...specials.map((s) => [-s, 1]), [1.5, 2]]);
        const actual = await comparator.compare(primary, mirror, layout);
        expectSameResult(actual, compareRowsSync(primary, mirror, layout));
        expect(comparator.stats.hostValueRows).toBe(specials.length);
      });
    });

    it('handles more than 32 fields (mask words from 16-field outputs) and many chunks', async () => {
      await withComparator(mode, async (comparator) => {
        const layout = randomLayout(70, 41);
        const { primary, mirror } = randomMatrices(layout, 3000, 42);
        expectSameResult(await comparator.compare(primary, mirror, layout), compareRowsSync(primary, mirror, layout), {
          deviationTolerance: bound,
        });
      });
    });
  });
}

describe('gpujs backend', () => {
  it('probes which modes work, and creates its default mode', async () => {
    const probe = await gpujsBackend.probe();
    const checks = await Promise.all(GPUJS_MODES.map(checkMode));
    if (checks.some((c) => c.works)) {
      expect(probe.available).toBe(true);
      if (probe.available) {
        for (const c of checks) if (c.works) expect(probe.detail).toContain(c.mode);
      }
      const comparator = await gpujsBackend.create();
      expect(checks.find((c) => c.mode === comparator.mode)?.works).toBe(true);
      comparator.dispose();
    } else {
      expect(probe.available).toBe(false);
    }
  });

  it('rejects, typed, an unknown mode and use after dispose', async () => {
    await expect(gpujsBackend.create({ gpujsMode: 'webgl' as 'cpu' })).rejects.toMatchObject({ code: 'GPUJS_MODE_UNAVAILABLE' });
    const cpu = await checkMode('cpu');
    if (!cpu.works) return;
    const comparator = await gpujsBackend.create({ gpujsMode: 'cpu' });
    comparator.dispose();
    const layout = randomLayout(3, 1);
    const { primary, mirror } = randomMatrices(layout, 2, 2);
    await expect(comparator.compare(primary, mirror, layout)).rejects.toMatchObject({ code: 'GPUJS_DISPOSED' });
  });
});

async function withComparator(
  mode: (typeof GPUJS_MODES)[number],
  run: (comparator: GpuJsComparator) => Promise<void>,
): Promise<void> {
  const comparator = await gpujsBackend.create({ gpujsMode: mode });
  try {
    await run(comparator);
  } finally {
    comparator.dispose();
  }
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
