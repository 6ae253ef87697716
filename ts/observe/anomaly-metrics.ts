/** Anomalies as metrics: a sink that counts each report by severity and cause and observes its deviation. */
import { Counter, Histogram, type Registry } from 'prom-client';
import { ANOMALY_CAUSES, type AnomalyReport, SEVERITIES } from '../anomaly/report.js';
import type { AnomalySink } from '../anomaly/sink.js';

/**
 * Default deviation buckets: decades from 0.01 to 1e6 (the default `missingWeight`), because a
 * deviation is a weighted sum whose scale depends on the schema's weights, not a time or a size.
 */
export const DEFAULT_DEVIATION_BUCKETS: readonly number[] = [0.01, 0.1, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

/**
 * Registers `wfmirror_anomalies_total{severity,cause}` and `wfmirror_anomaly_deviation{severity}`
 * in `registry` and returns the sink that feeds them. It keeps nothing and never fails, so it can
 * sit in any fan-out; every severity x cause series starts at 0, so `rate()` and `increase()`
 * see the first anomaly of a kind instead of a series that appears from nowhere.
 */
export function anomalyMetricsSink(registry: Registry, buckets: readonly number[] = DEFAULT_DEVIATION_BUCKETS): AnomalySink {
  const anomalies = new Counter({
    name: 'wfmirror_anomalies_total',
    help: 'Anomaly reports raised, by severity and probable cause.',
    labelNames: ['severity', 'cause'],
    registers: [registry],
  });
  const deviation = new Histogram({
    name: 'wfmirror_anomaly_deviation',
    help: 'Weighted deviation of each anomaly report (unitless: the schema weights set its scale), by severity.',
    labelNames: ['severity'],
    buckets: [...buckets],
    registers: [registry],
  });
  for (const severity of SEVERITIES) {
    for (const cause of ANOMALY_CAUSES) anomalies.inc({ severity, cause }, 0);
    deviation.zero({ severity });
  }
  return {
    write(report: AnomalyReport): void {
      anomalies.inc({ severity: report.severity, cause: report.cause });
      // A NaN deviation (a broken comparison) is counted above but cannot sit in a bucket.
      if (Number.isFinite(report.deviation)) deviation.observe({ severity: report.severity }, report.deviation);
    },
  };
}
