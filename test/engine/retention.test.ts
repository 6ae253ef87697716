/**
 * Eviction of closed instances: a row index gives rows back and hands them out again, the engines
 * forget closed instances (never running ones), rows are freed only once both sides let go, and
 * what cannot describe a row changing hands (deltas, incremental checkpoints) refuses clearly
 * instead of shipping a wrong mapping. A full checkpoint carries free rows across a restore.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { charge, payment } from '../../examples/payment.js';
import { CheckpointOrderError } from '../../ts/engine/checkpoint-errors.js';
import {
  DuplicateWorkflowError,
  FleetRegistry,
  FREE_ROW_ID,
  InstanceStillRunningError,
  MemoryEventLog,
  MirrorEngine,
  RowIndex,
  RowsReleasedError,
  UnknownInstanceError,
} from '../../ts/index.js';
import { DeltaTracker } from '../../ts/state/delta-tracker.js';
import { type Deferred, deferred, enginePair, flush } from '../support/engine-harness.js';

describe('RowIndex: rows given back and handed out again', () => {
  it('a released row is free (empty id), handed out next, and every change of hands is counted', () => {
    const index = new RowIndex();
    expect([index.rowFor('a'), index.rowFor('b'), index.rowFor('c')]).toEqual([0, 1, 2]);
    expect(index.release('b')).toBe(1);
    expect(index.release('b')).toBeUndefined();
    expect(index.get('b')).toBeUndefined();
    expect(index.idOf(1)).toBe(FREE_ROW_ID);
    expect(index.liveCount).toBe(2);
    expect(index.size).toBe(3);
    expect(index.reassignedCount).toBe(1);
    // The free row is handed out before a new one.
    expect(index.rowFor('d')).toBe(1);
    expect(index.idOf(1)).toBe('d');
    expect(index.reassignedCount).toBe(2);
    expect(index.rowFor('e')).toBe(3);
    expect(index.reassignedCount).toBe(2);
    expect(index.addFreeRow()).toBe(4);
    expect(index.rowFor('f')).toBe(4);
    expect(() => index.rowFor(FREE_ROW_ID)).toThrow(TypeError);
  });
});

describe('engines: evicting closed instances', () => {
  it('refuses a running instance and changes nothing; a closed one goes, and its row is freed once both sides let go', async () => {
    const pending = deferred<{ amount: number }>();
    const pair = enginePair({
      workflows: [payment],
      activities: { charge: (input: { amount: number }) => (input.amount === 1 ? pending.promise : charge(input)) },
    });
    await pair.primary.start('payment', 'p-2', { amount: 2 });
    await pair.settle();
    // p-1's charge never returns until the end: not settle() (it waits for the activity), flush().
    await pair.primary.start('payment', 'p-1', { amount: 1 });
    await flush();
    const fleet = pair.fleets.get('payment');
    const running = fleet.index.get('p-1')!;
    const closed = fleet.index.get('p-2')!;

    expect(() => pair.primary.evict('p-1')).toThrow(InstanceStillRunningError);
    expect(() => pair.mirror.evict('p-1')).toThrow(InstanceStillRunningError);
    expect(pair.primary.instance('p-1')?.status).toBe('running');
    expect(fleet.primary.seqOf(running)).toBeGreaterThan(0);
    expect(pair.primary.evict('nobody')).toBe(false);

    const closedSeq = fleet.mirror.seqOf(closed);
    expect(closedSeq).toBeGreaterThan(0);
    expect(pair.primary.evict('p-2')).toBe(true);
    // The primary's side is cleared, but the mirror still holds the instance: the row stays its.
    expect(fleet.primary.seqOf(closed)).toBe(0);
    expect(Number.isNaN(fleet.primary.get(closed, 0))).toBe(true);
    expect(fleet.index.get('p-2')).toBe(closed);
    expect(fleet.mirror.seqOf(closed)).toBe(closedSeq);
    expect(pair.mirror.evict('p-2')).toBe(true);
    expect(fleet.index.get('p-2')).toBeUndefined();
    expect(fleet.mirror.seqOf(closed)).toBe(0);
    expect(pair.primary.instance('p-2')).toBeUndefined();
    expect(pair.mirror.instance('p-2')).toBeUndefined();

    // The next instance reuses the row, on both sides, and the pair stays aligned there.
    await pair.primary.start('payment', 'p-3', { amount: 3 });
    await flush();
    expect(pair.mirror.instance('p-3')?.status).toBe('completed');
    expect(fleet.index.get('p-3')).toBe(closed);
    expect(fleet.index.size).toBe(2);
    expect(fleet.primary.seqOf(closed)).toBe(fleet.mirror.seqOf(closed));
    expect(fleet.mirror.get(closed, 0)).toBe(3);

    // The log still knows the evicted id: it cannot be started again; a signal finds no instance.
    await expect(pair.primary.start('payment', 'p-2', { amount: 2 })).rejects.toBeInstanceOf(DuplicateWorkflowError);
    await expect(pair.primary.signal('p-2', 'any')).rejects.toBeInstanceOf(UnknownInstanceError);

    // The running instance finishes normally after all that.
    pending.resolve({ amount: 1 });
    await pair.settle();
    expect(pair.mirror.instance('p-1')?.state).toEqual({ amount: 1, paid: 1, status: 'paid' });
    expect(pair.findings).toEqual([]);
    expect(pair.errors).toEqual([]);
  });

  it('a duplicate event of an evicted instance is unapplied, not replayed into a new instance', async () => {
    const pair = enginePair({ workflows: [payment], activities: { charge } });
    await pair.primary.start('payment', 'p-1', { amount: 1 });
    await pair.settle();
    const history = await pair.log.readInstance('p-1');
    pair.primary.evict('p-1');
    pair.mirror.evict('p-1');
    const unappliedBefore = pair.mirror.stats.unapplied;
    pair.mirror.apply(history.slice(1));
    expect(pair.mirror.instance('p-1')).toBeUndefined();
    expect(pair.mirror.stats.unapplied - unappliedBefore).toBe(history.length - 1);
  });
});

describe('deltas and checkpoints after evictions', () => {
  it('a delta across an eviction is refused with RowsReleasedError and no mark moves', async () => {
    const pair = enginePair({ workflows: [payment], activities: { charge } });
    for (let i = 0; i < 4; i++) await pair.primary.start('payment', `p-${i}`, { amount: i });
    await pair.settle();
    const fleet = pair.fleets.get('payment');
    const tracker = new DeltaTracker(fleet.mirror, fleet.index, fleet.schema);
    tracker.mark();
    pair.mirror.markDeltas();
    pair.primary.evict('p-1');
    pair.mirror.evict('p-1');
    expect(() => tracker.take()).toThrow(RowsReleasedError);
    expect(() => pair.mirror.takeDeltas()).toThrow(RowsReleasedError);
    expect(tracker.reassignedSinceMark).toBe(1);
    // After a new mark (the receiver got a full snapshot), deltas go on.
    tracker.mark();
    await pair.primary.start('payment', 'p-9', { amount: 9 });
    await pair.settle();
    expect(() => tracker.take()).toThrow(RowsReleasedError); // p-9 took the free row: a change of hands too
    tracker.mark();
    await pair.primary.start('payment', 'p-10', { amount: 10 });
    await pair.settle();
    const delta = tracker.take();
    expect(delta.newRowIds).toEqual(['p-10']);
  });

  it('an incremental checkpoint across an eviction is refused; a full one restores free rows as free', async () => {
    const pair = enginePair({ workflows: [payment], activities: { charge } });
    for (let i = 0; i < 5; i++) await pair.primary.start('payment', `p-${i}`, { amount: i });
    await pair.settle();
    pair.mirror.checkpoint();
    for (const id of ['p-1', 'p-3']) {
      pair.primary.evict(id);
      pair.mirror.evict(id);
    }
    const refused = (() => {
      try {
        pair.mirror.checkpoint({ incremental: true });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(CheckpointOrderError);
    expect((refused as Error).cause).toBeInstanceOf(RowsReleasedError);

    const full = pair.mirror.checkpoint();
    const fleets = new FleetRegistry([payment]);
    const restored = MirrorEngine.restore(full, { fleets });
    const index = fleets.get('payment').index;
    expect([0, 1, 2, 3, 4].map((r) => index.idOf(r))).toEqual(['p-0', FREE_ROW_ID, 'p-2', FREE_ROW_ID, 'p-4']);
    expect([...restored.allInstances()].map((i) => i.workflowId).sort()).toEqual(['p-0', 'p-2', 'p-4']);
    // A restored mirror hands the free rows out to new instances, as the original would.
    const log = new MemoryEventLog();
    const source = enginePair({ workflows: [payment], activities: { charge }, log, tee: false });
    await source.primary.start('payment', 'p-5', { amount: 5 });
    await source.settle();
    restored.apply(await log.readRange(0, Number.POSITIVE_INFINITY));
    expect([1, 3]).toContain(index.get('p-5'));
    expect(index.size).toBe(5);
  });
});

describe('property: any interleaving of starts, completions and evictions on either side', () => {
  it('keeps every held instance on its own row with its state, and every other row free and blank', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('start' as const) }),
            fc.record({ op: fc.constant('complete' as const), pick: fc.nat() }),
            fc.record({ op: fc.constant('evict' as const), pick: fc.nat(), side: fc.constantFrom('primary', 'mirror', 'both') }),
          ),
          { maxLength: 60 },
        ),
        async (ops) => {
          const pending = new Map<string, Deferred<{ amount: number }>>();
          const pair = enginePair({
            workflows: [payment],
            activities: {
              charge: (input: { amount: number }, info) => {
                const d = deferred<{ amount: number }>();
                pending.set(info.workflowId, d);
                return d.promise.then(() => ({ amount: input.amount }));
              },
            },
          });
          const fleet = pair.fleets.get('payment');
          let next = 0;
          for (const step of ops) {
            if (step.op === 'start') {
              await pair.primary.start('payment', `p-${next}`, { amount: next });
              next++;
            } else if (step.op === 'complete') {
              const waiting = [...pending.keys()];
              if (waiting.length === 0) continue;
              const id = waiting[step.pick % waiting.length]!;
              pending.get(id)!.resolve({ amount: 0 });
              pending.delete(id);
            } else {
              const closed = [...pair.mirror.allInstances(), ...pair.primary.allInstances()]
                .filter((i) => i.status !== 'running')
                .map((i) => i.workflowId);
              if (closed.length === 0) continue;
              const id = closed[step.pick % closed.length]!;
              if (step.side !== 'mirror') pair.primary.evict(id);
              if (step.side !== 'primary') pair.mirror.evict(id);
            }
            await flush(3);
          }
          // Every instance either engine holds sits on its row, and its side of the row is its state.
          const layout = fleet.compiled.layout;
          const expected = new Float64Array(layout.stride);
          const held = new Set<string>();
          for (const [side, engine] of [
            ['primary', pair.primary],
            ['mirror', pair.mirror],
          ] as const) {
            for (const instance of engine.allInstances()) {
              held.add(instance.workflowId);
              const row = fleet.index.get(instance.workflowId);
              expect(row).toBe(instance.row);
              expect(fleet[side].seqOf(row!)).toBe(instance.seq);
              layout.encode(instance.state, expected, 0);
              expect(Array.from(fleet[side].row(row!))).toEqual(Array.from(expected));
            }
          }
          // The rows of ids nobody holds any more are free (or were never freed: no side let go of them).
          expect(fleet.index.liveCount).toBe(held.size);
          for (let row = 0; row < fleet.index.size; row++) {
            if (fleet.index.idOf(row) !== FREE_ROW_ID) continue;
            for (const side of ['primary', 'mirror'] as const) {
              expect(fleet[side].seqOf(row)).toBe(0);
              for (let j = 0; j < layout.fieldCount; j++) expect(Number.isNaN(fleet[side].get(row, j))).toBe(true);
            }
          }
          expect(pair.findings).toEqual([]);
          expect(pair.errors).toEqual([]);
          // Let what is still running finish, so nothing dangles past the test.
          for (const d of pending.values()) d.resolve({ amount: 0 });
          await pair.settle();
        },
      ),
      { numRuns: 60 },
    );
  });
});
