import { describe, expect, it } from 'vitest';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import { demoId, demoInput } from '../../ts/cli/demo-faults.js';
import type { AnyWorkflowDefinition, HistoryEvent } from '../../ts/index.js';
import { activity, defineWorkflow, FleetRegistry, f64, MirrorEngine } from '../../ts/index.js';
import { LeadMode, type UnexpectedResultReport } from '../../ts/predict/lead-mode.js';
import { recordHistory } from '../support/engine-harness.js';

/** A mirror with lead mode; `seqAtReport` records where the mirror stood when each report came. */
function leadMirror(
  definitions: readonly AnyWorkflowDefinition[] = [order],
  options: Partial<ConstructorParameters<typeof LeadMode>[0]> = {},
) {
  const fleets = new FleetRegistry(definitions);
  const reports: UnexpectedResultReport[] = [];
  const seqAtReport: number[] = [];
  const errors: Error[] = [];
  let mirror: MirrorEngine | undefined;
  const lead = new LeadMode({
    threshold: 0.5,
    ...options,
    onAnomaly: (report) => {
      reports.push(report);
      seqAtReport.push(mirror!.instance(report.workflowId)!.seq);
    },
    onError: (error) => errors.push(error),
  });
  mirror = new MirrorEngine({ fleets, ...lead.hooks });
  return { fleets, mirror, lead, reports, seqAtReport, errors };
}

async function orders(count: number, activities = simulatedOrderActivities()): Promise<HistoryEvent[]> {
  return recordHistory([order], activities, async ({ primary }) => {
    for (let i = 0; i < count; i++) await primary.start('order', demoId(i), demoInput(i));
  });
}

describe('lead mode: predictions from the definition', () => {
  it('flags a charge returning an outlier when its completion lands, and nothing else', async () => {
    const sim = simulatedOrderActivities();
    const history = await orders(30, {
      ...sim,
      ship: async () => ({ carrier: 'ground' }),
      charge: (input, info) =>
        info.idempotencyKey.includes(demoId(7)) ? { amount: input.amount * 10 } : sim.charge(input, info),
    });
    const { mirror, lead, reports, seqAtReport, errors } = leadMirror();
    mirror.apply(history);
    expect(errors).toEqual([]);
    expect(reports).toHaveLength(1);
    const report = reports[0]!;
    const completion = history.find(
      (e) => e.workflowId === demoId(7) && e.type === 'ActivityCompleted' && e.payload.name === 'charge',
    )!;
    expect(report).toMatchObject({
      workflowId: demoId(7),
      workflowType: 'order',
      cause: 'unexpected-activity-result',
      activity: 'charge',
      source: 'definition',
      seq: completion.seq,
      predicted: { amount: demoInput(7).amount },
      actual: { amount: demoInput(7).amount * 10 },
    });
    expect(seqAtReport).toEqual([completion.seq]);
    const paid = report.fields.find((f) => f.name === 'paid')!;
    expect(paid).toMatchObject({ primary: demoInput(7).amount * 10, mirror: demoInput(7).amount, reason: 'numeric' });
    expect(report.detail).toContain('activity "charge"');
    expect(lead.stats.checked).toBeGreaterThan(30);
    expect(lead.speculating).toBe(0);
  });

  it('judges a completion from the state just before it, so a sibling completion is not blamed', async () => {
    const sim = simulatedOrderActivities();
    // Every charge returns twice its amount, so each is checked on a branch (not equal to its prediction).
    const history = (await orders(1, { ...sim, charge: (input) => ({ amount: input.amount * 2 }) })).filter(
      (e) => e.workflowId === demoId(0),
    );
    const { mirror, lead, reports } = leadMirror();
    // start, reserve scheduled, charge scheduled: the branch runs now, from a state where reserved is false.
    mirror.apply(history.slice(0, 3));
    const instance = mirror.instance(demoId(0))!;
    const before = lead.speculation(instance)!;
    expect(before.pending.map((p) => p.activity)).toEqual(['charge']);
    expect(before.state!['status']).toBe('reserving');
    const chargeAt = history.findIndex((e) => e.type === 'ActivityCompleted' && e.payload.name === 'charge');
    const reserveAt = history.findIndex((e) => e.type === 'ActivityCompleted' && e.payload.name === 'reserve');
    // The reservation lands first: the branch asked for now starts from the reserved state.
    expect(reserveAt).toBeLessThan(chargeAt);
    mirror.apply(history.slice(3, chargeAt));
    expect(lead.speculation(instance)!.state!['reserved']).toBe(true);
    mirror.apply(history.slice(chargeAt));
    // Only the charge's own effect (paid twice the amount) is reported, not the reservation.
    expect(reports).toHaveLength(1);
    expect(reports[0]!.fields.map((f) => f.name)).toEqual(['paid']);
    expect(lead.stats.speculations).toBeGreaterThan(0);
  });

  it('needs no branch for a result equal to its prediction', async () => {
    const history = await orders(20);
    const { mirror, lead, reports } = leadMirror();
    mirror.apply(history);
    expect(reports).toEqual([]);
    expect(lead.stats.exact).toBeGreaterThan(0);
    expect(lead.stats.exact).toBeLessThanOrEqual(lead.stats.checked);
  });
});

