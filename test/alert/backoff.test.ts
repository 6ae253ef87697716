import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, resolveRetry } from '../../ts/alert/backoff.js';
import { InvalidAlertOptionsError } from '../../ts/alert/errors.js';

describe('alert back-off', () => {
  it('grows by factor from initialMs and stops at maxMs', () => {
    const policy = resolveRetry({ initialMs: 100, maxMs: 1_000, factor: 3, jitter: 0 });
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n))).toEqual([100, 300, 900, 1_000, 1_000]);
  });

  it('jitter only shortens a wait, by at most its fraction', () => {
    const policy = resolveRetry({ initialMs: 1_000, maxMs: 1_000, jitter: 0.25 });
    expect(backoffDelay(policy, 1, undefined, () => 0)).toBe(1_000);
    expect(backoffDelay(policy, 1, undefined, () => 0.999_999)).toBeCloseTo(750, 3);
  });

  it("honours the receiver's Retry-After, up to maxMs", () => {
    const policy = resolveRetry({ initialMs: 10, maxMs: 5_000, jitter: 0 });
    expect(backoffDelay(policy, 1, 2_000)).toBe(2_000);
    expect(backoffDelay(policy, 1, 60_000)).toBe(5_000);
    expect(parseRetryAfter('3', 0)).toBe(3_000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter(null, 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });

  it('defaults: 500 ms doubling to 30 s, no attempt limit', () => {
    expect(resolveRetry(undefined)).toEqual({ initialMs: 500, maxMs: 30_000, factor: 2, maxAttempts: undefined, jitter: 0.1 });
  });

  it('refuses nonsense with the option named', () => {
    for (const [retry, option] of [
      [{ initialMs: 0 }, 'retry.initialMs'],
      [{ initialMs: Number.NaN }, 'retry.initialMs'],
      [{ jitter: 2 }, 'retry.jitter'],
      [{ maxAttempts: 1.5 }, 'retry.maxAttempts'],
    ] as const) {
      expect(() => resolveRetry(retry)).toThrow(InvalidAlertOptionsError);
      try {
        resolveRetry(retry);
      } catch (error) {
        expect((error as InvalidAlertOptionsError).option).toBe(option);
      }
    }
  });
});
