import type { Clock } from '../clock/clock.js';
import { sleepOn } from '../clock/clock.js';
import type { RetryPolicy } from '../workflow/define.js';
import { ActivityTimeoutError, errorText } from './errors.js';

/** What an activity implementation is told besides its input. */
export interface ActivityInfo {
  readonly workflowId: string;
  readonly activity: string;
  /** Seq of the ActivityScheduled event. */
  readonly scheduledSeq: number;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /**
   * `${workflowId}:${scheduledSeq}`: the same for every attempt and for a re-issue after a
   * failover, so an implementation that honours it runs the side effect once.
   */
  readonly idempotencyKey: string;
}

/** An activity implementation. Its input is whatever the handler passed to `ctx.call`. */
export type ActivityImplementation = (input: never, info: ActivityInfo) => unknown;

/** Activity implementations by name (primary only). */
export type ActivityImplementations = Readonly<Record<string, ActivityImplementation>>;

/** How an activity ended after its retries. */
export type ActivityOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: string; readonly attempts: number };

const DEFAULT_RETRY: Required<RetryPolicy> = { attempts: 3, backoffMs: 100, factor: 2, maxBackoffMs: 10_000 };

/**
 * Runs one activity with its retry policy and per-attempt timeout, on `clock`. `wait` sleeps
 * between attempts; the engine passes one that marks itself idle meanwhile, so a run on a
 * virtual clock can move time forward to the retry. An implementation that returns a plain
 * value (not a promise) on its first attempt completes synchronously: no promise, no timer.
 */
export function runActivity(
  implementation: ActivityImplementation,
  input: unknown,
  info: Omit<ActivityInfo, 'attempt'>,
  clock: Clock,
  retry: RetryPolicy | undefined,
  timeoutMs: number | undefined,
  wait: (ms: number) => Promise<void> = (ms) => sleepOn(clock, ms),
): ActivityOutcome | Promise<ActivityOutcome> {
  const policy = retry === undefined ? DEFAULT_RETRY : { ...DEFAULT_RETRY, ...retry };
  let first: unknown;
  try {
    first = implementation(input as never, { ...info, attempt: 1 });
  } catch (error) {
    return retryAfter(1, errorText(error));
  }
  if (!isThenable(first)) return { ok: true, result: first === undefined ? null : first };
  return settle(first).then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => retryAfter(1, errorText(error)),
  );

  function settle(pending: unknown): Promise<unknown> {
    const result = timeoutMs === undefined ? Promise.resolve(pending) : withTimeout(pending, timeoutMs, info.activity, clock);
    return result.then((value) => (value === undefined ? null : value));
  }

  async function retryAfter(failedAttempt: number, firstError: string): Promise<ActivityOutcome> {
    let lastError = firstError;
    let backoff = policy.backoffMs;
    for (let attempt = failedAttempt + 1; attempt <= policy.attempts; attempt++) {
      await wait(backoff);
      backoff = Math.min(policy.maxBackoffMs, backoff * policy.factor);
      try {
        return { ok: true, result: await settle(implementation(input as never, { ...info, attempt })) };
      } catch (error) {
        lastError = errorText(error);
      }
    }
    return { ok: false, error: lastError, attempts: policy.attempts };
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function withTimeout(value: unknown, ms: number, activity: string, clock: Clock): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimer(() => reject(new ActivityTimeoutError(activity, ms)), ms);
    Promise.resolve(value).then(
      (result) => {
        clock.clearTimer(timer);
        resolve(result);
      },
      (error: unknown) => {
        clock.clearTimer(timer);
        reject(error);
      },
    );
  });
}
