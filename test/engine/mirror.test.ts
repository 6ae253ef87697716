import { describe, expect, it, vi } from 'vitest';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import { demoId, demoInput, getsDiscount } from '../../ts/cli/demo-faults.js';
import type { UnappliedEvent } from '../../ts/engine/mirror-engine.js';
import type { AnyWorkflowDefinition, HistoryEvent } from '../../ts/index.js';
import { activity, defineWorkflow, FleetRegistry, f64, MirrorEngine, str } from '../../ts/index.js';
import { enginePair, findReachable, recordHistory, rowBytes } from '../support/engine-harness.js';

async function recordOrders(count: number): Promise<HistoryEvent[]> {
  return recordHistory([order], simulatedOrderActivities(), async ({ primary }) => {
    for (let i = 0; i < count; i++) {
      await primary.start('order', demoId(i), demoInput(i));
      if (getsDiscount(i)) await primary.signal(demoId(i), 'discount', { amount: 2.5 });
    }
  });
}

function mirrorOf(definitions: readonly AnyWorkflowDefinition[] = [order]) {
  const fleets = new FleetRegistry(definitions);
  const unapplied: UnappliedEvent[] = [];
  const findings: unknown[] = [];
  const mirror = new MirrorEngine({ fleets, onUnapplied: (u) => unapplied.push(u), onNonDeterminism: (f) => findings.push(f) });
  return { fleets, mirror, unapplied, findings };
}

describe('mirror: state matrix', () => {
  it('is bit-identical to the primary after a clean run (values and seqs)', async () => {
    const activities = simulatedOrderActivities();
    const { primary, fleets, settle, findings } = enginePair({ workflows: [order], activities });
    for (let i = 0; i < 40; i++) {
      await primary.start('order', demoId(i), demoInput(i));
      if (getsDiscount(i)) await primary.signal(demoId(i), 'discount', { amount: 2.5 });
    }
    await settle();
    const fleet = fleets.get('order');
    const rows = fleet.index.size;
    expect(rows).toBe(40);
    const stride = fleet.compiled.layout.stride;
    expect(rowBytes(fleet.mirror.data, stride, rows)).toEqual(rowBytes(fleet.primary.data, stride, rows));
    for (let r = 0; r < rows; r++) {
      expect(fleet.mirror.seqOf(r)).toBe(fleet.primary.seqOf(r));
      expect(fleet.mirror.seqOf(r)).toBeGreaterThan(0);
    }
    expect(findings).toEqual([]);
    // Not trivially equal: the rows differ between instances.
    expect(fleet.primary.row(0)).not.toEqual(fleet.primary.row(1));
  });
});

describe('mirror: no way to an activity implementation', () => {
  it('replays a history whose handlers call activities without ever running the implementation', async () => {
    let capturedCtx: unknown;
    const def = defineWorkflow({
      name: 'caller',
      version: 1,
      state: { got: f64(), note: str() },
      activities: { charge: activity<{ amount: number }, { amount: number }>() },
      on: {
        start(_s, input: { amount: number }, ctx) {
          capturedCtx = ctx;
          ctx.call('charge', { amount: input.amount });
        },
        completed: {
          charge(s, result, ctx) {
            s.got = result.amount;
            ctx.complete();
          },
        },
      },
    });
    const spy = vi.fn((input: { amount: number }) => ({ amount: input.amount }));
    const history = await recordHistory([def], { charge: spy }, async ({ primary }) => {
      await primary.start('caller', 'c1', { amount: 7 });
      await primary.start('caller', 'c2', { amount: 9 });
    });
    expect(spy).toHaveBeenCalledTimes(2);
    spy.mockClear();
    capturedCtx = undefined;

    const { mirror, fleets, findings } = mirrorOf([def]);
    mirror.apply(history);
    expect(spy).not.toHaveBeenCalled();
    expect(mirror.instance('c1')!.state['got']).toBe(7);
    expect(mirror.instance('c2')!.status).toBe('completed');
    expect(findings).toEqual([]);

    const isSpy = (value: unknown) => value === spy || value === spy.getMockImplementation();
    expect(capturedCtx).toBeDefined();
    expect(findReachable(mirror, isSpy)).toBeUndefined();
    expect(findReachable(capturedCtx, isSpy)).toBeUndefined();
    expect(findReachable(fleets, isSpy)).toBeUndefined();

    // Control: the walker does find the implementation where it is held (on a primary).
    const { primary } = enginePair({ workflows: [def], activities: { charge: spy } });
    expect(findReachable(primary, isSpy)).toMatch(/activities\.charge$/);
  });
});

