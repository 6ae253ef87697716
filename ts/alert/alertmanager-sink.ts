/**
 * `TriggerAlert` of the concept: an {@link AnomalySink} that sends anomaly reports of at least a
 * chosen severity to Prometheus Alertmanager (`POST /api/v2/alerts`), or anything that takes its
 * payload.
 *
 * - Durable first: `write` commits the alert to the outbox (ts/alert/alert-outbox.ts) before it
 *   returns; delivery happens after, in the background. A receiver that is down, a crash, a
 *   restart: the alert stays pending and is sent by this sink later or by the next one opened on
 *   the same outbox.
 * - De-duplicated: a report for the same (instance, cause) as an alert still pending, or raised
 *   less than `dedupWindowMs` ago, is not sent again; it is counted (stats and the outbox row).
 * - Bounded: at most `queueLimit` alerts are held in memory (in flight included); the rest wait
 *   in the outbox, in order, and are loaded as the queue empties. Nothing is dropped.
 * - Retried with exponential back-off on refused connections, timeouts, 408, 429 and 5xx; a
 *   4xx answer is final (the alert is kept, marked rejected, and reported).
 *
 * Delivery is at least once: when a request is cut after the receiver took it, it is sent again.
 * Alertmanager folds such repeats into one alert, since their labels are equal. One sink per
 * outbox at a time: two live sinks on one file would both send what is pending.
 */
import type Database from 'better-sqlite3';
import { parseReport } from '../anomaly/codec.js';
import { AnomalySinkClosedError } from '../anomaly/errors.js';
import type { AnomalyReport, Severity } from '../anomaly/report.js';
import { atLeast } from '../anomaly/severity.js';
import { type AnomalySink, resolveMinSeverity } from '../anomaly/sink.js';
import { AlertOutbox, type OutboxEntry } from './alert-outbox.js';
import { type AlertmanagerAlert, type AlertShapeOptions, toAlertmanagerAlert, validateAlertShape } from './alertmanager-alert.js';
import { type AlertRetryOptions, type AlertRetryPolicy, backoffDelay, parseRetryAfter, resolveRetry } from './backoff.js';
import {
  AlertDeliveryError,
  AlertRejectedError,
  AlertRetriesExhaustedError,
  type CorruptAlertOutboxRowError,
  InvalidAlertOptionsError,
} from './errors.js';

/** What {@link AlertmanagerSinkOptions.onError} is told about. */
export type AlertSinkError = AlertDeliveryError | AlertRejectedError | AlertRetriesExhaustedError | CorruptAlertOutboxRowError;

/** Options of {@link AlertmanagerSink}. */
export interface AlertmanagerSinkOptions extends AlertShapeOptions {
  /** The receiver, e.g. `http://alertmanager:9093/api/v2/alerts`. */
  readonly url: string;
  /** Durable outbox: a SQLite file (the anomaly store's file is fine: the table is `alert_outbox`), or an open database. */
  readonly outbox: string | Database.Database;
  /** Least severity sent. Default `warning`: `info` reports are for dashboards, not pagers. */
  readonly minSeverity?: Severity;
  readonly retry?: AlertRetryOptions;
  /** Alerts held in memory at most, in flight included. Default 1,000. */
  readonly queueLimit?: number;
  /** Alerts per POST at most. Default 100 (capped at `queueLimit`). */
  readonly batchSize?: number;
  /** A repeat for the same (instance, cause) within this long of the first is not sent. Default 300,000 (5 min). */
  readonly dedupWindowMs?: number;
  /**
   * How often the outbox is read again for alerts waiting outside the memory queue (after
   * `retry.maxAttempts` gave up), and delivered alerts past the window are purged. Default 60,000.
   */
  readonly resendIntervalMs?: number;
  /** A request with no answer after this long counts as failed. Default 10,000. */
  readonly requestTimeoutMs?: number;
  /** `close()` waits up to this long for pending alerts to be delivered before it stops. Default 2,000. */
  readonly closeGraceMs?: number;
  /** Extra request headers (e.g. `authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Wall clock for the de-duplication window (ms). Default `Date.now`. */
  readonly now?: () => number;
  /** Told about each failed attempt, rejection and give-up. Default: one stderr line per failure streak and per rejection. */
  readonly onError?: (error: AlertSinkError) => void;
}

