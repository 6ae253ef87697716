/**
 * What `wfmirror bench` measures: one fleet size, the backends to time, the time spent on each case
 * and the threads the multi-threaded cases use. The defaults finish within about a minute on a
 * 2-core VM with every backend of the registry available (six backends plus the rooflines and the
 * baseline, about 2 s each).
 */
import { availableParallelism } from 'node:os';
import { BACKEND_NAMES, type BackendName } from '../compare/backend.js';
import { isBackendName } from '../compare/backend-registry.js';
import { UnknownBackendError } from '../compare/errors.js';
import { BenchmarkPlanError } from './errors.js';

/** A validated plan. */
export interface BenchmarkPlan {
  /** Rows (instances) per comparison. */
  readonly rows: number;
  /** Fields per row (the row stride is this rounded up to a multiple of 4). */
  readonly fieldCount: number;
  /** Backends to time, in registry order, each once. */
  readonly backends: readonly BackendName[];
  /** Time spent sampling each case (after its warm-up); a case also takes at least `minSamples` samples. */
  readonly timeMs: number;
  /** Samples each case takes at least, unless it runs past five times `timeMs`. */
  readonly minSamples: number;
  /** Worker threads of the piscina backend and of the multi-threaded roofline. */
  readonly threads: number;
  /** Share of rows whose mirror differs from the primary (0.01: a healthy fleet, as in production). */
  readonly differingRowShare: number;
}

/** What a caller may set; everything has a default. */
export interface BenchmarkPlanOptions {
  readonly rows?: number;
  readonly fieldCount?: number;
  /** Backend names; default every backend of the registry. Unknown names are refused. */
  readonly backends?: readonly string[];
  readonly timeMs?: number;
  readonly minSamples?: number;
  readonly threads?: number;
  readonly differingRowShare?: number;
}

export const DEFAULT_BENCH_ROWS = 262_144;
export const DEFAULT_BENCH_FIELDS = 32;
export const DEFAULT_BENCH_TIME_MS = 2_000;
export const DEFAULT_BENCH_MIN_SAMPLES = 5;
export const DEFAULT_DIFFERING_ROW_SHARE = 0.01;

/**
 * The wasm backends and the roofline hold both matrices in one wasm memory of at most 4 GiB,
 * beside their outputs; 3 GiB of input leaves room for those.
 */
export const MAX_BENCH_INPUT_BYTES = 3 * 2 ** 30;

function integerAtLeast(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min)
    throw new BenchmarkPlanError(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

/** Backends in registry order, each once. @throws UnknownBackendError naming the first unknown one */
function backendList(names: readonly string[] | undefined): BackendName[] {
  if (names === undefined) return [...BACKEND_NAMES];
  const unknown = names.find((n) => !isBackendName(n));
  if (unknown !== undefined) throw new UnknownBackendError(unknown, BACKEND_NAMES);
  if (names.length === 0) throw new BenchmarkPlanError(`backends must name at least one of ${BACKEND_NAMES.join(', ')}`);
  return BACKEND_NAMES.filter((n) => names.includes(n));
}

/** Values per row: the field count rounded up to a multiple of 4 (the comparators' layout rule). */
export function strideFor(fieldCount: number): number {
  return Math.ceil(fieldCount / 4) * 4;
}

/** Bytes of both matrices, padding included: what one comparison (and one roofline sum) reads. */
export function bytesPerComparison(plan: Pick<BenchmarkPlan, 'rows' | 'fieldCount'>): number {
  return 2 * plan.rows * strideFor(plan.fieldCount) * 8;
}

/** Threads the pooled cases actually use: never more than there are rows to share out. */
export function effectiveThreads(plan: Pick<BenchmarkPlan, 'rows' | 'threads'>): number {
  return Math.min(plan.threads, plan.rows);
}

/**
 * A plan from options and defaults.
 * @throws BenchmarkPlanError for a value out of range; UnknownBackendError for an unknown backend name
 */
export function benchmarkPlan(options: BenchmarkPlanOptions = {}): BenchmarkPlan {
  const share = options.differingRowShare ?? DEFAULT_DIFFERING_ROW_SHARE;
  if (!(share >= 0 && share <= 1)) throw new BenchmarkPlanError(`differingRowShare must be between 0 and 1, got ${share}`);
  const plan: BenchmarkPlan = {
    rows: integerAtLeast('rows', options.rows ?? DEFAULT_BENCH_ROWS, 1),
    fieldCount: integerAtLeast('fields', options.fieldCount ?? DEFAULT_BENCH_FIELDS, 1),
    backends: backendList(options.backends),
    timeMs: integerAtLeast('time-ms', options.timeMs ?? DEFAULT_BENCH_TIME_MS, 1),
    minSamples: integerAtLeast('minSamples', options.minSamples ?? DEFAULT_BENCH_MIN_SAMPLES, 1),
    threads: integerAtLeast('threads', options.threads ?? availableParallelism(), 1),
    differingRowShare: share,
  };
  const bytes = bytesPerComparison(plan);
  if (bytes > MAX_BENCH_INPUT_BYTES)
    throw new BenchmarkPlanError(
      `${plan.rows} rows x ${plan.fieldCount} fields is ${(bytes / 2 ** 30).toFixed(1)} GiB of input; at most 3 GiB fit the wasm backends' 4 GiB memory beside their outputs`,
    );
  return plan;
}
