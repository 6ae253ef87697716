/** Named errors of the anomaly module. Each has a stable `code` for programs and a message for people. */
import { WorkflowMirrorError } from '../base-error.js';

/** A value that should be an {@link AnomalyReport} is not one; `path` names the offending property. */
export class InvalidAnomalyReportError extends WorkflowMirrorError {
  /** Where in the report the problem is, e.g. `fields[2].share`; empty for the report itself. */
  readonly path: string;

  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('INVALID_ANOMALY_REPORT', `invalid anomaly report: ${path === '' ? 'report' : path} ${problem}`, options);
    this.path = path;
  }
}

/** A line of a JSONL anomaly file is not JSON or not a valid report. `line` is 1-based. */
export class MalformedJsonlLineError extends WorkflowMirrorError {
  readonly file: string;
  readonly line: number;

  constructor(file: string, line: number, problem: string, options?: { cause?: unknown }) {
    super('MALFORMED_JSONL_LINE', `${file}:${line}: ${problem}`, options);
    this.file = file;
    this.line = line;
  }
}

/** A row of the `anomalies` table cannot be turned back into a report (corrupt JSON, unknown severity, ...). */
export class CorruptAnomalyRowError extends WorkflowMirrorError {
  /** The row's id, or `undefined` when the id itself is what is broken or the problem is an aggregate. */
  readonly id: string | undefined;

  constructor(id: string | undefined, problem: string, options?: { cause?: unknown }) {
    super(
      'CORRUPT_ANOMALY_ROW',
      `corrupt row in table anomalies${id === undefined ? '' : ` (id ${JSON.stringify(id)})`}: ${problem}`,
      options,
    );
    this.id = id;
  }
}

/** A report was written to a sink after its `close()`. */
export class AnomalySinkClosedError extends WorkflowMirrorError {
  constructor(sink: string) {
    super('ANOMALY_SINK_CLOSED', `${sink} is closed; no more reports can be written to it`);
  }
}

/** An option of {@link AdaptiveTolerance} is missing or out of range; `option` names it. */
export class InvalidAdaptiveToleranceOptionsError extends WorkflowMirrorError {
  readonly option: string;

  constructor(option: string, problem: string) {
    super('INVALID_ADAPTIVE_TOLERANCE_OPTIONS', `adaptive tolerance: ${option} ${problem}`);
    this.option = option;
  }
}

/** What was passed to {@link AdaptiveTolerance.observe} does not fit its layout (wrong stride, a row out of range). */
export class InvalidToleranceObservationError extends WorkflowMirrorError {
  constructor(problem: string) {
    super('INVALID_TOLERANCE_OBSERVATION', `adaptive tolerance: ${problem}`);
  }
}
