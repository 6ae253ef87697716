/** Sampling on a fake clock: when it stops, what it keeps, and that the median and minimum are of the samples. */
import { describe, expect, it } from 'vitest';
import { HARD_LIMIT_FACTOR, median, sampleCase } from '../../ts/benchmark/sampling.js';

/** A clock that moves only when the case runs, by the durations given (the last one repeating). */
function fakeCase(durations: readonly number[]) {
  let t = 0;
  let calls = 0;
  return {
    now: () => t,
    run: () => {
      t += durations[Math.min(calls, durations.length - 1)]!;
      calls += 1;
    },
    calls: () => calls,
  };
}

describe('sampleCase', () => {
  it('samples until the time budget is spent, after a warm-up that is not counted', async () => {
    const c = fakeCase([10]);
    const timing = await sampleCase(c.run, { timeMs: 100, minSamples: 5 }, c.now);
    // One warm-up run already spends 10% of the budget; then 10 samples of 10 ms fill 100 ms.
    expect(timing).toEqual({ medianMs: 10, minMs: 10, samples: 10 });
    expect(c.calls()).toBe(11);
  });

  it('takes at least minSamples even past the budget', async () => {
    const c = fakeCase([60]);
    const timing = await sampleCase(c.run, { timeMs: 100, minSamples: 5 }, c.now);
    expect(timing.samples).toBe(5);
  });

  it(`stops a slow case at ${HARD_LIMIT_FACTOR}x the budget, short of minSamples`, async () => {
    const c = fakeCase([300]);
    const timing = await sampleCase(c.run, { timeMs: 100, minSamples: 5 }, c.now);
    expect(timing.samples).toBe(2);
    expect(timing.medianMs).toBe(300);
  });

  it('keeps the median and the fastest sample, not the warm-up', async () => {
    // Three warm-up runs (1 ms each stays under 10% of 100 ms), then five samples.
    const c = fakeCase([1, 1, 1, 50, 10, 90, 30, 70]);
    const timing = await sampleCase(c.run, { timeMs: 100, minSamples: 5, maxSamples: 5 }, c.now);
    expect(timing).toEqual({ medianMs: 50, minMs: 10, samples: 5 });
  });

  it('times a case returning a promise until the promise settles', async () => {
    let t = 0;
    const run = () =>
      new Promise<void>((resolve) =>
        setTimeout(() => {
          t += 7;
          resolve();
        }, 0),
      );
    const timing = await sampleCase(run, { timeMs: 10, minSamples: 3 }, () => t);
    expect(timing).toEqual({ medianMs: 7, minMs: 7, samples: 3 });
  });

  it('propagates what the case throws', async () => {
    await expect(
      sampleCase(
        () => {
          throw new Error('boom');
        },
        { timeMs: 1, minSamples: 1 },
      ),
    ).rejects.toThrow('boom');
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
