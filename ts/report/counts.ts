/** Anomaly counts by severity and cause, computed from reports (the same shape the SQLite store's `countBy()` returns). */

import { ANOMALY_CAUSES, type AnomalyCause, type AnomalyReport, SEVERITIES, type Severity } from '../anomaly/report.js';
import type { AnomalyCounts } from '../anomaly/sqlite-anomaly-store.js';

/** Every severity and cause present, 0 when none: a page that lists them all does not depend on what happened. */
export function countReports(reports: readonly AnomalyReport[]): AnomalyCounts {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byCause = Object.fromEntries(ANOMALY_CAUSES.map((c) => [c, 0])) as Record<AnomalyCause, number>;
  for (const report of reports) {
    bySeverity[report.severity]++;
    byCause[report.cause]++;
  }
  return { bySeverity, byCause, total: reports.length };
}
