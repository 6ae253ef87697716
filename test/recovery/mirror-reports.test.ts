import { describe, expect, it } from 'vitest';
import { MemoryEventLog, protectionStatusFromLog, startMirrorReports, VirtualClock } from '../../ts/index.js';
import { someEvents } from '../history/fixtures.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('mirror position reports', () => {
  it('reports at once and every interval, with the wall clock given, and can be forgotten on stop', async () => {
    const log = new MemoryEventLog();
    const clock = new VirtualClock(1_000);
    const mirror = { position: 3 };
    const reports = startMirrorReports({ log, name: 'mirror-1', mirror, intervalMs: 100, clock });
    await flush();
    expect(await log.mirrorPositions()).toEqual([{ name: 'mirror-1', position: 3, time: 1_000 }]);
    mirror.position = 7;
    clock.advanceBy(99);
    await flush();
    expect((await log.mirrorPositions())[0]!.position).toBe(3); // not yet
    clock.advanceBy(1);
    await flush();
    expect(await log.mirrorPositions()).toEqual([{ name: 'mirror-1', position: 7, time: 1_100 }]);
    mirror.position = 9;
    await reports.reportNow();
    expect((await log.mirrorPositions())[0]!.position).toBe(9);
    await reports.stop({ forget: true });
    expect(await log.mirrorPositions()).toEqual([]);
    clock.advanceBy(1_000);
    await flush();
    expect(await log.mirrorPositions()).toEqual([]); // stopped: no more reports
    expect(() => startMirrorReports({ log, name: 'm', mirror, intervalMs: 0 })).toThrow(TypeError);
  });

  it('reads the status from the log: lag per reported mirror, stale reports not following, unmirrored without a fresh one', async () => {
    const log = new MemoryEventLog();
    for (let i = 0; i < 4; i++) await log.append(`w-${i}`, 0, someEvents(2));
    await log.reportMirrorPosition({ name: 'fresh', position: 8, time: 10_000 });
    await log.reportMirrorPosition({ name: 'old', position: 5, time: 1_000 });
    const status = await protectionStatusFromLog(log, { now: 12_000, staleAfterMs: 5_000 });
    expect(status).toEqual({
      epoch: 0,
      logPosition: 8,
      state: 'mirrored',
      mirrors: [
        { name: 'fresh', position: 8, logPosition: 8, lag: 0, reportedAt: 10_000, stale: false },
        { name: 'old', position: 5, logPosition: 8, lag: 3, reportedAt: 1_000, stale: true },
      ],
    });
    const later = await protectionStatusFromLog(log, { now: 20_000, staleAfterMs: 5_000 });
    expect(later.state).toBe('unmirrored');
  });
});
