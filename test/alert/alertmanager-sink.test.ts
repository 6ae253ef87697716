import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertOutbox } from '../../ts/alert/alert-outbox.js';
import { ALERT_NAME } from '../../ts/alert/alertmanager-alert.js';
import { AlertmanagerSink, type AlertmanagerSinkOptions, type AlertSinkError } from '../../ts/alert/alertmanager-sink.js';
import {
  AlertDeliveryError,
  AlertRejectedError,
  AlertRetriesExhaustedError,
  InvalidAlertOptionsError,
} from '../../ts/alert/errors.js';
import { AnomalySinkClosedError } from '../../ts/anomaly/errors.js';
import type { AnomalyReport } from '../../ts/anomaly/report.js';
import { makeReport, tempDir } from '../anomaly/fixtures.js';
import { arrivals, deadUrl, type Receiver, startReceiver } from './receiver.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function outboxPath(): string {
  const { dir, cleanup } = tempDir('alert');
  cleanups.push(cleanup);
  return join(dir, 'outbox.db');
}

async function receiver(options: Parameters<typeof startReceiver>[0] = {}): Promise<Receiver> {
  const r = await startReceiver(options);
  cleanups.push(() => r.close());
  return r;
}

/** A sink with fast, deterministic back-off; closed after the test. */
function sink(
  options: Partial<AlertmanagerSinkOptions> & Pick<AlertmanagerSinkOptions, 'url' | 'outbox'>,
  errors: AlertSinkError[] = [],
) {
  const s = new AlertmanagerSink({
    retry: { initialMs: 20, maxMs: 200, factor: 2, jitter: 0 },
    closeGraceMs: 0,
    onError: (error) => errors.push(error),
    ...options,
  });
  cleanups.push(() => s.close());
  return s;
}

