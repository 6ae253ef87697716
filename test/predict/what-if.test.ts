/**
 * What-if on one instance: a fork of the mirrored state runs hypothetical events with the real
 * handlers; the log, the primary and every activity stay untouched.
 */
import { describe, expect, it } from 'vitest';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import { MemoryEventLog, VirtualClock, WhatIfError, WorkflowMirror } from '../../ts/index.js';

async function pairWithOneOrder() {
  const calls = { reserve: 0, charge: 0, ship: 0 };
  const sim = simulatedOrderActivities();
  const log = new MemoryEventLog();
  const wm = await WorkflowMirror.open({
    workflows: [order],
    activities: {
      reserve: (input: { items: number }) => (calls.reserve++, sim.reserve(input)),
      charge: (input: { amount: number }, info: { attempt: number; idempotencyKey: string }) => (
        calls.charge++, sim.charge(input, info)
      ),
      ship: (input: { express: boolean }) => (calls.ship++, sim.ship(input)),
    },
    log: { kind: 'custom', log },
    clock: new VirtualClock(0),
    anomalies: { store: false },
  });
  await wm.start('order', 'o-1', { amount: 40, items: 2 });
  await wm.drain(); // reserved and charged; waiting for the dispatch timer
  return { wm, log, calls };
}

describe('whatIf', () => {
  it('runs hypothetical events with the real handlers and reports states, commands and the deviation from the real path', async () => {
    const { wm, log, calls } = await pairWithOneOrder();
    const before = { position: await log.lastPosition(), calls: { ...calls }, primary: { ...wm.primary.stats } };
    expect(wm.mirror.instance('o-1')?.state.status).toBe('shipping');

    const result = await wm.whatIf('o-1', [
      { type: 'TimerFired', timer: 'dispatch' },
      { type: 'ActivityCompleted', activity: 'ship', result: { carrier: 'drone' } },
    ]);
    expect(result.fromSeq).toBe(wm.mirror.instance('o-1')!.seq);
    expect(result.steps.map((s) => s.event.type)).toEqual(['TimerFired', 'ActivityCompleted']);
    expect(result.steps[0]!.commands).toEqual([{ kind: 'call', name: 'ship', input: { express: false } }]);
    expect(result.steps[1]!.commands.map((c) => c.kind)).toEqual(['complete']);
    expect(result.state).toMatchObject({ status: 'shipped', carrier: 'drone', paid: 40 });
    expect(result.status).toBe('completed');
    expect(result.deviation).toBeGreaterThan(0);
    expect([...result.affectedFields].sort()).toEqual(['carrier', 'status']);
    expect(result.real.state).toMatchObject({ status: 'shipping', carrier: '' });

    // Nothing reached the log, the primary or an activity; the real instance is as it was.
    expect(await log.lastPosition()).toBe(before.position);
    expect(calls).toEqual(before.calls);
    expect({ ...wm.primary.stats }).toEqual(before.primary);
    expect(wm.mirror.instance('o-1')?.state.status).toBe('shipping');
    expect(wm.primary.instance('o-1')?.state.status).toBe('shipping');
    await wm.close();
  });

  it('forks from a past seq, rebuilt from the log: a failed charge instead of the real one', async () => {
    const { wm } = await pairWithOneOrder();
    // Fork right after WorkflowStarted: reserve and charge are open there.
    const result = await wm.whatIf(
      'o-1',
      [
        { type: 'ActivityCompleted', activity: 'reserve', result: { reserved: true } },
        { type: 'ActivityFailed', activity: 'charge', error: 'card declined' },
      ],
      { fromSeq: 1 },
    );
    expect(result.fromSeq).toBe(1);
    expect(result.status).toBe('failed');
    expect(result.state).toMatchObject({ status: 'failed', paid: 0 });
    expect(result.affectedFields).toContain('status');
    // With nothing hypothetical, the fork at the current seq is the real state: deviation 0.
    const same = await wm.whatIf('o-1', []);
    expect([same.deviation, same.affectedFields]).toEqual([0, []]);
    await wm.close();
  });

  it('refuses an unknown instance, a fork point outside the history, and an event that settles nothing open', async () => {
    const { wm, log } = await pairWithOneOrder();
    const position = await log.lastPosition();
    await expect(wm.whatIf('nope', [])).rejects.toBeInstanceOf(WhatIfError);
    await expect(wm.whatIf('o-1', [], { fromSeq: 0 })).rejects.toMatchObject({ code: 'WHAT_IF_REFUSED' });
    await expect(wm.whatIf('o-1', [], { fromSeq: 999 })).rejects.toThrow(/fromSeq must be an integer from 1 to/);
    await expect(wm.whatIf('o-1', [{ type: 'ActivityCompleted', activity: 'ship', result: { carrier: 'x' } }])).rejects.toThrow(
      /no ship activity is open on the fork/,
    );
    await expect(wm.whatIf('o-1', [{ type: 'TimerFired', timer: 'other' }])).rejects.toThrow(/no timer other is open/);
    expect(await log.lastPosition()).toBe(position);
    await wm.close();
  });
});
