/**
 * `WorkflowMirror.open({ retention: { closed } })`: a long run holds the instances still running
 * plus the newest `closed` closed ones, its matrices stay as small as that, every closed instance
 * is still compared (a fault is reported with the right cause before its instance goes), and the
 * log keeps refusing an evicted id.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import { charge, payment } from '../../examples/payment.js';
import { demoId, demoInput, getsDiscount } from '../../ts/cli/demo-faults.js';
import type { AnomalyReport, Fault } from '../../ts/index.js';
import { DuplicateWorkflowError, VirtualClock, WorkflowMirror } from '../../ts/index.js';

const KEEP = 100;
/** Orders started between settles: at most this many run at once. */
const WAVE = 200;

async function openPair(closed: number, faults: readonly Fault[] = [], reports: AnomalyReport[] = []) {
  return WorkflowMirror.open({
    workflows: [order],
    activities: simulatedOrderActivities(),
    log: { kind: 'memory' },
    clock: new VirtualClock(0),
    compare: { every: { events: 500, ms: 0 }, threshold: 0.5 },
    retention: { closed },
    faults,
    onAnomaly: (r) => reports.push(r),
  });
}

async function runOrders(wm: WorkflowMirror, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await wm.start('order', demoId(i), demoInput(i));
    if (getsDiscount(i)) await wm.signal(demoId(i), 'discount', { amount: 2.5 });
    if (i % WAVE === WAVE - 1) await wm.settle();
  }
  await wm.settle();
}

describe('WorkflowMirror retention', () => {
  it('3,000 orders with closed: 100 keep 100 instances and a few hundred rows, raise nothing, and refuse an evicted id', async () => {
    const reports: AnomalyReport[] = [];
    const wm = await openPair(KEEP, [], reports);
    try {
      await runOrders(wm, 3_000);
      const rounds = await wm.compareAll();
      expect(reports).toEqual([]);
      const stats = wm.stats();
      expect(stats.primary.completed).toBe(3_000);
      expect(stats.primary.evicted).toBe(3_000 - KEEP);
      expect(stats.mirror.evicted).toBe(3_000 - KEEP);
      expect(stats.instancesHeld).toEqual({ primary: KEEP, mirror: KEEP });
      expect([...wm.mirror.allInstances()]).toHaveLength(KEEP);
      expect([...wm.primary.allInstances()]).toHaveLength(KEEP);
      // The newest to close are the ones kept.
      expect(wm.mirror.instance(demoId(2_999))?.status).toBe('completed');
      expect(wm.mirror.instance(demoId(0))).toBeUndefined();
      const index = wm.mirror.fleets.get('order').index;
      expect(index.liveCount).toBe(KEEP);
      // Rows: what ran at once plus what was kept, never the 3,000 seen.
      expect(index.size).toBeLessThanOrEqual(WAVE + KEEP + 1);
      // Free rows are neither compared nor counted as lag.
      expect(rounds[0]!.compared).toBe(KEEP);
      expect(rounds[0]!.lagging).toBe(0);
      await expect(wm.start('order', demoId(0), demoInput(0))).rejects.toBeInstanceOf(DuplicateWorkflowError);
    } finally {
      await wm.close();
    }
  });

  it('closed: 0 still reports a fault with its diagnosed cause before the instance goes, and nothing else', async () => {
    const target = demoId(14);
    const fault: Fault = { kind: 'corrupt-field', workflowId: target, field: 'total', value: 0, afterEvent: 'charge.completed' };
    const reports: AnomalyReport[] = [];
    const wm = await openPair(0, [fault], reports);
    try {
      await runOrders(wm, 30);
      expect(reports.map((r) => [r.workflowId, r.cause])).toEqual([[target, 'state-written-outside-handler']]);
      expect(reports[0]!.fields.map((f) => [f.name, f.primary, f.mirror])).toEqual([['total', 0, demoInput(14).amount]]);
      expect(wm.mirror.instance(target)).toBeUndefined();
      expect(wm.primary.instance(target)).toBeUndefined();
      expect([...wm.mirror.allInstances()]).toHaveLength(0);
      // Nothing is left open for a later instance to inherit on the reused row.
      expect(wm.detector.openCount()).toBe(0);
    } finally {
      await wm.close();
    }
  });

  it('on the SQLite log: evicted histories stay readable, an evicted id is refused from the file, new ids still start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfm-retention-'));
    const wm = await WorkflowMirror.open({
      workflows: [payment],
      activities: { charge },
      log: { kind: 'sqlite', path: join(dir, 'log.db') },
      anomalies: { store: false },
      retention: { closed: 10 },
    });
    try {
      for (let wave = 0; wave < 10; wave++) {
        await Promise.all(Array.from({ length: 50 }, (_, i) => wm.start('payment', `p-${wave * 50 + i}`, { amount: i })));
        await wm.drain();
      }
      expect([...wm.mirror.allInstances()]).toHaveLength(10);
      // A wave at once plus the ten kept.
      expect(wm.mirror.fleets.get('payment').index.size).toBeLessThanOrEqual(60);
      const history = await wm.log.readInstance('p-0');
      expect(history.map((e) => e.type)).toEqual([
        'WorkflowStarted',
        'ActivityScheduled',
        'ActivityCompleted',
        'WorkflowCompleted',
      ]);
      // The log forgot p-0's head, so the refusal comes from the file: still a DuplicateWorkflowError, and nothing written.
      await expect(wm.start('payment', 'p-0', { amount: 0 })).rejects.toBeInstanceOf(DuplicateWorkflowError);
      expect(await wm.log.head('p-0')).toBe(4);
      await wm.start('payment', 'p-new', { amount: 7 });
      await wm.drain();
      expect((await wm.log.readInstance('p-new')).at(-1)?.type).toBe('WorkflowCompleted');
      expect(wm.stats().comparisons.anomalies).toBe(0);
    } finally {
      await wm.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a retention that is not a non-negative integer, before opening the log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfm-retention-'));
    try {
      for (const closed of [-1, 1.5, Number.NaN, '10' as unknown as number]) {
        await expect(openPair(closed)).rejects.toThrow(/retention\.closed must be a non-negative integer/);
        const open = WorkflowMirror.open({
          workflows: [payment],
          activities: { charge },
          log: { kind: 'sqlite', path: join(dir, 'log.db') },
          retention: { closed },
        });
        await expect(open).rejects.toBeInstanceOf(TypeError);
      }
      // Nothing was created: the refusal came first.
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