/** Distinct anomalies: instance `wf-<i>`, alternating causes, all critical. */
function reports(n: number, from = 0): AnomalyReport[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return makeReport({ id: `r-${i}`, workflowId: `wf-${i}`, cause: i % 2 === 0 ? 'lost-event' : 'non-determinism', seq: i + 1 });
  });
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('AlertmanagerSink', () => {
  it('delivers every alert exactly once after a receiver that failed its first requests recovers, repeats folded', async () => {
    const r = await receiver({ failFirst: 3 });
    const errors: AlertSinkError[] = [];
    const s = sink({ url: r.url, outbox: outboxPath(), batchSize: 4 }, errors);
    const distinct = reports(10);
    for (const report of distinct) s.write(report);
    // Repeats: the same instance and cause again (new report ids, later seqs) while the first waits.
    for (const i of [0, 3, 7]) s.write({ ...distinct[i]!, id: `again-${i}`, seq: 99 });

    expect(await s.drain(10_000)).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.requests.slice(0, 3).map((q) => q.status)).toEqual([503, 503, 503]);
    const counts = arrivals(r.accepted);
    expect(counts.size).toBe(10);
    for (const report of distinct) expect(counts.get(`${report.workflowId}|${report.cause}`), report.workflowId).toBe(1);
    // The alert sent is the first report's; the repeats only counted.
    const first = r.accepted.find((a) => a.labels['workflow_id'] === 'wf-3')!;
    expect(first.annotations['report_id']).toBe('r-3');
    expect(s.stats()).toMatchObject({
      written: 13,
      enqueued: 10,
      deduplicated: 3,
      delivered: 10,
      failedAttempts: 3,
      pending: 0,
      queued: 0,
    });
    expect(errors.map((e) => e instanceof AlertDeliveryError && [e.status, e.attempt])).toEqual([
      [503, 1],
      [503, 2],
      [503, 3],
    ]);
  });

  it('backs off exponentially between failed attempts', async () => {
    const r = await receiver({ failFirst: 4 });
    const s = sink({ url: r.url, outbox: outboxPath(), retry: { initialMs: 40, maxMs: 1_000, factor: 2, jitter: 0 } });
    s.write(reports(1)[0]!);
    expect(await s.drain(10_000)).toBe(true);
    const at = r.requests.map((q) => q.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // Waits of 40, 80, 160, 320 ms after failures 1-4; a timer never fires early (2 ms for clock rounding).
    for (const [i, wait] of [40, 80, 160, 320].entries()) expect(gaps[i], `gap ${i}`).toBeGreaterThanOrEqual(wait - 2);
    expect(arrivals(r.accepted).get('wf-0|lost-event')).toBe(1);
  });

  it('loses nothing when the receiver is down for the whole life of a sink: the next sink on the outbox sends it all', async () => {
    const outbox = outboxPath();
    const first = sink({ url: await deadUrl(), outbox });
    const written = reports(20);
    for (const report of written) first.write(report);
    await until(() => first.stats().failedAttempts >= 2);
    expect(first.stats()).toMatchObject({ delivered: 0, pending: 20 });
    // Committed on write: another connection (a process after a crash) sees all of it now.
    const look = AlertOutbox.open(outbox);
    expect(look.counts().pending).toBe(20);
    look.close();
    await first.close();
    expect(first.stats().pending).toBe(20);
    expect(() => first.write(reports(1, 50)[0]!)).toThrow(AnomalySinkClosedError);

    // A restart: a new sink, the receiver up (at another address: the outbox keeps alerts, not URLs).
    const r = await receiver();
    const second = sink({ url: r.url, outbox });
    expect(await second.drain(10_000)).toBe(true);
    const counts = arrivals(r.accepted);
    expect(counts.size).toBe(20);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(second.stats()).toMatchObject({ enqueued: 0, delivered: 20, pending: 0 });

    // The de-duplication window outlives the restart: a repeat of a delivered alert is not sent.
    second.write({ ...written[5]!, id: 'after-restart' });
    expect(await second.drain(1_000)).toBe(true);
    expect(second.stats().deduplicated).toBe(1);
    expect(r.accepted).toHaveLength(20);
  });

  it('holds at most queueLimit alerts in memory; the overflow waits in the outbox and goes out in order', async () => {
    const r = await receiver({ failFirst: 2 });
    const s = sink({ url: r.url, outbox: outboxPath(), queueLimit: 5, batchSize: 2 });
    const written = reports(40);
    for (const report of written) {
      s.write(report);
      expect(s.stats().queued).toBeLessThanOrEqual(5);
    }
    expect(s.stats().pending).toBe(40);
    expect(await s.drain(10_000)).toBe(true);
    expect(s.stats().maxQueued).toBe(5);
    expect(r.accepted.map((a) => a.labels['workflow_id'])).toEqual(written.map((w) => w.workflowId));
    expect(r.requests.every((q) => q.alerts <= 2)).toBe(true);
  });

  it('after retry.maxAttempts it waits for the resend interval, then delivers', async () => {
    const r = await receiver({ failFirst: 3 });
    const errors: AlertSinkError[] = [];
    const s = sink(
      { url: r.url, outbox: outboxPath(), retry: { initialMs: 10, maxMs: 10, maxAttempts: 2, jitter: 0 }, resendIntervalMs: 500 },
      errors,
    );
    for (const report of reports(3)) s.write(report);
    await until(() => errors.some((e) => e instanceof AlertRetriesExhaustedError));
    const exhausted = errors.find((e) => e instanceof AlertRetriesExhaustedError) as AlertRetriesExhaustedError;
    expect(exhausted).toMatchObject({ code: 'ALERT_RETRIES_EXHAUSTED', attempts: 2, pending: 3 });
    const requestsWhenGivenUp = r.requests.length;
    expect(requestsWhenGivenUp).toBe(2);
    // Paused: a new write is committed but sends nothing until the interval.
    s.write(reports(1, 3)[0]!);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.requests.length).toBe(requestsWhenGivenUp);
    expect(s.stats().pending).toBe(4);
    expect(await s.drain(5_000)).toBe(true);
    expect(arrivals(r.accepted).size).toBe(4);
    expect([...arrivals(r.accepted).values()].every((n) => n === 1)).toBe(true);
  });

  it('does not retry a final 4xx: the alerts stay in the outbox, marked rejected', async () => {
    const r = await receiver({ failFirst: 1_000, failStatus: 400 });
    const errors: AlertSinkError[] = [];
    const path = outboxPath();
    const s = sink({ url: r.url, outbox: path }, errors);
    for (const report of reports(2)) s.write(report);
    expect(await s.drain(5_000)).toBe(true);
    expect(r.requests).toHaveLength(1);
    expect(s.stats()).toMatchObject({ rejected: 2, delivered: 0, pending: 0 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(AlertRejectedError);
    expect(errors[0]).toMatchObject({ status: 400, alerts: 2, body: 'receiver not ready' });
    await s.close();
    const outbox = AlertOutbox.open(path);
    try {
      expect(outbox.counts()).toMatchObject({ pending: 0, rejected: 2, delivered: 0 });
    } finally {
      outbox.close();
    }
  });

  it('sends only reports at or above minSeverity (default warning), shaped for Alertmanager v2', async () => {
    const r = await receiver();
    const s = sink({
      url: r.url,
      outbox: outboxPath(),
      labels: { service: 'orders' },
      generatorURL: 'http://grafana.local/d/wfmirror',
    });
    s.write(makeReport({ id: 'i', workflowId: 'wf-info', severity: 'info' }));
    s.write(makeReport({ id: 'w', workflowId: 'wf-warn', severity: 'warning', cause: 'unknown', deviation: 12.5, seq: 4 }));
    expect(await s.drain(5_000)).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.accepted).toEqual([
      {
        labels: {
          service: 'orders',
          alertname: ALERT_NAME,
          severity: 'warning',
          cause: 'unknown',
          workflow_type: 'order',
          workflow_id: 'wf-warn',
        },
        annotations: expect.objectContaining({ deviation: '12.5', seq: '4', report_id: 'w', threshold: '5' }),
        startsAt: new Date(1_700_000_000_000).toISOString(),
        generatorURL: 'http://grafana.local/d/wfmirror',
      },
    ]);
    const description = r.accepted[0]!.annotations['description']!;
    expect(description).toContain('charge returned 98.5');
    expect(description).toContain('status: primary paid, mirror new');
    expect(s.stats()).toMatchObject({ written: 1, delivered: 1 });
  });

  it('refuses bad options with typed errors and opens nothing', () => {
    const outbox = outboxPath();
    const bad: [Partial<AlertmanagerSinkOptions>, string][] = [
      [{ url: 'ftp://host/alerts' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ minSeverity: 'loud' as never }, 'minSeverity'],
      [{ labels: { alertname: 'x' } }, 'labels'],
      [{ labels: { 'bad-name': 'x' } }, 'labels'],
      [{ generatorURL: 'relative/path' }, 'generatorURL'],
      [{ retry: { factor: 0.5 } }, 'retry.factor'],
      [{ retry: { initialMs: 100, maxMs: 10 } }, 'retry.maxMs'],
      [{ retry: { maxAttempts: 0 } }, 'retry.maxAttempts'],
      [{ queueLimit: 0 }, 'queueLimit'],
      [{ dedupWindowMs: -1 }, 'dedupWindowMs'],
      [{ outbox: '' }, 'outbox'],
    ];
    for (const [options, option] of bad) {
      let error: unknown;
      try {
        new AlertmanagerSink({ url: 'http://127.0.0.1:9/api/v2/alerts', outbox, ...options });
      } catch (e) {
        error = e;
      }
      expect(error, option).toBeInstanceOf(InvalidAlertOptionsError);
      expect((error as InvalidAlertOptionsError).option).toBe(option);
    }
  });

  it('rejects an invalid report and stores nothing', async () => {
    const path = outboxPath();
    const s = sink({ url: await deadUrl(), outbox: path });
    expect(() => s.write({ ...makeReport(), seq: -1 })).toThrow(/seq/);
    expect(s.stats()).toMatchObject({ written: 0, pending: 0 });
  });
});