/** Counters of one sink's life, and the outbox's pending alerts. */
export interface AlertSinkStats {
  /** Reports at or above `minSeverity` written. */
  readonly written: number;
  /** Of those, new alerts added to the outbox. */
  readonly enqueued: number;
  /** Of those, repeats folded into an alert pending or raised within the window. */
  readonly deduplicated: number;
  /** Alerts a receiver took (2xx). */
  readonly delivered: number;
  /** Alerts a receiver refused with a final 4xx. */
  readonly rejected: number;
  /** POSTs that failed and will be retried. */
  readonly failedAttempts: number;
  /** Alerts in memory now (queued and in flight). */
  readonly queued: number;
  /** The most alerts ever held in memory at once (never above `queueLimit`). */
  readonly maxQueued: number;
  /** Alerts in the outbox not yet delivered nor rejected (this sink's and any earlier one's). */
  readonly pending: number;
}

type PostResult =
  | { readonly kind: 'ok' }
  | { readonly kind: 'rejected'; readonly status: number; readonly body: string }
  | {
      readonly kind: 'retry';
      readonly status: number | undefined;
      readonly problem: string;
      readonly retryAfterMs?: number;
      readonly cause?: unknown;
    }
  | { readonly kind: 'aborted' };

/** Sends anomaly reports to Alertmanager; see the module comment. */
export class AlertmanagerSink implements AnomalySink {
  readonly url: string;
  readonly minSeverity: Severity;
  private readonly outbox: AlertOutbox;
  private readonly shape: AlertShapeOptions;
  private readonly retry: AlertRetryPolicy;
  private readonly queueLimit: number;
  private readonly batchSize: number;
  private readonly dedupWindowMs: number;
  private readonly requestTimeoutMs: number;
  private readonly closeGraceMs: number;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly now: () => number;
  private readonly onError: (error: AlertSinkError) => void;
  private readonly queue: OutboxEntry[] = [];
  private inFlight: readonly OutboxEntry[] = [];
  /** Pending alerts may sit in the outbox outside the memory queue: read it when the queue empties. */
  private outboxHasMore = true;
  /** Retries were exhausted: wait for the resend timer. */
  private paused = false;
  private failures = 0;
  private loop: Promise<void> | undefined;
  private readonly resendTimer: NodeJS.Timeout;
  private readonly stopped = new AbortController();
  private readonly wakers = new Set<() => void>();
  private closing: Promise<void> | undefined;
  private pendingAtClose: number | undefined;
  private counters = { written: 0, enqueued: 0, deduplicated: 0, delivered: 0, rejected: 0, failedAttempts: 0, maxQueued: 0 };

  /** @throws InvalidAlertOptionsError for a bad option (nothing is opened then) */
  constructor(options: AlertmanagerSinkOptions) {
    if (typeof options !== 'object' || options === null) throw new InvalidAlertOptionsError('options', 'must be an object');
    this.url = checkUrl(options.url);
    try {
      this.minSeverity = resolveMinSeverity({ minSeverity: options.minSeverity ?? 'warning' }, 'minSeverity');
    } catch (error) {
      throw new InvalidAlertOptionsError('minSeverity', (error as Error).message.replace(/^minSeverity /, ''));
    }
    validateAlertShape(options, '');
    this.shape = {
      ...(options.labels === undefined ? {} : { labels: { ...options.labels } }),
      ...(options.generatorURL === undefined ? {} : { generatorURL: options.generatorURL }),
    };
    this.retry = resolveRetry(options.retry);
    this.queueLimit = positiveInteger(options.queueLimit, 1_000, 'queueLimit');
    this.batchSize = Math.min(this.queueLimit, positiveInteger(options.batchSize, 100, 'batchSize'));
    this.dedupWindowMs = nonNegative(options.dedupWindowMs, 300_000, 'dedupWindowMs');
    const resendIntervalMs = positive(options.resendIntervalMs, 60_000, 'resendIntervalMs');
    this.requestTimeoutMs = positive(options.requestTimeoutMs, 10_000, 'requestTimeoutMs');
    this.closeGraceMs = nonNegative(options.closeGraceMs, 2_000, 'closeGraceMs');
    this.headers = checkHeaders(options.headers);
    if (options.now !== undefined && typeof options.now !== 'function')
      throw new InvalidAlertOptionsError('now', 'must be a function');
    this.now = options.now ?? Date.now;
    if (options.onError !== undefined && typeof options.onError !== 'function')
      throw new InvalidAlertOptionsError('onError', 'must be a function');
    this.onError = options.onError ?? ((error) => this.logError(error));
    const outbox: unknown = options.outbox;
    if (typeof outbox !== 'object' && (typeof outbox !== 'string' || outbox === '')) {
      throw new InvalidAlertOptionsError('outbox', 'must be a SQLite file path or an open better-sqlite3 database');
    }
    this.outbox = AlertOutbox.open(options.outbox);
    this.outbox.purgeDelivered(this.now() - this.dedupWindowMs);
    // Unref'd: a sink left open must not keep a process alive; its alerts are durable anyway.
    this.resendTimer = setInterval(() => this.resend(), resendIntervalMs);
    this.resendTimer.unref();
    // Whatever an earlier sink left pending goes out now.
    this.pump();
  }