describe('mirror: stream faults', () => {
  it('ignores an event delivered twice (same seq) and leaves the state as it was', async () => {
    const history = (await recordOrders(1)).filter((e) => e.workflowId === demoId(0));
    const { mirror, fleets, unapplied } = mirrorOf();
    mirror.apply(history.slice(0, 5));
    const fleet = fleets.get('order');
    const before = rowBytes(fleet.mirror.data, fleet.compiled.layout.stride, 1);
    mirror.apply([history[4]!, history[2]!]);
    expect(mirror.stats.duplicatesIgnored).toBe(2);
    expect(rowBytes(fleet.mirror.data, fleet.compiled.layout.stride, 1)).toEqual(before);
    expect(mirror.instance(demoId(0))!.seq).toBe(5);
    mirror.apply(history);
    expect(mirror.instance(demoId(0))!.seq).toBe(history.length);
    expect(mirror.instance(demoId(0))!.status).toBe('completed');
    expect(unapplied).toEqual([]);
  });

  it('reports a gap through onUnapplied and applies nothing past it until the missing event comes', async () => {
    const history = (await recordOrders(1)).filter((e) => e.workflowId === demoId(0));
    const { mirror, unapplied } = mirrorOf();
    mirror.apply(history.slice(0, 3));
    mirror.apply([history[4]!]);
    expect(unapplied).toEqual([{ event: history[4], reason: 'gap' }]);
    expect(mirror.stats.unapplied).toBe(1);
    expect(mirror.instance(demoId(0))!.seq).toBe(3);
    mirror.apply(history.slice(3));
    expect(mirror.instance(demoId(0))!.seq).toBe(history.length);
  });

  it('reports events of instances it never saw started, and of unknown workflow types', async () => {
    const history = await recordOrders(1);
    const { mirror, unapplied } = mirrorOf();
    mirror.apply([history[1]!]);
    expect(unapplied.map((u) => u.reason)).toEqual(['unknown-instance']);
    const other = mirrorOf([defineWorkflow({ name: 'other', version: 1, state: { x: f64() }, on: { start() {} } })]);
    other.mirror.apply([history[0]!]);
    expect(other.unapplied.map((u) => u.reason)).toEqual(['unknown-workflow']);
    expect(other.mirror.instance(demoId(0))).toBeUndefined();
  });
});

describe('mirror: batching', () => {
  it('gives the same matrix whether the history arrives in one batch or in many small ones', async () => {
    const history = await recordOrders(25);
    const one = mirrorOf();
    one.mirror.apply(history);
    for (const size of [1, 2, 3, 7, 64]) {
      const many = mirrorOf();
      for (let i = 0; i < history.length; i += size) many.mirror.apply(history.slice(i, i + size));
      const a = one.fleets.get('order');
      const b = many.fleets.get('order');
      expect(b.index.size).toBe(a.index.size);
      const stride = a.compiled.layout.stride;
      expect(rowBytes(b.mirror.data, stride, b.index.size), `batch size ${size}`).toEqual(
        rowBytes(a.mirror.data, stride, a.index.size),
      );
      for (let r = 0; r < a.index.size; r++) expect(b.mirror.seqOf(r)).toBe(a.mirror.seqOf(r));
      expect(many.mirror.stats.applied).toBe(history.length);
      expect(many.findings).toEqual([]);
    }
  });
});
