import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ANOMALY_CAUSES, SEVERITIES } from '../../ts/anomaly/report.js';
import { InvalidObserveOptionsError, MetricsAlreadyTrackingError, MetricsServerError } from '../../ts/observe/errors.js';
import { createMetrics } from '../../ts/observe/metrics.js';
import { serveMetrics } from '../../ts/observe/metrics-server.js';
import type { MetricsSource } from '../../ts/observe/pair-metrics.js';
import type { MirrorRunStats } from '../../ts/workflow-mirror.js';
import { makeReport } from '../anomaly/fixtures.js';
import { parseExposition, select, sum, value } from './exposition.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A pair whose counters the test sets. */
function fakePair() {
  const stats = {
    primary: {
      eventsAppended: 0,
      handlersRun: 0,
      activitiesRun: 0,
      activityFailures: 0,
      started: 0,
      completed: 0,
      failed: 0,
      stalled: 0,
      evicted: 0,
    },
    mirror: { applied: 0, duplicatesIgnored: 0, unapplied: 0, nonDeterminism: 0, evicted: 0 },
    comparisons: {
      rounds: 0,
      rowComparisons: 0,
      lagging: 0,
      anomalies: 0,
      repeats: 0,
      bySeverity: { info: 0, warning: 0, critical: 0 },
      byCause: {},
    },
    backend: 'wasm-simd',
    lag: [{ workflowType: 'order', laggingInstances: 0, maxLag: 0 }],
    faultsFired: [],
    instancesHeld: { primary: 0, mirror: 0 },
  };
  const batches: Record<string, number> = {};
  const failed: string[] = [];
  let reads = 0;
  const source: MetricsSource = {
    stats: () => {
      reads++;
      return structuredClone(stats) as unknown as MirrorRunStats;
    },
    comparator: { stats: () => ({ batches: { ...batches }, failed: [...failed] as never[] }) },
  };
  return { stats, batches, failed, source, reads: () => reads };
}

async function read(metrics: { metrics(): Promise<string> }) {
  return parseExposition(await metrics.metrics());
}

