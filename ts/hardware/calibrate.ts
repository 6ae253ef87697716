/**
 * `wfmirror calibrate`, the measuring part: times every backend that can run here on batches of
 * growing size, finds the batch size from which the fastest GPU backend beats the fastest CPU
 * one (the crossover), and turns that into a hardware profile that matches this machine. The
 * profile is plain data; the CLI writes it where `accelerator.profile` can load it.
 */
import { hostname } from 'node:os';
import { median } from '../benchmark/sampling.js';
import type { BackendName } from '../compare/backend.js';
import type { Comparator, ComparisonLayout } from '../compare/comparator.js';
import { isGpuBackend } from './profile-use.js';
import type { HardwareProfile, MachineFacts, MeasuredTiming, ProfileMatch } from './types.js';

/** What to measure. */
export interface CalibrationPlan {
  /** Batch sizes in rows, ascending. */
  readonly rows: readonly number[];
  readonly fieldCount: number;
  /** Timed runs per backend and size (after one unmeasured warm-up); the median is kept. */
  readonly samples: number;
}

export const DEFAULT_PLAN: CalibrationPlan = { rows: [1024, 8192, 65536, 262144, 1048576], fieldCount: 32, samples: 5 };

/** A backend ready to be timed. */
export interface CalibrationSubject {
  readonly name: BackendName;
  readonly comparator: Comparator;
}

/**
 * Deterministic test matrices shaped like a fleet: `differingRowShare` of the rows differ from
 * their mirror in one to three fields (numeric and categorical), the others agree bit for bit, as
 * most instances of a healthy fleet do. Default 0.25: a stressed fleet, so every path of the rule
 * runs and the kernels cannot only skip.
 */
export function calibrationInput(
  rows: number,
  fieldCount: number,
  allocate: (length: number) => Float64Array = (n) => new Float64Array(n),
  differingRowShare = 0.25,
): { layout: ComparisonLayout; primary: Float64Array; mirror: Float64Array } {
  const stride = Math.ceil(fieldCount / 4) * 4;
  const weights = new Float64Array(fieldCount).fill(1);
  const tolerances = new Float64Array(fieldCount).fill(1e-9);
  const categorical = new Uint8Array(fieldCount).map((_, j) => (j % 4 === 3 ? 1 : 0));
  const primary = allocate(rows * stride);
  const mirror = allocate(rows * stride);
  // mulberry32: deterministic, and uniform enough that the differing share is the one asked for.
  let seed = 0x2545f491;
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  for (let r = 0; r < rows; r++) {
    const base = r * stride;
    for (let j = 0; j < fieldCount; j++) primary[base + j] = next();
    mirror.set(primary.subarray(base, base + fieldCount), base);
    if (next() < differingRowShare) {
      const fields = 1 + Math.floor(next() * 3);
      for (let k = 0; k < fields; k++) mirror[base + Math.floor(next() * fieldCount)]! += 1;
    }
  }
  return { layout: { fieldCount, stride, weights, tolerances, categorical }, primary, mirror };
}

/**
 * Times every subject on every size of the plan. A subject that throws is dropped from the rest
 * of the run and reported in `failed` (calibration goes on with the others).
 */
export async function measureBackends(
  subjects: readonly CalibrationSubject[],
  plan: CalibrationPlan,
  allocate?: (length: number) => Float64Array,
  now: () => number = () => performance.now(),
): Promise<{ timings: MeasuredTiming[]; failed: { backend: BackendName; reason: string }[] }> {
  const largest = plan.rows[plan.rows.length - 1] ?? 0;
  const input = calibrationInput(largest, plan.fieldCount, allocate);
  const timings: MeasuredTiming[] = [];
  const failed: { backend: BackendName; reason: string }[] = [];
  for (const rows of plan.rows) {
    for (const subject of subjects) {
      if (failed.some((f) => f.backend === subject.name)) continue;
      try {
        const run = () => subject.comparator.compare(input.primary, input.mirror, input.layout, { rowStart: 0, rowCount: rows });
        await run();
        const times: number[] = [];
        for (let i = 0; i < plan.samples; i++) {
          const start = now();
          await run();
          times.push(now() - start);
        }
        timings.push({ backend: subject.name, rows, medianMs: median(times), samples: plan.samples });
      } catch (error) {
        failed.push({ backend: subject.name, reason: error instanceof Error ? error.message : String(error) });
      }
    }
  }
  return { timings, failed };
}

