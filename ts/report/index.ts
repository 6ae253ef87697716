/** The HTML anomaly report (`wfmirror report`): load, aggregate, render, serve. */

export {
  type BuiltReport,
  buildReport,
  loadReportData,
  type ReportOptions,
  recoveryLogPaths,
  writeReport,
} from './build.js';
export { countReports } from './counts.js';
export {
  InvalidReportOptionError,
  NoAnomalyTableError,
  NotAnEventLogError,
  ReportInputFormatError,
  ReportInputNotFoundError,
  UnreadableReportInputError,
} from './errors.js';
export { type FieldHeatmap, fieldHeatmap, type HeatmapCell, type HeatmapOptions } from './heatmap.js';
export { detectInputKind, type LoadedAnomalies, loadAnomalies, type ReportInputKind } from './load.js';
export {
  defaultRecoveryLogs,
  RECOVERY_EVENT_KINDS,
  type RecoveryEvent,
  type RecoveryEventKind,
  type RecoveryLog,
  readRecoveryLog,
  recoveryEvents,
} from './recovery.js';
export { REPORT_DATA_ELEMENT_ID, type RenderOptions, renderReportHtml } from './render.js';
export {
  buildReportData,
  REPORT_DATA_VERSION,
  type ReportData,
  type ReportDataOptions,
  type ReportSummary,
} from './report-data.js';
export {
  type DeviationPoint,
  type DeviationSeries,
  type DeviationSeriesSet,
  deviationSeries,
  type SeriesGrouping,
  type SeriesOptions,
} from './series.js';
export { type ReportServer, type ReportServerOptions, serveReport } from './serve.js';
export { shardOf } from './shard.js';
export { type ReportLine, type TopInstance, type TopOptions, topInstances } from './top.js';
