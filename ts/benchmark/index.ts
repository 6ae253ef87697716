/**
 * `ts/benchmark`: what `wfmirror bench` does, as a library: every comparison backend on this
 * machine against the memory-bandwidth roofline and a plain-loop baseline of the same run, as a
 * report, a text table, a self-contained HTML page and, on request, a hardware profile.
 */

export { BASELINE_NAME } from './baseline-case.js';
export {
  BenchmarkOutputError,
  BenchmarkPlanError,
  BenchmarkResultMismatchError,
  NothingMeasuredError,
  RooflineUnavailableError,
} from './errors.js';
export { formatBenchmarkTable } from './format-table.js';
export { benchmarkHtml } from './html-report.js';
export {
  type BenchmarkPlan,
  type BenchmarkPlanOptions,
  benchmarkPlan,
  bytesPerComparison,
  DEFAULT_BENCH_FIELDS,
  DEFAULT_BENCH_MIN_SAMPLES,
  DEFAULT_BENCH_ROWS,
  DEFAULT_BENCH_TIME_MS,
  DEFAULT_DIFFERING_ROW_SHARE,
} from './plan.js';
export {
  type BackendEntry,
  type BaselineEntry,
  BENCH_REPORT_FORMAT,
  type BenchmarkMachine,
  type BenchmarkReport,
  type BenchmarkReportPlan,
  type FailedStage,
  type MeasuredBackend,
  type Measurement,
  measuredBackends,
  type Relative,
  type RooflineEntry,
  rooflineFor,
} from './report.js';
export { type BenchmarkRunOptions, runBenchmark } from './run-benchmark.js';
export { benchmarkProfile } from './save-profile.js';
export { benchmarkChartSvg } from './svg-chart.js';