/** The fastest backend of a kind at each size. */
function fastest(timings: readonly MeasuredTiming[], rows: number, gpu: boolean): MeasuredTiming | undefined {
  let best: MeasuredTiming | undefined;
  for (const t of timings) {
    if (t.rows !== rows || isGpuBackend(t.backend) !== gpu) continue;
    if (best === undefined || t.medianMs < best.medianMs) best = t;
  }
  return best;
}

/**
 * The smallest measured size from which the fastest GPU backend is faster than the fastest CPU
 * backend at that size and every larger one; undefined when the GPU never wins (or none ran).
 */
export function crossoverRows(timings: readonly MeasuredTiming[]): number | undefined {
  const sizes = [...new Set(timings.map((t) => t.rows))].sort((a, b) => a - b);
  let crossover: number | undefined;
  for (let i = sizes.length - 1; i >= 0; i--) {
    const rows = sizes[i]!;
    const gpu = fastest(timings, rows, true);
    const cpu = fastest(timings, rows, false);
    if (gpu === undefined || cpu === undefined || gpu.medianMs >= cpu.medianMs) break;
    crossover = rows;
  }
  return crossover;
}

/**
 * The backend order the measurements support: at the largest size, fastest first (GPU backends
 * only ahead of CPU ones when they won there), then `js` last as the guaranteed fallback.
 */
export function measuredOrder(timings: readonly MeasuredTiming[]): BackendName[] {
  const largest = Math.max(...timings.map((t) => t.rows));
  const ranked = timings
    .filter((t) => t.rows === largest && t.backend !== 'js')
    .sort((a, b) => a.medianMs - b.medianMs)
    .map((t) => t.backend);
  return [...ranked, 'js'];
}

/** Match rules that single out this machine (so a user profile does not apply on another one). */
export function matchFor(facts: MachineFacts): ProfileMatch {
  const gpu = facts.webgpu.available ? facts.webgpu.adapter : undefined;
  return {
    wasmSimd: facts.wasmSimd,
    minCores: facts.cores,
    platform: facts.platform,
    arch: facts.arch,
    ...(gpu !== undefined
      ? {
          gpuVendor: gpu.vendor,
          softwareGpu: gpu.software,
          ...(gpu.description !== '' ? { gpuDescriptionIncludes: gpu.description } : {}),
        }
      : {}),
  };
}

/** The profile calibration writes: the base profile's settings with the measured order and crossover. */
export function calibratedProfile(
  base: HardwareProfile,
  facts: MachineFacts,
  plan: CalibrationPlan,
  timings: readonly MeasuredTiming[],
  date: Date,
): HardwareProfile {
  const crossover = crossoverRows(timings);
  const order = measuredOrder(timings);
  const gpuWins = crossover !== undefined;
  const summary = gpuWins
    ? `a GPU backend is faster from ${crossover} rows on`
    : 'no GPU backend beat the CPU at any measured size, so GPU backends come after the CPU ones';
  const { $schema: _schema, measured: _measured, ...settings } = base;
  return {
    $schema: '../schemas/hardware-profile.schema.json',
    ...settings,
    name: `calibrated-${base.name}`,
    description: `Measured by wfmirror calibrate on ${hostname()} (${date.toISOString().slice(0, 10)}) from the ${base.name} profile: ${summary}; backends ordered by their time on ${Math.max(...plan.rows)} rows x ${plan.fieldCount} fields.`,
    match: matchFor(facts),
    // Above every built-in profile, so that loading the file makes it the one chosen here.
    priority: base.priority + 1000,
    backendOrder: order,
    crossoverRows: crossover ?? 0,
    measured: { date: date.toISOString(), machine: hostname(), fieldCount: plan.fieldCount, timings: [...timings] },
  };
}