  /**
   * Commits an alert for `report` to the outbox (or counts it as a repeat) and wakes the sender.
   * Below `minSeverity`: nothing. An invalid report throws `InvalidAnomalyReportError`, nothing stored.
   */
  write(report: AnomalyReport): void {
    if (this.closing !== undefined) throw new AnomalySinkClosedError('AlertmanagerSink');
    if (!atLeast(report.severity, this.minSeverity)) return;
    const checked = parseReport(report);
    const alert = toAlertmanagerAlert(checked, this.shape);
    const now = this.now();
    const outcome = this.outbox.add(
      JSON.stringify([checked.workflowId, checked.cause]),
      checked.id,
      alert,
      now,
      now - this.dedupWindowMs,
    );
    this.counters.written++;
    if (!outcome.added) {
      this.counters.deduplicated++;
      return;
    }
    this.counters.enqueued++;
    // Once something waits in the outbox alone, newer alerts wait behind it there: order is kept.
    if (!this.outboxHasMore && this.held() < this.queueLimit) {
      this.queue.push({ id: outcome.id, alert });
      this.counters.maxQueued = Math.max(this.counters.maxQueued, this.held());
    } else {
      this.outboxHasMore = true;
    }
    this.pump();
  }

  /** Nothing to do: every alert is committed to the outbox by `write`. Use {@link drain} to wait for delivery. */
  async flush(): Promise<void> {}