describe('createMetrics', () => {
  it("reads a tracked pair's counters at scrape time, once per scrape", async () => {
    const m = createMetrics();
    const pair = fakePair();
    m.track(pair.source);
    pair.stats.primary.eventsAppended = 120;
    pair.stats.mirror.applied = 100;
    pair.stats.comparisons.rowComparisons = 40;
    pair.stats.comparisons.rounds = 2;
    pair.stats.lag = [{ workflowType: 'order', laggingInstances: 3, maxLag: 7 }];
    pair.batches['wasm-simd'] = 5;
    pair.stats.primary.evicted = 9;
    pair.stats.mirror.evicted = 8;
    pair.stats.instancesHeld = { primary: 11, mirror: 12 };
    const before = pair.reads();
    let e = await read(m);
    expect(pair.reads() - before).toBe(1);
    expect(value(e, 'wfmirror_events_applied_total', { side: 'primary' })).toBe(120);
    expect(value(e, 'wfmirror_events_applied_total', { side: 'mirror' })).toBe(100);
    expect(value(e, 'wfmirror_mirror_lag_events')).toBe(20);
    expect(value(e, 'wfmirror_mirror_lagging_instances', { workflow_type: 'order' })).toBe(3);
    expect(value(e, 'wfmirror_mirror_max_instance_lag_events', { workflow_type: 'order' })).toBe(7);
    expect(value(e, 'wfmirror_comparisons_total')).toBe(40);
    expect(value(e, 'wfmirror_comparison_rounds_total')).toBe(2);
    expect(value(e, 'wfmirror_backend_info', { backend: 'wasm-simd' })).toBe(1);
    expect(value(e, 'wfmirror_backend_batches_total', { backend: 'wasm-simd' })).toBe(5);
    expect(value(e, 'wfmirror_instances_evicted_total', { side: 'primary' })).toBe(9);
    expect(value(e, 'wfmirror_instances_evicted_total', { side: 'mirror' })).toBe(8);
    expect(value(e, 'wfmirror_instances_held', { side: 'primary' })).toBe(11);
    expect(value(e, 'wfmirror_instances_held', { side: 'mirror' })).toBe(12);

    // A fallback: the old backend's info series goes, the failed one is flagged.
    pair.stats.backend = 'js';
    pair.failed.push('wasm-simd');
    pair.batches['js'] = 1;
    await new Promise((resolve) => setImmediate(resolve));
    e = await read(m);
    expect(select(e, 'wfmirror_backend_info').map((s) => s.labels['backend'])).toEqual(['js']);
    expect(value(e, 'wfmirror_backend_failed', { backend: 'wasm-simd' })).toBe(1);
  });

  it('stop() keeps the last reading (counters never drop), and only then another pair can be tracked', async () => {
    const m = createMetrics();
    const a = fakePair();
    const tracking = m.track(a.source);
    a.stats.primary.eventsAppended = 50;
    expect(() => m.track(fakePair().source)).toThrow(MetricsAlreadyTrackingError);
    tracking.stop();
    a.stats.primary.eventsAppended = 0; // the pair is gone; what it last said stays
    await new Promise((resolve) => setImmediate(resolve));
    expect(value(await read(m), 'wfmirror_events_applied_total', { side: 'primary' })).toBe(50);
    const b = fakePair();
    m.track(b.source);
    b.stats.primary.eventsAppended = 7;
    await new Promise((resolve) => setImmediate(resolve));
    expect(value(await read(m), 'wfmirror_events_applied_total', { side: 'primary' })).toBe(7);
  });

  it('its sink counts anomalies by severity and cause from 0 and observes their deviation', async () => {
    const m = createMetrics();
    let e = await read(m);
    expect(select(e, 'wfmirror_anomalies_total')).toHaveLength(SEVERITIES.length * ANOMALY_CAUSES.length);
    expect(sum(e, 'wfmirror_anomalies_total')).toBe(0);
    m.sink.write(makeReport({ severity: 'critical', cause: 'lost-event', deviation: 1005 }));
    m.sink.write(makeReport({ severity: 'critical', cause: 'lost-event', deviation: 50 }));
    m.sink.write(makeReport({ severity: 'warning', cause: 'unknown', deviation: Number.NaN }));
    e = await read(m);
    expect(value(e, 'wfmirror_anomalies_total', { severity: 'critical', cause: 'lost-event' })).toBe(2);
    expect(value(e, 'wfmirror_anomalies_total', { severity: 'warning', cause: 'unknown' })).toBe(1);
    expect(value(e, 'wfmirror_anomaly_deviation_count', { severity: 'critical' })).toBe(2);
    expect(value(e, 'wfmirror_anomaly_deviation_sum', { severity: 'critical' })).toBe(1055);
    expect(value(e, 'wfmirror_anomaly_deviation_bucket', { severity: 'critical', le: '100' })).toBe(1);
    expect(value(e, 'wfmirror_anomaly_deviation_bucket', { severity: 'critical', le: '10000' })).toBe(2);
    // NaN: counted as an anomaly, kept out of the buckets.
    expect(value(e, 'wfmirror_anomaly_deviation_count', { severity: 'warning' })).toBe(0);
  });

  it('records promotions: count by outcome, duration in seconds, tail events', async () => {
    const m = createMetrics();
    await m.observePromotion(Promise.resolve({ durationMs: 12, tailEvents: 30 }));
    m.recordPromotion({ durationMs: 3_000 });
    await expect(m.observePromotion(Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(() => m.recordPromotion({ durationMs: -1 })).toThrow(InvalidObserveOptionsError);
    const e = await read(m);
    expect(value(e, 'wfmirror_promotions_total', { outcome: 'promoted' })).toBe(2);
    expect(value(e, 'wfmirror_promotions_total', { outcome: 'failed' })).toBe(1);
    expect(value(e, 'wfmirror_promotion_duration_seconds_count')).toBe(2);
    expect(value(e, 'wfmirror_promotion_duration_seconds_sum')).toBeCloseTo(3.012, 9);
    expect(value(e, 'wfmirror_promotion_duration_seconds_bucket', { le: '0.025' })).toBe(1);
    expect(value(e, 'wfmirror_promotion_tail_events_total')).toBe(30);
  });

  it('reads an alert sink at scrape time', async () => {
    const m = createMetrics();
    const counters = { enqueued: 4, deduplicated: 2, delivered: 3, rejected: 0, failedAttempts: 5, queued: 1, pending: 1 };
    m.trackAlerts({ stats: () => counters });
    const e = await read(m);
    expect(value(e, 'wfmirror_alerts_delivered_total')).toBe(3);
    expect(value(e, 'wfmirror_alerts_deduplicated_total')).toBe(2);
    expect(value(e, 'wfmirror_alert_delivery_failures_total')).toBe(5);
    expect(value(e, 'wfmirror_alert_outbox_pending')).toBe(1);
  });

  it('keeps a registry per call (no name clash), every name prefixed wfmirror_, and checks its options', async () => {
    const shared = new Registry();
    createMetrics({ registry: shared });
    expect(() => createMetrics()).not.toThrow();
    const names = shared.getMetricsAsArray().map((metric) => metric.name);
    expect(names.every((n) => n.startsWith('wfmirror_'))).toBe(true);
    expect(() => createMetrics({ deviationBuckets: [1, 1] })).toThrow(InvalidObserveOptionsError);
    expect(() => createMetrics({ promotionBuckets: [] })).toThrow(InvalidObserveOptionsError);
  });
});

describe('serveMetrics', () => {
  it('serves GET /metrics with the exposition content type; 404 elsewhere, 405 for other methods', async () => {
    const m = createMetrics();
    const server = await serveMetrics({ metrics: m, port: 0 });
    cleanups.push(() => server.close());
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
    const ok = await fetch(server.url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe(m.contentType);
    expect(parseExposition(await ok.text()).types.get('wfmirror_anomalies_total')).toBe('counter');
    expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });

  it('answers 500 when a scrape fails, and keeps serving', async () => {
    let fail = true;
    const server = await serveMetrics({
      metrics: { contentType: 'text/plain', metrics: async () => (fail ? Promise.reject(new Error('boom')) : 'x 1\n') },
      port: 0,
    });
    cleanups.push(() => server.close());
    const bad = await fetch(server.url);
    expect(bad.status).toBe(500);
    expect(await bad.text()).toContain('boom');
    fail = false;
    expect(await (await fetch(server.url)).text()).toBe('x 1\n');
  });

  it('refuses a bad port with a typed error, and a taken one with MetricsServerError', async () => {
    const m = createMetrics();
    await expect(serveMetrics({ metrics: m, port: 70_000 })).rejects.toThrow(InvalidObserveOptionsError);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as AddressInfo).port;
    await expect(serveMetrics({ metrics: m, port })).rejects.toThrow(MetricsServerError);
  });

  it('close() ends keep-alive connections and the port is free again', async () => {
    const m = createMetrics();
    const server = await serveMetrics({ metrics: m, port: 0 });
    await (await fetch(server.url)).text(); // leaves a keep-alive connection open
    await server.close();
    await expect(fetch(server.url)).rejects.toThrow();
    const again = await serveMetrics({ metrics: m, port: server.port });
    await again.close();
  });
});