const quote = defineWorkflow({
  name: 'quote',
  version: 1,
  state: { price: f64({ weight: 1, tolerance: 0.001 }) },
  activities: { quote: activity<{ n: number }, { price: number }>() },
  on: {
    start(_s, input: { n: number }, ctx) {
      ctx.call('quote', { n: input.n });
    },
    completed: {
      quote(s, result, ctx) {
        s.price = result.price;
        ctx.complete();
      },
    },
  },
});

describe('lead mode: learned predictions', () => {
  it('reports no result within the learned spread and flags the outlier', async () => {
    const price = (n: number) => (n === 40 ? 1000 : 100 + ((n * 37) % 11) - 5);
    const history = await recordHistory(
      [quote],
      { quote: (input: { n: number }) => ({ price: price(input.n) }) },
      async ({ primary }) => {
        for (let n = 0; n < 60; n++) await primary.start('quote', `q${n}`, { n });
      },
    );
    const { mirror, lead, reports } = leadMirror([quote], { threshold: 0.5, k: 3 });
    mirror.apply(history);
    expect(reports.map((r) => r.workflowId)).toEqual(['q40']);
    expect(reports[0]).toMatchObject({ activity: 'quote', source: 'learned', actual: { price: 1000 } });
    expect(reports[0]!.outliers.map((o) => o.field)).toEqual(['price']);
    // Results within the spread deviated past the threshold (prices differ by up to 10) and were not reported.
    expect(lead.stats.withinSpread).toBeGreaterThan(10);
    expect(lead.stats.unpredicted).toBe(5);
  });

  it('learns categories: an unseen carrier is flagged, a reservation refused one time in three is not', async () => {
    const sim = simulatedOrderActivities();
    let reservations = 0;
    const history = await orders(80, {
      ...sim,
      ship: async () => ({ carrier: 'ground' }),
      reserve: () => ({ reserved: reservations++ % 3 !== 1 }),
    });
    // Order 77 (not express) ships after the express orders (its timer is longer), when enough ship
    // results of non-express orders were learned for a new carrier to count as rare.
    const odd = history.map((e) =>
      e.workflowId === demoId(77) && e.type === 'ActivityCompleted' && e.payload.name === 'ship'
        ? ({ ...e, payload: { ...e.payload, result: { carrier: 'drone' } } } as HistoryEvent)
        : e,
    );
    const { mirror, reports } = leadMirror();
    mirror.apply(odd);
    expect(reports.map((r) => [r.workflowId, r.activity])).toEqual([[demoId(77), 'ship']]);
    expect(reports[0]!.fields.map((f) => f.name)).toContain('carrier');
  });
});

describe('lead mode: failures stay on the branch', () => {
  it('records a throwing predict and a throwing speculative handler, and the mirror goes on', async () => {
    const fragile = defineWorkflow({
      name: 'fragile',
      version: 1,
      state: { v: f64() },
      activities: {
        a: activity<{ n: number }, { v: number }>({
          predict: () => {
            throw new Error('no model');
          },
        }),
        b: activity<{ n: number }, { v: number }>({ predict: (input) => ({ v: input.n }) }),
      },
      on: {
        start(_s, input: { n: number }, ctx) {
          ctx.call('a', input);
          ctx.call('b', input);
        },
        completed: {
          a(s, result) {
            s.v += result.v;
          },
          b(s, result, ctx) {
            // Throws only on the branch: the predicted v is negative.
            if (result.v < 0) throw new Error('negative');
            s.v += result.v;
            if (s.v > 0) ctx.complete();
          },
        },
      },
    });
    const history = await recordHistory([fragile], { a: () => ({ v: 1 }), b: () => ({ v: 2 }) }, async ({ primary }) => {
      await primary.start('fragile', 'f1', { n: -1 });
    });
    const { mirror, lead, errors } = leadMirror([fragile]);
    const plain = new MirrorEngine({ fleets: new FleetRegistry([fragile]) });
    mirror.apply(history);
    plain.apply(history);
    // a's predict throws when a is scheduled; b's branch throws when b's completion (v 2, predicted
    // -1) is judged.
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['PREDICTION_FAILED', 'SPECULATION_FAILED']);
    expect(lead.stats).toMatchObject({ predictionErrors: 1, speculationErrors: 1, anomalies: 0 });
    expect(mirror.instance('f1')!.state).toEqual(plain.instance('f1')!.state);
    expect(mirror.instance('f1')!.status).toBe('completed');
  });

  it('says which option is wrong', () => {
    expect(() => new LeadMode({ threshold: -1 })).toThrow('options.threshold');
    expect(() => new LeadMode({ threshold: 1, lookahead: 0 })).toThrow('options.lookahead must be a positive integer');
  });
});
