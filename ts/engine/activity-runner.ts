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
  // A first attempt that returns a plain value allocates only its info object and the outcome:
  // this runs once per activity of every workflow. The slow paths gather what they need in `run`.
  let first: unknown;
  try {
    first = implementation(input as never, attemptInfo(info, 1));
  } catch (error) {
    return retryAfter({ implementation, input, info, clock, retry, timeoutMs, wait }, 1, errorText(error));
  }
  if (!isThenable(first)) return { ok: true, result: first === undefined ? null : first };
  const run: ActivityRun = { implementation, input, info, clock, retry, timeoutMs, wait };
  return settle(run, first).then(
    (result): ActivityOutcome => ({ ok: true, result }),
    (error: unknown) => retryAfter(run, 1, errorText(error)),
  );
}

/** What the slow paths (a promise, a retry) need to go on with an activity. */
interface ActivityRun {
  readonly implementation: ActivityImplementation;
  readonly input: unknown;
  readonly info: Omit<ActivityInfo, 'attempt'>;
  readonly clock: Clock;
  readonly retry: RetryPolicy | undefined;
  readonly timeoutMs: number | undefined;
  readonly wait: (ms: number) => Promise<void>;
}

function attemptInfo(info: Omit<ActivityInfo, 'attempt'>, attempt: number): ActivityInfo {
  return {
    workflowId: info.workflowId,
    activity: info.activity,
    scheduledSeq: info.scheduledSeq,
    attempt,
    idempotencyKey: info.idempotencyKey,
  };
}

/** Waits for one attempt's result, under the per-attempt timeout if there is one. */
function settle(run: ActivityRun, pending: unknown): Promise<unknown> {
  const result =
    run.timeoutMs === undefined ? Promise.resolve(pending) : withTimeout(pending, run.timeoutMs, run.info.activity, run.clock);
  return result.then((value) => (value === undefined ? null : value));
}

/** Attempts after a failed one, with backoff, until one succeeds or the policy's attempts are spent. */
async function retryAfter(run: ActivityRun, failedAttempt: number, firstError: string): Promise<ActivityOutcome> {
  const policy = run.retry === undefined ? DEFAULT_RETRY : { ...DEFAULT_RETRY, ...run.retry };
  let lastError = firstError;
  let backoff = policy.backoffMs;
  for (let attempt = failedAttempt + 1; attempt <= policy.attempts; attempt++) {
    await run.wait(backoff);
    backoff = Math.min(policy.maxBackoffMs, backoff * policy.factor);
    try {
      return { ok: true, result: await settle(run, run.implementation(run.input as never, attemptInfo(run.info, attempt))) };
    } catch (error) {
      lastError = errorText(error);
    }
  }
  return { ok: false, error: lastError, attempts: policy.attempts };
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
