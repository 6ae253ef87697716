/**
 * The metrics endpoint during a real demo run: scraped while the fleet runs and after, the counters
 * only grow, and their final values are the demo's own summary.
 */
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ANOMALY_CAUSES, SEVERITIES } from '../../ts/anomaly/report.js';
import { type DemoSummary, runDemo } from '../../ts/cli/demo.js';
import { createLogger } from '../../ts/observe/logger.js';
import { createMetrics } from '../../ts/observe/metrics.js';
import { serveMetrics } from '../../ts/observe/metrics-server.js';
import { arrivals, startReceiver } from '../alert/receiver.js';
import { tempDir } from '../anomaly/fixtures.js';
import { type Exposition, parseExposition, select, sum, value } from './exposition.js';

const { dir, cleanup } = tempDir('metrics-demo');
afterAll(cleanup);

/** Counters whose every series must never go down between scrapes. */
const COUNTERS = [
  'wfmirror_events_applied_total',
  'wfmirror_comparisons_total',
  'wfmirror_comparison_rounds_total',
  'wfmirror_anomalies_total',
  'wfmirror_instances_started_total',
  'wfmirror_instances_completed_total',
];

function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  return `${name}${JSON.stringify(Object.entries(labels).sort())}`;
}

async function scrape(url: string): Promise<Exposition> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

