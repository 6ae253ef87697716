/**
 * Speculation never changes the replayed state: over random fleets, random activity results
 * (outliers and failures included), random interleavings of the instances' histories and random
 * lookaheads, a mirror with lead mode holds bit for bit the matrix, seqs and instances of a mirror
 * without it.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { order } from '../../examples/order.js';
import { demoId, demoInput } from '../../ts/cli/demo-faults.js';
import type { HistoryEvent } from '../../ts/index.js';
import { FleetRegistry, MirrorEngine } from '../../ts/index.js';
import { LeadMode } from '../../ts/predict/lead-mode.js';
import { recordHistory, rowBytes } from '../support/engine-harness.js';

const INSTANCES = 24;
let histories: HistoryEvent[][] = [];

beforeAll(async () => {
  // Results vary per call: charge sometimes far from its prediction, reserve sometimes refused,
  // ship with three carriers, and an occasional charge failure (retries exhausted).
  let calls = 0;
  const all = await recordHistory(
    [order],
    {
      reserve: () => ({ reserved: calls++ % 5 !== 3 }),
      charge: (input: { amount: number }) => {
        const n = calls++;
        if (n % 23 === 0) throw new Error('declined');
        return { amount: n % 7 === 0 ? input.amount * 3 : input.amount };
      },
      ship: () => ({ carrier: ['air', 'ground', 'sea'][calls++ % 3]! }),
    },
    async ({ primary }) => {
      for (let i = 0; i < INSTANCES; i++) {
        await primary.start('order', demoId(i), demoInput(i));
        if (i % 4 === 1) await primary.signal(demoId(i), 'discount', { amount: 1.5 });
      }
    },
  );
  histories = Array.from({ length: INSTANCES }, (_, i) => all.filter((e) => e.workflowId === demoId(i)));
});

/** Merges per-instance histories in the order `picks` chooses (each instance's own order kept). */
function interleave(streams: readonly HistoryEvent[][], picks: readonly number[]): HistoryEvent[] {
  const heads = streams.map(() => 0);
  const out: HistoryEvent[] = [];
  let p = 0;
  let left = streams.reduce((n, s) => n + s.length, 0);
  while (left > 0) {
    let s = (picks[p++ % Math.max(1, picks.length)] ?? 0) % streams.length;
    while (heads[s]! >= streams[s]!.length) s = (s + 1) % streams.length;
    out.push(streams[s]![heads[s]!++]!);
    left--;
  }
  return out;
}

describe('lead mode: speculation never changes the replayed state', () => {
  it('matches a plain mirror bit for bit over random fleets, orders and lookaheads', () => {
    let speculated = 0;
    fc.assert(
      fc.property(
        fc.subarray(
          Array.from({ length: INSTANCES }, (_, i) => i),
          { minLength: 1 },
        ),
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 40 }),
        (chosen, picks, lookahead, batch) => {
          const events = interleave(
            chosen.map((i) => histories[i]!),
            picks,
          );
          const plainFleets = new FleetRegistry([order]);
          const plain = new MirrorEngine({ fleets: plainFleets });
          const leadFleets = new FleetRegistry([order]);
          // k 0: every learned result is outside the spread, so completions are judged on branches.
          const lead = new LeadMode({ threshold: 0.5, lookahead, k: 0 });
          const mirror = new MirrorEngine({ fleets: leadFleets, ...lead.hooks });
          for (let at = 0; at < events.length; at += batch) {
            plain.apply(events.slice(at, at + batch));
            mirror.apply(events.slice(at, at + batch));
            // The on-demand branch (what wm.predict shows) must leave the real state alone too.
            for (const instance of mirror.allInstances()) lead.speculation(instance);
          }
          const a = plainFleets.get('order');
          const b = leadFleets.get('order');
          const rows = a.index.size;
          expect(b.index.size).toBe(rows);
          expect(rowBytes(b.mirror.data, b.compiled.layout.stride, rows)).toEqual(
            rowBytes(a.mirror.data, a.compiled.layout.stride, rows),
          );
          for (let r = 0; r < rows; r++) expect(b.mirror.seqOf(r)).toBe(a.mirror.seqOf(r));
          for (const instance of plain.allInstances()) {
            const other = mirror.instance(instance.workflowId)!;
            expect(other.state).toStrictEqual(instance.state);
            expect([other.seq, other.status, other.nonDeterministic]).toEqual([
              instance.seq,
              instance.status,
              instance.nonDeterministic,
            ]);
            expect(other.outstanding).toEqual(instance.outstanding);
          }
          expect(mirror.stats).toEqual(plain.stats);
          speculated += lead.stats.speculations;
        },
      ),
      { numRuns: 60 },
    );
    // Branches really ran (judged completions, on-demand speculation): not a vacuous pass.
    expect(speculated).toBeGreaterThan(60);
  });
});