  /**
   * Waits until every pending alert in the outbox is delivered (or rejected); true when that
   * happened within `timeoutMs`, false when time ran out (the alerts stay pending).
   */
  async drain(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.isIdle()) return true;
      const left = deadline - Date.now();
      if (left <= 0 || this.stopped.signal.aborted) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 1_000_000_000));
        this.wakers.add(wake);
      });
    }
  }

  /**
   * Waits up to `closeGraceMs` for pending alerts to go out, then stops: a request in flight is
   * cut, timers end, the outbox is closed (if the sink opened it). What was not delivered stays
   * pending for the next sink. Later writes throw. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.closeGraceMs > 0) await this.drain(this.closeGraceMs);
      this.stopped.abort();
      clearInterval(this.resendTimer);
      this.wake();
      await this.loop;
      this.queue.length = 0;
      this.pendingAtClose = this.outbox.counts().pending;
      this.outbox.close();
    })();
    return this.closing;
  }

  stats(): AlertSinkStats {
    const { maxQueued, ...rest } = this.counters;
    return { ...rest, queued: this.held(), maxQueued, pending: this.pendingInOutbox() };
  }

  /** Pending alerts in the outbox; after `close()`, as they were when it closed. */
  private pendingInOutbox(): number {
    return this.pendingAtClose ?? this.outbox.counts().pending;
  }

  private held(): number {
    return this.queue.length + this.inFlight.length;
  }

  private isIdle(): boolean {
    return this.held() === 0 && this.pendingInOutbox() === 0;
  }

  private pump(): void {
    if (this.loop !== undefined || this.paused || this.stopped.signal.aborted) return;
    this.loop = this.send().finally(() => {
      this.loop = undefined;
      // A write may have queued an alert after the sender saw an empty queue but before it ended.
      if (this.queue.length > 0 || this.outboxHasMore) this.pump();
      this.wake();
    });
  }

  /** The one sender: sends batches in order until the queue and the outbox are empty, backing off on failure. */
  private async send(): Promise<void> {
    while (!this.stopped.signal.aborted) {
      if (this.queue.length === 0 && this.outboxHasMore) this.refill();
      if (this.queue.length === 0) return;
      const batch = this.queue.splice(0, this.batchSize);
      this.inFlight = batch;
      const result = await this.post(batch.map((e) => e.alert));
      this.inFlight = [];
      const ids = batch.map((e) => e.id);
      switch (result.kind) {
        case 'ok':
          this.outbox.markDelivered(ids, this.now());
          this.counters.delivered += ids.length;
          this.failures = 0;
          break;
        case 'rejected': {
          const error = new AlertRejectedError(this.url, result.status, ids.length, result.body);
          this.outbox.markRejected(ids, this.now(), error.message);
          this.counters.rejected += ids.length;
          this.failures = 0;
          this.onError(error);
          break;
        }
        case 'aborted':
          // Closing: the batch stays pending in the outbox for the next sink.
          return;
        case 'retry': {
          this.failures++;
          this.counters.failedAttempts++;
          const error = new AlertDeliveryError(this.url, result.status, this.failures, ids.length, result.problem, {
            cause: result.cause,
          });
          this.outbox.markFailed(ids, result.problem);
          this.onError(error);
          if (this.retry.maxAttempts !== undefined && this.failures >= this.retry.maxAttempts) {
            // Give up until the resend timer; the memory queue is let go, the outbox keeps it all.
            this.queue.length = 0;
            this.outboxHasMore = true;
            this.paused = true;
            this.onError(new AlertRetriesExhaustedError(this.url, this.failures, this.outbox.counts().pending, { cause: error }));
            this.failures = 0;
            return;
          }
          this.queue.unshift(...batch);
          await this.sleep(backoffDelay(this.retry, this.failures, result.retryAfterMs));
          break;
        }
      }
      this.wake();
    }
  }

  /** Loads the oldest pending alerts into the empty queue (nothing is in flight when this runs). */
  private refill(): void {
    const { entries, corrupt } = this.outbox.pending(this.queueLimit, this.now());
    for (const error of corrupt) this.onError(error);
    this.queue.push(...entries);
    this.counters.maxQueued = Math.max(this.counters.maxQueued, this.held());
    // A short read means the outbox holds nothing more than what was just loaded.
    this.outboxHasMore = entries.length + corrupt.length >= this.queueLimit;
  }

  private async post(alerts: readonly AlertmanagerAlert[]): Promise<PostResult> {
    const request = new AbortController();
    const cut = () => request.abort();
    this.stopped.signal.addEventListener('abort', cut, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, this.requestTimeoutMs);
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.headers },
        body: JSON.stringify(alerts),
        signal: request.signal,
      });
      // Read the body either way: it frees the connection, and a refusal's text says why.
      const body = await response.text().catch(() => '');
      if (response.ok) return { kind: 'ok' };
      const status = response.status;
      if (status === 408 || status === 429 || status >= 500) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
        return {
          kind: 'retry',
          status,
          problem: `HTTP ${status}${body === '' ? '' : `: ${body.slice(0, 200)}`}`,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        };
      }
      return { kind: 'rejected', status, body: body.slice(0, 500) };
    } catch (error) {
      if (this.stopped.signal.aborted && !timedOut) return { kind: 'aborted' };
      const problem = timedOut ? `no answer within ${this.requestTimeoutMs} ms` : describeFetchError(error);
      return { kind: 'retry', status: undefined, problem, cause: error };
    } finally {
      clearTimeout(timer);
      this.stopped.signal.removeEventListener('abort', cut);
    }
  }

  /** Waits `ms`, or less when the sink stops. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stopped.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.stopped.signal.addEventListener('abort', done, { once: true });
    });
  }

  private resend(): void {
    try {
      this.outbox.purgeDelivered(this.now() - this.dedupWindowMs);
    } catch {
      // Purging is housekeeping; a locked database now is tried again at the next interval.
    }
    this.paused = false;
    this.outboxHasMore = true;
    this.pump();
  }

  private wake(): void {
    for (const wake of [...this.wakers]) wake();
  }

  private logError(error: AlertSinkError): void {
    if (error instanceof AlertDeliveryError && error.attempt > 1) return;
    process.stderr.write(`[alert] ${error.message}\n`);
  }
}

function checkUrl(url: unknown): string {
  if (typeof url !== 'string' || !URL.canParse(url))
    throw new InvalidAlertOptionsError('url', `must be an absolute http(s) URL (got ${String(url)})`);
  const protocol = new URL(url).protocol;
  if (protocol !== 'http:' && protocol !== 'https:')
    throw new InvalidAlertOptionsError('url', `must use http or https (got ${protocol})`);
  return url;
}

function checkHeaders(headers: unknown): Readonly<Record<string, string>> {
  if (headers === undefined) return {};
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new InvalidAlertOptionsError('headers', 'must be an object of header name to string value');
  }
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') throw new InvalidAlertOptionsError(`headers.${name}`, 'must be a string');
  }
  return { ...(headers as Record<string, string>) };
}

function positiveInteger(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidAlertOptionsError(name, `must be an integer >= 1 (got ${String(value)})`);
  }
  return value;
}

function positive(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidAlertOptionsError(name, `must be a finite number > 0 (got ${String(value)})`);
  }
  return value;
}

function nonNegative(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidAlertOptionsError(name, `must be a finite number >= 0 (got ${String(value)})`);
  }
  return value;
}

/** undici says "fetch failed" and keeps the reason (ECONNREFUSED, ...) in `cause`. */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}