describe('metrics during a demo run', () => {
  it('counters scraped during the run only grow, and after it they equal the summary', async () => {
    const metrics = createMetrics();
    const server = await serveMetrics({ metrics, port: 0 });
    const during: Exposition[] = [];
    let inFlight: Promise<void> | undefined;
    let summary: DemoSummary;
    try {
      summary = await runDemo({
        instances: 3_000,
        dir: `${dir}/run`,
        faults: true,
        concurrency: 300,
        metrics,
        // One scrape at a time, so the scrapes are in the order their values were read.
        onProgress: () => {
          inFlight ??= scrape(server.url)
            .then((e) => {
              during.push(e);
            })
            .finally(() => {
              inFlight = undefined;
            });
        },
      });
      await inFlight;
      const after = await scrape(server.url);

      // Scraped while the fleet ran: at least two readings with the pair part-way through.
      const primary = (e: Exposition) => value(e, 'wfmirror_events_applied_total', { side: 'primary' });
      const partWay = during.filter((e) => primary(e) > 0 && primary(e) < summary.events);
      expect(partWay.length, `primary events seen during the run: ${during.map(primary).join(', ')}`).toBeGreaterThanOrEqual(2);

      // Monotonic: every counter series, scrape after scrape, the final one included.
      const readings = [...during, after];
      for (let i = 1; i < readings.length; i++) {
        for (const sample of readings[i - 1]!.samples.filter((s) => COUNTERS.includes(s.name))) {
          const later = select(readings[i]!, sample.name, sample.labels).find(
            (s) => seriesKey(s.name, s.labels) === seriesKey(sample.name, sample.labels),
          );
          expect(later, seriesKey(sample.name, sample.labels)).toBeDefined();
          expect(later!.value, `${seriesKey(sample.name, sample.labels)} in scrape ${i}`).toBeGreaterThanOrEqual(sample.value);
        }
      }

      // After the run: the summary's numbers.
      expect(primary(after)).toBe(summary.events);
      expect(value(after, 'wfmirror_events_applied_total', { side: 'mirror' })).toBe(summary.mirrorEventsApplied);
      expect(value(after, 'wfmirror_mirror_lag_events')).toBe(0);
      expect(value(after, 'wfmirror_comparisons_total')).toBe(summary.comparisons.rowComparisons);
      expect(value(after, 'wfmirror_comparison_rounds_total')).toBe(summary.comparisons.rounds);
      expect(value(after, 'wfmirror_comparisons_lagging_total')).toBe(summary.comparisons.lagging);
      expect(value(after, 'wfmirror_instances_completed_total')).toBe(summary.completed);
      expect(value(after, 'wfmirror_instances_failed_total')).toBe(summary.failed);
      expect(value(after, 'wfmirror_backend_info', { backend: summary.backend })).toBe(1);
      expect(select(after, 'wfmirror_backend_info')).toHaveLength(1);
      expect(summary.anomalies.total).toBeGreaterThan(0);
      expect(sum(after, 'wfmirror_anomalies_total')).toBe(summary.anomalies.total);
      for (const severity of SEVERITIES) {
        expect(sum(after, 'wfmirror_anomalies_total', { severity }), severity).toBe(summary.anomalies.bySeverity[severity]);
      }
      for (const cause of ANOMALY_CAUSES) {
        expect(sum(after, 'wfmirror_anomalies_total', { cause }), cause).toBe(summary.anomalies.byCause[cause] ?? 0);
      }
      expect(sum(after, 'wfmirror_anomaly_deviation_count')).toBe(summary.anomalies.total);
      // Rates are rate() of counters: the HELP says so, and the types are counters.
      expect(after.help.get('wfmirror_events_applied_total')).toMatch(/rate\(\)/);
      expect(after.types.get('wfmirror_events_applied_total')).toBe('counter');
      expect(after.types.get('wfmirror_comparisons_total')).toBe('counter');
      expect(after.types.get('wfmirror_promotion_duration_seconds')).toBe('histogram');
    } finally {
      await server.close();
    }
  });

  it('with metricsPort, alertUrl and a logger: serves during the run only, alerts every anomaly once, logs JSON', async () => {
    const receiver = await startReceiver({ failFirst: 1 });
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(
            ...chunk
              .toString('utf8')
              .split('\n')
              .filter((l) => l !== ''),
          );
          done();
        },
      }),
    });
    const urlsSeen: string[] = [];
    const scrapes: Promise<Exposition>[] = [];
    try {
      const summary = await runDemo({
        instances: 800,
        dir: `${dir}/alerts`,
        faults: true,
        concurrency: 200,
        metricsPort: 0,
        alertUrl: receiver.url,
        alertMinSeverity: 'warning',
        logger,
        onProgress: (p) => {
          if (p.metricsUrl === undefined) return;
          urlsSeen.push(p.metricsUrl);
          if (scrapes.length === 0) scrapes.push(scrape(p.metricsUrl));
        },
      });
      expect(summary.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(new Set(urlsSeen)).toEqual(new Set([summary.metricsUrl]));
      const first = await scrapes[0]!;
      expect(select(first, 'wfmirror_events_applied_total')).toHaveLength(2);
      expect(select(first, 'wfmirror_alert_outbox_pending')).toHaveLength(1);
      // The endpoint belongs to the run: it is gone once the demo returns.
      await expect(fetch(summary.metricsUrl!)).rejects.toThrow();

      // Alerts: the receiver failed its first request, then took each (instance, cause) once.
      const alertable = SEVERITIES.filter((s) => s !== 'info').reduce((n, s) => n + summary.anomalies.bySeverity[s], 0);
      expect(alertable).toBeGreaterThan(0);
      expect(receiver.requests[0]!.status).toBe(503);
      expect(receiver.problems).toEqual([]);
      const counts = arrivals(receiver.accepted);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect(summary.alerts).toMatchObject({ url: receiver.url, minSeverity: 'warning', pending: 0, delivered: counts.size });
      expect(summary.alerts!.enqueued + summary.alerts!.deduplicated).toBe(alertable);
      for (const fault of summary.faults) {
        expect(counts.get(`${fault.workflowId}|${fault.expectedCause}`), fault.workflowId).toBe(1);
      }

      // Logs: JSON lines with level, time and msg; milestones from the demo, one record per anomaly.
      const records = lines.map((l) => JSON.parse(l) as { level: number; time: number; msg: string; component?: string });
      for (const r of records)
        expect(r).toMatchObject({ level: expect.any(Number), time: expect.any(Number), msg: expect.any(String) });
      const demoMessages = records.filter((r) => r.component === 'demo').map((r) => r.msg);
      expect(demoMessages).toEqual(
        expect.arrayContaining(['demo starting', 'metrics served', 'all instances started', 'demo finished']),
      );
      expect(records.filter((r) => r.component === 'anomaly')).toHaveLength(summary.anomalies.total);
      expect(records.some((r) => r.component === 'alert' && r.msg === 'alerts enabled')).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});
