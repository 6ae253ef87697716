/**
 * What `wfmirror bench` produces: the shape of its JSON file (`format` names the version; a field is
 * only ever added under a new version) and what the table, the HTML page and the saved profile are
 * made from. Plain JSON-able data: absent numbers are `null`, never left out.
 */
import type { BackendName } from '../compare/backend.js';
import type { MachineFacts } from '../hardware/types.js';
import type { BenchmarkPlan } from './plan.js';

/** The value of {@link BenchmarkReport.format} this code writes. */
export const BENCH_REPORT_FORMAT = 'wfmirror-bench/1';

/** The machine: what detection read, and the CPU model. */
export interface BenchmarkMachine extends MachineFacts {
  /** `os.cpus()[0].model`. */
  readonly cpu: string;
}

/** The plan, with what follows from it. */
export interface BenchmarkReportPlan extends BenchmarkPlan {
  /** Values per row (fields rounded up to a multiple of 4). */
  readonly stride: number;
  /** Bytes of both matrices, padding included: what one comparison reads. */
  readonly bytesPerComparison: number;
}

/** One timed case. */
export interface Measurement {
  /** Threads the case ran on (GPU backends: 1, the calling thread that reads and uploads the matrices). */
  readonly threads: number;
  /** Median wall time of one comparison (or one roofline sum) of every row. */
  readonly medianMs: number;
  readonly minMs: number;
  readonly samples: number;
  /** Rows compared per second, from the median: the "ops/s" of the table (one op = one instance's two vectors). */
  readonly rowsPerSecond: number;
  /** bytesPerComparison / median. */
  readonly gigabytesPerSecond: number;
}

/** A plain sum over the same two matrices on `threads` threads. */
export type RooflineEntry =
  | ({ readonly status: 'measured' } & Measurement)
  | { readonly status: 'failed'; readonly threads: number; readonly reason: string };

/** How a measured case compares with the yardsticks of the same run. */
export interface Relative {
  /** Threads of the roofline it is compared with (its own thread count). */
  readonly rooflineThreads: number;
  /** roofline median / its median x 100; may pass 100 (a kernel that skips equal groups reads less). `null` without that roofline. */
  readonly percentOfRoofline: number | null;
  /** baseline median / its median. `null` without a baseline. */
  readonly speedupOverBaseline: number | null;
}

/** The plain typed-array loop every backend is compared with. */
export type BaselineEntry =
  | ({ readonly status: 'measured'; readonly name: string } & Measurement & Relative)
  | { readonly status: 'failed'; readonly name: string; readonly reason: string };

/** Where a backend that did not get measured stopped. */
export type FailedStage = 'create' | 'check' | 'measure';

/** One backend of the plan: measured, not available here (its probe said why), or failed. */
export type BackendEntry =
  | ({
      readonly backend: BackendName;
      readonly status: 'measured';
      /** What its probe found (kernel, adapter, gpu.js mode, ...). */
      readonly detail: string;
      /** Largest relative deviation error against the js reference on the benchmark's batch (0: bit-exact). */
      readonly maxRelativeError: number;
    } & Measurement &
      Relative)
  | { readonly backend: BackendName; readonly status: 'unavailable'; readonly reason: string }
  | { readonly backend: BackendName; readonly status: 'failed'; readonly stage: FailedStage; readonly reason: string };

/** A measured backend entry. */
export type MeasuredBackend = Extract<BackendEntry, { status: 'measured' }>;

/** The whole result of one run. */
export interface BenchmarkReport {
  readonly format: typeof BENCH_REPORT_FORMAT;
  /** ISO 8601 start of the run. */
  readonly date: string;
  readonly machine: BenchmarkMachine;
  readonly plan: BenchmarkReportPlan;
  /** 1 thread, then the pooled thread count when it is more than 1. */
  readonly roofline: readonly RooflineEntry[];
  readonly baseline: BaselineEntry;
  /** Every backend of the plan, in registry order. */
  readonly backends: readonly BackendEntry[];
}

/** The backends that were measured. */
export function measuredBackends(report: Pick<BenchmarkReport, 'backends'>): MeasuredBackend[] {
  return report.backends.filter((b): b is MeasuredBackend => b.status === 'measured');
}

/** The measured roofline on `threads` threads, if any. */
export function rooflineFor(
  report: Pick<BenchmarkReport, 'roofline'>,
  threads: number,
): Extract<RooflineEntry, { status: 'measured' }> | undefined {
  return report.roofline.find(
    (r): r is Extract<RooflineEntry, { status: 'measured' }> => r.status === 'measured' && r.threads === threads,
  );
}
