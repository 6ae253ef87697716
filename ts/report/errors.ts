/**
 * Named errors of the HTML anomaly report (`wfmirror report`). Each has a stable `code` for
 * programs and a message for people. The report only reads its inputs, so none of these ever
 * means that something was changed or lost: the store or file is as it was.
 */
import { WorkflowMirrorError } from '../base-error.js';

/** The anomaly store, JSONL file or event log named as input does not exist. */
export class ReportInputNotFoundError extends WorkflowMirrorError {
  readonly path: string;

  constructor(path: string, what = 'anomaly store') {
    super('REPORT_INPUT_NOT_FOUND', `no ${what} at ${path}`);
    this.path = path;
  }
}

/**
 * The input is not of the kind asked for (`--db` on a JSONL file), or, when the kind is detected,
 * neither an SQLite database nor a JSONL file of reports.
 */
export class ReportInputFormatError extends WorkflowMirrorError {
  readonly path: string;

  constructor(path: string, problem: string) {
    super('REPORT_INPUT_FORMAT', `${path}: ${problem}`);
    this.path = path;
  }
}

/** An SQLite database without the `anomalies` table (an event log with no store beside it, or another program's file). */
export class NoAnomalyTableError extends WorkflowMirrorError {
  readonly path: string;

  constructor(path: string) {
    super(
      'REPORT_NO_ANOMALY_TABLE',
      `${path} is an SQLite database without an anomalies table (was the run started with anomalies.store: false?)`,
    );
    this.path = path;
  }
}

/** An SQLite database given as an event log (`--log`) holds no event log (no `event_log_meta` table). */
export class NotAnEventLogError extends WorkflowMirrorError {
  readonly path: string;

  constructor(path: string, problem = 'has no event_log_meta table') {
    super('REPORT_NOT_AN_EVENT_LOG', `${path} is not an event log of this version: it ${problem}`);
    this.path = path;
  }
}

/**
 * The input exists and has the right kind but cannot be read: a corrupt row, a malformed JSONL
 * line, a database SQLite refuses to open. The underlying error (often itself typed, such as
 * `CorruptAnomalyRowError` or `MalformedJsonlLineError`) is the `cause`.
 */
export class UnreadableReportInputError extends WorkflowMirrorError {
  readonly path: string;

  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('REPORT_INPUT_UNREADABLE', `cannot read ${path}: ${problem}`, options);
    this.path = path;
  }
}

/** An option of the report (top, by, shards, port, ...) is out of range; `option` names it. */
export class InvalidReportOptionError extends WorkflowMirrorError {
  readonly option: string;

  constructor(option: string, problem: string) {
    super('INVALID_REPORT_OPTION', `report option ${option} ${problem}`);
    this.option = option;
  }
}
