/** Heartbeats through the log, and the detector's verdicts: alive, dead by silence or by decree, replaced. */
import { describe, expect, it } from 'vitest';
import {
  FailureDetector,
  HeartbeatFailedError,
  MemoryEventLog,
  startHeartbeat,
  VirtualClock,
  type WorkflowMirrorError,
} from '../../ts/index.js';
import { flush } from '../support/engine-harness.js';

describe('heartbeat and failure detection', () => {
  it('is alive while beats arrive, dead after the timeout without one', async () => {
    const log = new MemoryEventLog();
    const clock = new VirtualClock(0);
    const detector = new FailureDetector({ log, clock, timeoutMs: 3_000 });
    expect((await detector.check()).state).toBe('unknown');

    const beating = startHeartbeat({ log, owner: 'primary-1', epoch: 0, clock, intervalMs: 1_000 });
    await flush();
    for (let t = 1_000; t <= 10_000; t += 1_000) {
      clock.advanceTo(t);
      await flush();
      const status = await detector.check();
      expect(status).toMatchObject({ state: 'alive', epoch: 0, lastBeat: { owner: 'primary-1', epoch: 0, time: t } });
    }
    await beating.stop(); // the primary dies
    clock.advanceTo(13_000);
    expect(await detector.check()).toMatchObject({ state: 'alive', silentForMs: 3_000 });
    clock.advanceTo(13_001);
    expect(await detector.check()).toMatchObject({ state: 'dead', reason: 'timeout', silentForMs: 3_001 });
  });

  it('with no beat at all, is unknown for one timeout, then dead; declareDead wins at once', async () => {
    const log = new MemoryEventLog();
    const clock = new VirtualClock(500);
    const detector = new FailureDetector({ log, clock, timeoutMs: 1_000 });
    clock.advanceTo(1_500);
    expect((await detector.check()).state).toBe('unknown');
    clock.advanceTo(1_501);
    expect(await detector.check()).toMatchObject({ state: 'dead', reason: 'timeout' });

    const other = new FailureDetector({ log, clock, timeoutMs: 1_000 });
    await log.heartbeat({ owner: 'p', epoch: 0, time: clock.now() });
    expect((await other.check()).state).toBe('alive');
    other.declareDead('process exited with SIGKILL');
    expect(await other.check()).toMatchObject({ state: 'dead', reason: 'process exited with SIGKILL' });
  });

  it('says "replaced" once the log moved to a newer epoch than the last beat', async () => {
    const log = new MemoryEventLog();
    const clock = new VirtualClock(0);
    const detector = new FailureDetector({ log, clock });
    await log.heartbeat({ owner: 'old', epoch: 0, time: 0 });
    await log.claimEpoch(0);
    expect(await detector.check()).toMatchObject({ state: 'replaced', epoch: 1 });
    await log.heartbeat({ owner: 'new', epoch: 1, time: 0 });
    expect((await detector.check()).state).toBe('alive');
  });

  it('reports a beat it could not write and keeps beating', async () => {
    const log = new MemoryEventLog();
    const clock = new VirtualClock(0);
    const errors: WorkflowMirrorError[] = [];
    let fail = true;
    const flaky = Object.assign(Object.create(log) as MemoryEventLog, {
      heartbeat: (beat: Parameters<MemoryEventLog['heartbeat']>[0]) =>
        fail ? Promise.reject(new Error('disk full')) : log.heartbeat(beat),
    });
    const beating = startHeartbeat({ log: flaky, owner: 'p', epoch: 0, clock, intervalMs: 100, onError: (e) => errors.push(e) });
    await flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(HeartbeatFailedError);
    expect(errors[0]!.message).toMatch(/disk full/);
    fail = false;
    clock.advanceTo(100);
    await flush();
    expect(await log.lastHeartbeat()).toEqual({ owner: 'p', epoch: 0, time: 100 });
    await beating.stop();
  });
});
