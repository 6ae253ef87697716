/** The anomaly module: report shape, severity, sinks (callback, console, JSONL, SQLite), fan-out and adaptive tolerance. */

export {
  ADAPTIVE_TOLERANCE_DEFAULTS,
  AdaptiveTolerance,
  type AdaptiveToleranceOptions,
  type FieldLearning,
  type LearningPauseEvent,
  type ObservationSummary,
  type RowSelection,
  type ToleranceBounds,
  type ToleranceChange,
} from './adaptive-tolerance.js';
export { callbackSink } from './callback-sink.js';
export { encodeReport, isAnomalyCause, parseReport } from './codec.js';
export { type ConsoleSinkOptions, consoleSink, formatReportLine, type TextStream } from './console-sink.js';
export {
  AnomalySinkClosedError,
  CorruptAnomalyRowError,
  InvalidAdaptiveToleranceOptionsError,
  InvalidAnomalyReportError,
  InvalidToleranceObservationError,
  MalformedJsonlLineError,
} from './errors.js';
export {
  AnomalyFanout,
  type AnomalyFanoutOptions,
  type SinkErrorHandler,
  type SinkPhase,
} from './fanout.js';
export { JsonlFileSink, type JsonlFileSinkOptions, readJsonlReports } from './jsonl-sink.js';
export {
  type AffectedField,
  ANOMALY_CAUSES,
  type AnomalyCause,
  type AnomalyReport,
  type FieldReason,
  SEVERITIES,
  type Severity,
} from './report.js';
export { decodeAnomalyReport, encodeAnomalyReport } from './report-flatbuffer.js';
export {
  atLeast,
  compareSeverity,
  defaultBands,
  isSeverity,
  resolveBands,
  type SeverityBands,
  type SeverityRaises,
  severitiesAtLeast,
  severityOf,
  validateBands,
} from './severity.js';
export type { AnomalySink, SeverityFilterOptions } from './sink.js';
export {
  type AnomalyCounts,
  type AnomalyQuery,
  type OpenSqliteAnomalyStoreOptions,
  SqliteAnomalyStore,
  type SqliteAnomalyStoreOptions,
} from './sqlite-anomaly-store.js';
