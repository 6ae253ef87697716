/**
 * Everything the report page shows, computed from the loaded reports and the recovery logs by
 * pure functions. The page embeds this object as JSON, so a test (or a program) can compare what
 * is drawn with what the store holds.
 */
import type { AnomalyCounts } from '../anomaly/sqlite-anomaly-store.js';
import { countReports } from './counts.js';
import { type FieldHeatmap, fieldHeatmap } from './heatmap.js';
import type { LoadedAnomalies, ReportInputKind } from './load.js';
import { type RecoveryEvent, type RecoveryLog, recoveryEvents } from './recovery.js';
import { type DeviationSeriesSet, deviationSeries, type SeriesGrouping } from './series.js';
import { type TopInstance, topInstances } from './top.js';

/** Bumped when a property of {@link ReportData} changes meaning or goes away. */
export const REPORT_DATA_VERSION = 1;

/** The headline numbers. */
export interface ReportSummary {
  readonly total: number;
  /** Distinct instances with at least one report. */
  readonly instances: number;
  readonly workflowTypes: readonly string[];
  /** null when there are no reports. */
  readonly firstDetectedAt: number | null;
  readonly lastDetectedAt: number | null;
  readonly maxDeviation: number | null;
}

/** What the page shows, as data. */
export interface ReportData {
  readonly formatVersion: typeof REPORT_DATA_VERSION;
  /** When the page was built (ms, wall clock). */
  readonly generatedAt: number;
  readonly source: {
    readonly kind: ReportInputKind;
    readonly path: string;
    readonly duplicatesIgnored: number;
    readonly incompleteLastLine: boolean;
  };
  readonly summary: ReportSummary;
  /** The same shape and numbers as the SQLite store's `countBy()`. */
  readonly counts: AnomalyCounts;
  readonly series: DeviationSeriesSet;
  readonly heatmap: FieldHeatmap;
  readonly top: readonly TopInstance[];
  readonly recovery: {
    readonly logs: readonly RecoveryLog[];
    readonly events: readonly RecoveryEvent[];
  };
}

/** Options of {@link buildReportData}. */
export interface ReportDataOptions {
  /** Series per instance (default) or per shard. */
  readonly by?: SeriesGrouping;
  /** Shards when `by` is `shard`. Default 8. */
  readonly shards?: number;
  /** Instances in the top table. Default 10. */
  readonly top?: number;
  /** Most series in the time chart. Default 8. */
  readonly maxSeries?: number;
  /** Most instances (rows) in the heatmap. Default 20. */
  readonly heatmapRows?: number;
  /** The build time to record; default `Date.now()`. */
  readonly now?: number;
}

/** Aggregates `loaded` and `logs` into the page's data. */
export function buildReportData(
  loaded: LoadedAnomalies,
  logs: readonly RecoveryLog[],
  options: ReportDataOptions = {},
): ReportData {
  const reports = loaded.reports;
  let first: number | null = null;
  let last: number | null = null;
  let maxDeviation: number | null = null;
  const instances = new Set<string>();
  const types = new Set<string>();
  for (const r of reports) {
    first = first === null ? r.detectedAt : Math.min(first, r.detectedAt);
    last = last === null ? r.detectedAt : Math.max(last, r.detectedAt);
    maxDeviation = maxDeviation === null ? r.deviation : Math.max(maxDeviation, r.deviation);
    instances.add(r.workflowId);
    types.add(r.workflowType);
  }
  return {
    formatVersion: REPORT_DATA_VERSION,
    generatedAt: options.now ?? Date.now(),
    source: {
      kind: loaded.kind,
      path: loaded.path,
      duplicatesIgnored: loaded.duplicatesIgnored,
      incompleteLastLine: loaded.incompleteLastLine,
    },
    summary: {
      total: reports.length,
      instances: instances.size,
      workflowTypes: [...types].sort(),
      firstDetectedAt: first,
      lastDetectedAt: last,
      maxDeviation,
    },
    counts: countReports(reports),
    series: deviationSeries(reports, {
      by: options.by ?? 'instance',
      ...(options.shards !== undefined ? { shards: options.shards } : {}),
      ...(options.maxSeries !== undefined ? { maxSeries: options.maxSeries } : {}),
    }),
    heatmap: fieldHeatmap(reports, options.heatmapRows !== undefined ? { maxRows: options.heatmapRows } : {}),
    top: topInstances(reports, options.top !== undefined ? { top: options.top } : {}),
    recovery: { logs, events: recoveryEvents(logs) },
  };
}
