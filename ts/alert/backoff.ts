/** Exponential back-off between delivery attempts, and the checks of its options. */
import { InvalidAlertOptionsError } from './errors.js';

/** How failed deliveries are retried. */
export interface AlertRetryOptions {
  /** Wait after the first failure, ms. Default 500. */
  readonly initialMs?: number;
  /** Longest wait, ms. Default 30,000. */
  readonly maxMs?: number;
  /** Each further failure multiplies the wait by this. Default 2. */
  readonly factor?: number;
  /**
   * Consecutive failures after which the sink stops trying until the next resend interval (the
   * alerts stay in the outbox). Default: no limit, keep backing off at `maxMs`.
   */
  readonly maxAttempts?: number;
  /** Each wait is shortened by up to this fraction at random, so many senders do not retry in step. Default 0.1; 0 for none. */
  readonly jitter?: number;
}

/** {@link AlertRetryOptions} checked and defaulted. */
export interface AlertRetryPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly maxAttempts: number | undefined;
  readonly jitter: number;
}

/** Checks `retry` and fills in the defaults; throws {@link InvalidAlertOptionsError}. */
export function resolveRetry(retry: AlertRetryOptions | undefined): AlertRetryPolicy {
  const initialMs = retry?.initialMs ?? 500;
  const maxMs = retry?.maxMs ?? Math.max(30_000, initialMs);
  const factor = retry?.factor ?? 2;
  const jitter = retry?.jitter ?? 0.1;
  const maxAttempts = retry?.maxAttempts;
  if (typeof initialMs !== 'number' || !Number.isFinite(initialMs) || initialMs <= 0) {
    throw new InvalidAlertOptionsError('retry.initialMs', `must be a finite number > 0 (got ${String(initialMs)})`);
  }
  if (typeof maxMs !== 'number' || !Number.isFinite(maxMs) || maxMs < initialMs) {
    throw new InvalidAlertOptionsError('retry.maxMs', `must be a finite number >= retry.initialMs (got ${String(maxMs)})`);
  }
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1) {
    throw new InvalidAlertOptionsError('retry.factor', `must be a finite number >= 1 (got ${String(factor)})`);
  }
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new InvalidAlertOptionsError('retry.jitter', `must be a number in [0, 1] (got ${String(jitter)})`);
  }
  if (maxAttempts !== undefined && (typeof maxAttempts !== 'number' || !Number.isSafeInteger(maxAttempts) || maxAttempts < 1)) {
    throw new InvalidAlertOptionsError('retry.maxAttempts', `must be an integer >= 1 (got ${String(maxAttempts)})`);
  }
  return { initialMs, maxMs, factor, maxAttempts, jitter };
}

/**
 * The wait after the `failures`-th consecutive failure (1-based): `initialMs * factor^(failures-1)`,
 * capped at `maxMs`, shortened by up to `jitter` of itself. A `Retry-After` the receiver asked for
 * is honoured up to `maxMs`.
 */
export function backoffDelay(
  policy: AlertRetryPolicy,
  failures: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, failures - 1));
  const jittered = exponential * (1 - policy.jitter * random());
  const asked = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) ? Math.min(policy.maxMs, retryAfterMs) : 0;
  return Math.max(jittered, asked);
}

/** A `Retry-After` header (seconds, or an HTTP date) as ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
