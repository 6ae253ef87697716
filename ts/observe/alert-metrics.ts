/** An alert sink's counters as metrics, read at scrape time (the sink counts them anyway). */
import { Counter, Gauge, type Registry } from 'prom-client';

/** What the alert metrics read: an `AlertmanagerSink`, or anything with the same counters. */
export interface AlertStatsSource {
  stats(): {
    readonly enqueued: number;
    readonly deduplicated: number;
    readonly delivered: number;
    readonly rejected: number;
    readonly failedAttempts: number;
    readonly queued: number;
    readonly pending: number;
  };
}

/**
 * Registers the `wfmirror_alerts_*` metrics in `registry`, read from whichever sink the returned
 * setter was last given (none: no samples).
 */
export function alertMetrics(registry: Registry): (source: AlertStatsSource | undefined) => void {
  let source: AlertStatsSource | undefined;
  const counter = (name: string, help: string, pick: (s: ReturnType<AlertStatsSource['stats']>) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        if (source === undefined) return;
        this.reset();
        this.inc(pick(source.stats()));
      },
    });
  const gauge = (name: string, help: string, pick: (s: ReturnType<AlertStatsSource['stats']>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        if (source !== undefined) this.set(pick(source.stats()));
      },
    });
  counter('wfmirror_alerts_enqueued_total', 'Alerts committed to the outbox for delivery.', (s) => s.enqueued);
  counter(
    'wfmirror_alerts_deduplicated_total',
    'Repeats of an alert (same instance and cause) not sent again.',
    (s) => s.deduplicated,
  );
  counter('wfmirror_alerts_delivered_total', 'Alerts the receiver took (HTTP 2xx).', (s) => s.delivered);
  counter(
    'wfmirror_alerts_rejected_total',
    'Alerts the receiver refused for good (HTTP 4xx); kept in the outbox.',
    (s) => s.rejected,
  );
  counter(
    'wfmirror_alert_delivery_failures_total',
    'Alert POSTs that failed and are retried with back-off.',
    (s) => s.failedAttempts,
  );
  gauge('wfmirror_alert_queue_length', 'Alerts held in memory for delivery, in flight included.', (s) => s.queued);
  gauge('wfmirror_alert_outbox_pending', 'Alerts in the durable outbox not yet delivered.', (s) => s.pending);
  return (next) => {
    source = next;
  };
}
