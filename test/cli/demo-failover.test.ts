/**
 * The demo's failover: a real primary process killed with SIGKILL mid-run, its mirror promoted in
 * this process. The run must end as an uncrashed one would, with a clean log and a fresh mirror
 * that agrees; the status must say "unmirrored" exactly between the promotion and the fresh mirror.
 * (Runs the built primary from dist/; vitest's global setup builds it when sources are newer.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FailoverSummary, runFailoverDemo } from '../../ts/cli/demo-failover.js';
import { failoverHeld, formatFailover } from '../../ts/cli/format-failover.js';
import { SqliteEventLog } from '../../ts/index.js';

const dir = mkdtempSync(join(tmpdir(), 'wfmirror-failover-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wfmirror demo: failover', () => {
  let summary: FailoverSummary;
  const steps: string[] = [];
  beforeAll(async () => {
    summary = await runFailoverDemo({ instances: 400, dir, onStep: (line) => steps.push(line) });
  }, 60_000);

  it('kills the primary mid-run, detects it by its silent heartbeats, and promotes the mirror with a new epoch', () => {
    expect(summary.eventsAtKill).toBeGreaterThan(0);
    expect(summary.eventsAtKill).toBeLessThan(summary.eventsAtEnd);
    // The detector waits for the timeout after the last beat, which came before the kill: usually
    // within one interval, later on a loaded machine whose beat timer runs late (the silence then
    // starts sooner than the kill, so only the silence, not the time from the kill, is bounded below).
    // The silence is read on the wall clock, the time from the kill on the monotonic one: 2 ms apart at most.
    expect(summary.silentAtDetectionMs).toBeGreaterThan(summary.deadAfterMs);
    expect(summary.silentAtDetectionMs).toBeGreaterThanOrEqual(summary.detectionMs - 2);
    expect(summary.detectionMs).toBeGreaterThan(0);
    expect(summary.promotion.epoch).toBe(1);
    expect(summary.historyEvents).toBe(summary.eventsAtKill);
    expect(summary.promotion.instances).toBeGreaterThan(0);
    expect(summary.promotion.instances).toBeLessThanOrEqual(summary.instances);
    // Instances the old primary never started, the client started again on the new one.
    expect(summary.promotion.instances + summary.resent.starts).toBe(summary.instances);
    expect(summary.speedUp).toBeCloseTo(summary.fullReplayMs / summary.promotion.durationMs, 6);
    expect(steps.some((s) => s.startsWith('SIGKILL to the primary'))).toBe(true);
  });

  it('ends every workflow as an uncrashed run does, with each outcome logged once, and mirrored again', () => {
    expect(summary.check).toEqual({ matchingFinalStates: 400, mirrorAgrees: 400, logProblems: [] });
    expect(failoverHeld(summary)).toBe(true);
  });

  it('reports lag per mirror, and "unmirrored" only between the promotion and the fresh mirror', () => {
    const { beforeKill, afterPromotion, afterFreshMirror, atEnd } = summary.status;
    expect(beforeKill.state).toBe('mirrored');
    expect(beforeKill.mirrors[0]).toMatchObject({ name: 'mirror-1' });
    expect(beforeKill.mirrors[0]!.lag).toBe(beforeKill.logPosition - beforeKill.mirrors[0]!.position);
    expect(beforeKill.epoch).toBe(0);
    expect(afterPromotion).toMatchObject({ state: 'unmirrored', mirrors: [], epoch: 1 });
    expect(afterFreshMirror.state).toBe('mirrored');
    expect(afterFreshMirror.mirrors[0]).toMatchObject({ name: 'mirror-2', lag: 0 });
    expect(atEnd.mirrors[0]).toMatchObject({ name: 'mirror-2', lag: 0, position: summary.eventsAtEnd });
  });

  it("leaves a log whose epoch is the promotion's, which refuses the old primary's epoch", async () => {
    const log = SqliteEventLog.open({ path: summary.database });
    try {
      expect(await log.epoch()).toBe(1);
      expect(await log.lastPosition()).toBe(summary.eventsAtEnd);
      await expect(
        log.append('order-000000', 1_000, [{ type: 'SignalReceived', time: 0, payload: { name: 'x', payload: null } }], {
          epoch: 0,
        }),
      ).rejects.toMatchObject({ code: 'FENCED' });
    } finally {
      await log.close();
    }
  });

  it('prints the recovery time next to the full replay, and the lag table', () => {
    const text = formatFailover(summary);
    expect(text).toMatch(/promotion \(sync, claim, hand-over\)\s+[\d.]+ ms/);
    expect(text).toMatch(/full replay of the same history\s+[\d.]+ ms \([\d,]+ events\)/);
    expect(text).toMatch(/recovery speed-up over replay\s+[\d.]+x/);
    expect(text).toMatch(/after promotion\s+\(none\)\s+unmirrored/);
    expect(text).toContain('final states equal to an uncrashed run: 400 of 400; fresh mirror agrees on 400; log problems: none');
  });
});
