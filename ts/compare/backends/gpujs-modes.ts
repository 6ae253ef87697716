/**
 * Which gpu.js modes work here, found by running them, not by asking gpu.js: each mode builds the
 * compare kernel and must answer a known-answer case like the oracle (a mode whose compiler folds
 * the df64 arithmetic back to f32 fails it). Measured on the development machine (Node 20, no GPU,
 * Mesa lavapipe): `webgpu` (gpu.js's WGSL through Dawn on lavapipe), `webasm` (WebAssembly, f32)
 * and `cpu` (plain JavaScript, float64 with f32 outputs) all work; gpu.js's GL modes do not exist in
 * Node without the `gl` package, which this project skips.
 */

import type { ComparisonLayout } from '../comparator.js';
import { GPU_DEVIATION_RELATIVE_BOUND } from './gpu-precision.js';
import { createGpuJsComparator } from './gpujs-comparator.js';
import type { GpuJsMode } from './gpujs-loader.js';
import { GpuJsRunner } from './gpujs-runner.js';
import { compareRowsSync } from './js.js';
import { describe, findAdapter, loadDawn } from './webgpu-device.js';

/** Every mode this backend can use, fastest first on hardware that has a GPU. */
export const GPUJS_MODES: readonly GpuJsMode[] = ['webgpu', 'webasm', 'cpu'];

/** Whether a mode works here, and why not. */
export type ModeCheck =
  | { readonly mode: GpuJsMode; readonly works: true; readonly float64: boolean }
  | { readonly mode: GpuJsMode; readonly works: false; readonly reason: string };

const checks = new Map<GpuJsMode, Promise<ModeCheck>>();

/** Checks `mode` once per process (building a kernel costs up to a second). Never throws. */
export function checkMode(mode: GpuJsMode): Promise<ModeCheck> {
  let check = checks.get(mode);
  if (check === undefined) {
    check = runCheck(mode);
    checks.set(mode, check);
  }
  return check;
}

/**
 * The mode used when none is asked for: webgpu on a hardware adapter; else cpu, then webasm; webgpu
 * on a software adapter last (lavapipe computes on the same CPU cores, behind gpu.js's copies).
 * cpu before webasm is measured, not assumed: for 1,000,000 rows x 32 fields on the development
 * machine cpu took 1.1 s, webasm 1.5 s, webgpu on lavapipe 4.3 s (the kernel is branchy, which
 * gpu.js's f32x4 lowering does not help, while V8 optimises it as plain float64 code).
 */
export async function defaultMode(): Promise<ModeCheck> {
  const results = await Promise.all(GPUJS_MODES.map(checkMode));
  const working = (mode: GpuJsMode): ModeCheck | undefined => results.find((r) => r.mode === mode && r.works);
  const webgpu = working('webgpu');
  if (webgpu !== undefined && !(await softwareAdapter())) return webgpu;
  return working('cpu') ?? working('webasm') ?? webgpu ?? results[0]!;
}

async function softwareAdapter(): Promise<boolean> {
  const found = await findAdapter(loadDawn);
  if (found.adapter === null) return true;
  const info = found.adapter.info;
  return (
    info.isFallbackAdapter === true ||
    info.architecture === 'software' ||
    /llvmpipe|lavapipe|swiftshader|warp/i.test(info.description)
  );
}

async function runCheck(mode: GpuJsMode): Promise<ModeCheck> {
  let runner: GpuJsRunner;
  try {
    runner = await GpuJsRunner.open(mode);
  } catch (error) {
    return { mode, works: false, reason: describe(error) };
  }
  const comparator = createGpuJsComparator(runner);
  try {
    const { layout, primary, mirror } = knownAnswerCase();
    const actual = await comparator.compare(primary, mirror, layout);
    const expected = compareRowsSync(primary, mirror, layout);
    for (let r = 0; r < expected.rowCount; r++) {
      const e = expected.deviation[r]!;
      if (Math.abs(actual.deviation[r]! - e) > GPU_DEVIATION_RELATIVE_BOUND * e || actual.affected[r] !== expected.affected[r]) {
        return {
          mode,
          works: false,
          reason: `gpu.js ${mode}: row ${r} gave ${actual.deviation[r]}, expected ${e} (df64 arithmetic unsound)`,
        };
      }
    }
    if (comparator.stats.uncertainRows + comparator.stats.rangeRows + comparator.stats.hostValueRows > 0) {
      return { mode, works: false, reason: `gpu.js ${mode}: rows of the known-answer case were left to the host` };
    }
    return { mode, works: true, float64: runner.float64 };
  } catch (error) {
    return { mode, works: false, reason: describe(error) };
  } finally {
    comparator.dispose();
  }
}

/** Rows whose right answers need df64 (chained TwoSums, TwoProduct) but no host recheck. */
function knownAnswerCase(): { layout: ComparisonLayout; primary: Float64Array; mirror: Float64Array } {
  const layout: ComparisonLayout = {
    fieldCount: 3,
    stride: 4,
    weights: Float64Array.of(1, 12.3, 2.5),
    tolerances: Float64Array.of(0, 0.001, 0),
    categorical: Uint8Array.of(0, 0, 1),
  };
  const primary = Float64Array.of(1.1, 1e12 + 0.01, 1, 0, 123456.789, 0.1 + 0.2, 4, 0, Number.NaN, 7, 3, 0);
  const mirror = Float64Array.of(2.3, 1e12, 2, 0, 2.3, 0.3, 4, 0, 5, 7.5, 3, 0);
  return { layout, primary, mirror };
}
