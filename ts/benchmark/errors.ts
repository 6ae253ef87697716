/**
 * Errors thrown by `ts/benchmark` (`wfmirror bench`). All extend {@link WorkflowMirrorError}; `code`
 * is stable. A backend that cannot run or fails during a benchmark is not an error of the run: it
 * is reported in the results with its reason. An unknown backend name is the comparator module's
 * `UnknownBackendError`.
 */
import { WorkflowMirrorError } from '../base-error.js';

/** A benchmark plan (rows, fields, threads, time per case, ...) is out of range. The message names the setting. */
export class BenchmarkPlanError extends WorkflowMirrorError {
  constructor(message: string) {
    super('INVALID_BENCHMARK_PLAN', message);
  }
}

/** A backend's answer differs from the js reference on the benchmark's batch, so its timing cannot count. */
export class BenchmarkResultMismatchError extends WorkflowMirrorError {
  constructor(
    readonly backend: string,
    detail: string,
  ) {
    super('BENCHMARK_RESULT_MISMATCH', `${backend} disagrees with the js reference: ${detail}`);
  }
}

/** The memory-bandwidth roofline cannot be measured here (its wasm module is missing, or this engine lacks SIMD or shared memory). */
export class RooflineUnavailableError extends WorkflowMirrorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ROOFLINE_UNAVAILABLE', message, options);
  }
}

/** A hardware profile was asked for, but no backend was measured, so there is no order to save. */
export class NothingMeasuredError extends WorkflowMirrorError {
  constructor() {
    super('NOTHING_MEASURED', 'no comparison backend was measured, so there is no backend order to save as a profile');
  }
}

/** A result file (JSON, HTML, profile) could not be written. The run's table has been printed already. */
export class BenchmarkOutputError extends WorkflowMirrorError {
  constructor(
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    const why = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    super('BENCHMARK_OUTPUT_UNWRITABLE', `cannot write ${file}: ${why}`, options);
  }
}
