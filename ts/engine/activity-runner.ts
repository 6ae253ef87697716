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
 * virtual clock can move time forward to the retry.
 */
export async function runActivity(
  implementation: ActivityImplementation,
  input: unknown,
  info: Omit<ActivityInfo, 'attempt'>,
  clock: Clock,
  retry: RetryPolicy | undefined,
  timeoutMs: number | undefined,
  wait: (ms: number) => Promise<void> = (ms) => sleepOn(clock, ms),
): Promise<ActivityOutcome> {
  const policy = { ...DEFAULT_RETRY, ...retry };
  let backoff = policy.backoffMs;
  let lastError = '';
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    try {
      const pending = implementation(input as never, { ...info, attempt });
      const result = timeoutMs === undefined ? await pending : await withTimeout(pending, timeoutMs, info.activity, clock);
      return { ok: true, result: result === undefined ? null : result };
    } catch (error) {
      lastError = errorText(error);
    }
    if (attempt < policy.attempts) {
      await wait(backoff);
      backoff = Math.min(policy.maxBackoffMs, backoff * policy.factor);
    }
  }
  return { ok: false, error: lastError, attempts: policy.attempts };
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
