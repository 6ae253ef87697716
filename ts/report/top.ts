/**
 * The most divergent instances, each with its worst report (field by field) and its reports in
 * time order: the table an operator reads first. Ranked by the largest deviation, then the worst
 * severity (a non-determinism report has deviation 0 yet is critical), then the number of reports.
 */
import { type AnomalyCause, type AnomalyReport, SEVERITIES, type Severity } from '../anomaly/report.js';
import { positiveInteger } from './check-option.js';

/** One report of an instance, without its fields (the worst one has them, in {@link TopInstance.worst}). */
export interface ReportLine {
  readonly id: string;
  readonly seq: number;
  readonly detectedAt: number;
  readonly deviation: number;
  readonly severity: Severity;
  readonly cause: AnomalyCause;
  readonly detail: string;
}

/** One of the top divergent instances. */
export interface TopInstance {
  readonly workflowId: string;
  readonly workflowType: string;
  /** Reports of the instance. */
  readonly anomalies: number;
  readonly maxDeviation: number;
  /** The worst severity among its reports. */
  readonly severity: Severity;
  /** Distinct causes, most frequent first. */
  readonly causes: readonly AnomalyCause[];
  readonly firstDetectedAt: number;
  readonly lastDetectedAt: number;
  /** The report with the largest deviation (ties: worse severity, then later): its fields are shown one by one. */
  readonly worst: AnomalyReport;
  /** The instance's reports in time order, the first `maxReportsEach`. */
  readonly reports: readonly ReportLine[];
  /** Reports past `maxReportsEach`. */
  readonly omittedReports: number;
}

/** Options of {@link topInstances}. */
export interface TopOptions {
  /** Instances listed. Default 10. */
  readonly top?: number;
  /** Reports listed per instance. Default 12. */
  readonly maxReportsEach?: number;
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);

/** The `top` most divergent instances of `reports`, most divergent first. */
export function topInstances(reports: readonly AnomalyReport[], options: TopOptions = {}): TopInstance[] {
  const top = positiveInteger(options.top ?? 10, 'top');
  const maxReportsEach = positiveInteger(options.maxReportsEach ?? 12, 'maxReportsEach');
  const byInstance = new Map<string, AnomalyReport[]>();
  for (const report of reports) {
    const list = byInstance.get(report.workflowId);
    if (list === undefined) byInstance.set(report.workflowId, [report]);
    else list.push(report);
  }
  const instances = [...byInstance].map(([workflowId, list]) => summarize(workflowId, list, maxReportsEach));
  instances.sort(
    (a, b) =>
      b.maxDeviation - a.maxDeviation ||
      rank(b.severity) - rank(a.severity) ||
      b.anomalies - a.anomalies ||
      (a.workflowId < b.workflowId ? -1 : 1),
  );
  return instances.slice(0, top);
}

function summarize(workflowId: string, list: AnomalyReport[], maxReportsEach: number): TopInstance {
  const byTime = [...list].sort((a, b) => a.detectedAt - b.detectedAt || a.seq - b.seq || (a.id < b.id ? -1 : 1));
  let worst = byTime[0]!;
  let severity: Severity = worst.severity;
  const causeCounts = new Map<AnomalyCause, number>();
  for (const report of byTime) {
    if (
      report.deviation > worst.deviation ||
      (report.deviation === worst.deviation && rank(report.severity) >= rank(worst.severity))
    ) {
      worst = report;
    }
    if (rank(report.severity) > rank(severity)) severity = report.severity;
    causeCounts.set(report.cause, (causeCounts.get(report.cause) ?? 0) + 1);
  }
  const causes = [...causeCounts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([cause]) => cause);
  return {
    workflowId,
    workflowType: worst.workflowType,
    anomalies: list.length,
    maxDeviation: worst.deviation,
    severity,
    causes,
    firstDetectedAt: byTime[0]!.detectedAt,
    lastDetectedAt: byTime[byTime.length - 1]!.detectedAt,
    worst,
    reports: byTime.slice(0, maxReportsEach).map(({ id, seq, detectedAt, deviation, severity, cause, detail }) => ({
      id,
      seq,
      detectedAt,
      deviation,
      severity,
      cause,
      detail,
    })),
    omittedReports: Math.max(0, list.length - maxReportsEach),
  };
}
