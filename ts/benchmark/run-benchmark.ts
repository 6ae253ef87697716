/**
 * One `wfmirror bench` run: builds the fleet, measures the rooflines and the baseline, then every
 * backend of the plan one after the other (each created, checked, timed and disposed before the
 * next, so no idle pool or device of another backend shares the machine with it), and relates each
 * to the yardsticks of the same run.
 */
import { cpus } from 'node:os';
import type { BackendDefinition, BackendName, BackendSettings } from '../compare/backend.js';
import { BACKENDS } from '../compare/backend-registry.js';
import type { MachineFacts } from '../hardware/types.js';
import { type BackendOutcome, measureBackend } from './backend-case.js';
import { BASELINE_NAME, type BaselineOutcome, measureBaseline } from './baseline-case.js';
import { benchmarkFleet } from './fleet.js';
import { type BenchmarkPlan, bytesPerComparison, strideFor } from './plan.js';
import {
  type BackendEntry,
  type BaselineEntry,
  BENCH_REPORT_FORMAT,
  type BenchmarkReport,
  type Measurement,
  type Relative,
  type RooflineEntry,
} from './report.js';
import { measureRooflines, type RooflineOutcome } from './roofline-cases.js';
import type { CaseTiming } from './sampling.js';

export interface BenchmarkRunOptions {
  /** The machine as detection read it (`detectMachine`, or `resolveHardwareProfile().facts`). */
  readonly machine: MachineFacts;
  /** Backend settings from the hardware profile (workgroup size, ...); the plan sets piscina's pool. */
  readonly settings?: BackendSettings;
  /** The backend table (default the registry's; tests put a broken backend in). */
  readonly definitions?: Readonly<Record<BackendName, BackendDefinition>>;
  /** One line per finished case, for a progress display. */
  readonly onProgress?: (line: string) => void;
  /** Clock for sampling (default performance.now). */
  readonly now?: () => number;
  /** When the run started (default now). */
  readonly date?: Date;
}

/** Rates from a median. A median under the clock's resolution counts as a nanosecond, so rates stay finite numbers. */
function measurement(timing: CaseTiming, threads: number, plan: BenchmarkPlan): Measurement {
  const seconds = Math.max(timing.medianMs, 1e-6) / 1000;
  return {
    threads,
    medianMs: timing.medianMs,
    minMs: timing.minMs,
    samples: timing.samples,
    rowsPerSecond: plan.rows / seconds,
    gigabytesPerSecond: bytesPerComparison(plan) / seconds / 1e9,
  };
}

/** A case against the roofline of its own thread count and the baseline, all of this run. */
function relative(medianMs: number, threads: number, rooflines: readonly RooflineOutcome[], baseline: BaselineOutcome): Relative {
  const roof = rooflines.find((r) => r.status === 'measured' && r.threads === threads);
  const per = (yardstick: number) => yardstick / Math.max(medianMs, 1e-6);
  return {
    rooflineThreads: threads,
    percentOfRoofline: roof?.status === 'measured' ? per(roof.timing.medianMs) * 100 : null,
    speedupOverBaseline: baseline.status === 'measured' ? per(baseline.timing.medianMs) : null,
  };
}

function describe(timing: CaseTiming): string {
  return `${timing.medianMs.toFixed(3)} ms median of ${timing.samples}`;
}

/** Runs the plan. Cases that cannot run are in the report with their reasons; this throws only on a bug. */
export async function runBenchmark(plan: BenchmarkPlan, options: BenchmarkRunOptions): Promise<BenchmarkReport> {
  const date = options.date ?? new Date();
  const progress = options.onProgress ?? (() => undefined);
  const definitions = options.definitions ?? BACKENDS;
  const fleet = benchmarkFleet(plan);

  const rooflines = await measureRooflines(plan, fleet, options.now);
  for (const r of rooflines)
    progress(`roofline, ${r.threads} thread(s): ${r.status === 'measured' ? describe(r.timing) : `failed: ${r.reason}`}`);
  const baseline = await measureBaseline(plan, fleet, options.now);
  progress(`${BASELINE_NAME}: ${baseline.status === 'measured' ? describe(baseline.timing) : `failed: ${baseline.reason}`}`);

  const outcomes: BackendOutcome[] = [];
  for (const name of plan.backends) {
    const outcome = await measureBackend(definitions[name], {
      plan,
      fleet,
      settings: options.settings ?? {},
      ...(options.now ? { now: options.now } : {}),
    });
    outcomes.push(outcome);
    const what =
      outcome.status === 'measured'
        ? describe(outcome.timing)
        : outcome.status === 'unavailable'
          ? `not available: ${outcome.reason}`
          : `failed (${outcome.stage}): ${outcome.reason}`;
    progress(`${name}: ${what}`);
  }

  const roofline: RooflineEntry[] = rooflines.map((r) =>
    r.status === 'measured' ? { status: 'measured', ...measurement(r.timing, r.threads, plan) } : r,
  );
  const baselineEntry: BaselineEntry =
    baseline.status === 'measured'
      ? {
          status: 'measured',
          name: BASELINE_NAME,
          ...measurement(baseline.timing, 1, plan),
          ...relative(baseline.timing.medianMs, 1, rooflines, baseline),
        }
      : { status: 'failed', name: BASELINE_NAME, reason: baseline.reason };
  const backends: BackendEntry[] = outcomes.map((o) => {
    if (o.status !== 'measured') return o;
    return {
      backend: o.backend,
      status: 'measured',
      detail: o.detail,
      maxRelativeError: o.maxRelativeError,
      ...measurement(o.timing, o.threads, plan),
      ...relative(o.timing.medianMs, o.threads, rooflines, baseline),
    };
  });
  return {
    format: BENCH_REPORT_FORMAT,
    date: date.toISOString(),
    machine: { cpu: cpus()[0]?.model.trim() ?? 'unknown', ...options.machine },
    plan: { ...plan, stride: strideFor(plan.fieldCount), bytesPerComparison: bytesPerComparison(plan) },
    roofline,
    baseline: baselineEntry,
    backends,
  };
}
