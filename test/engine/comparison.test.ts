/**
 * When comparisons run (policy rounds, significant events once aligned), how lag is told apart
 * from deviation, and how an open anomaly is reported once until it clears.
 */
import { describe, expect, it } from 'vitest';
import type { AnomalyReport, DetectorFleet } from '../../ts/index.js';
import {
  AnomalyDetector,
  ComparisonPolicy,
  callbackSink,
  createComparator,
  defineWorkflow,
  enumOf,
  f64,
  layoutFor,
  RowIndex,
  StateMatrix,
  VirtualClock,
  WorkflowMirror,
} from '../../ts/index.js';
import { SpyLog } from '../support/engine-harness.js';

describe('ComparisonPolicy', () => {
  it('is due every N events, counted from the last round', () => {
    const policy = new ComparisonPolicy({ events: 3, ms: 0 }, new VirtualClock(0));
    expect([policy.onEvent(), policy.onEvent(), policy.onEvent()]).toEqual([false, false, true]);
    expect(policy.onEvent()).toBe(true); // still due until a round starts
    policy.roundStarted();
    expect([policy.onEvent(), policy.onEvent(), policy.onEvent()]).toEqual([false, false, true]);
  });

  it('is due once T ms passed on the engines clock since the last round', () => {
    const clock = new VirtualClock(1_000);
    const policy = new ComparisonPolicy({ events: 0, ms: 250 }, clock);
    expect(policy.onEvent()).toBe(false);
    clock.advanceBy(249);
    expect(policy.onEvent()).toBe(false);
    clock.advanceBy(1);
    expect(policy.onEvent()).toBe(true);
    policy.roundStarted();
    expect(policy.onEvent()).toBe(false);
  });

  it('0 disables a trigger; defaults are 1,000 events and 250 ms; bad values throw', () => {
    const clock = new VirtualClock(0);
    const off = new ComparisonPolicy({ events: 0, ms: 0 }, clock);
    clock.advanceBy(1e9);
    for (let i = 0; i < 5_000; i++) expect(off.onEvent()).toBe(false);
    const defaults = new ComparisonPolicy({}, new VirtualClock(0));
    let due = 0;
    while (!defaults.onEvent()) due++;
    expect(due + 1).toBe(1_000);
    expect(() => new ComparisonPolicy({ events: -1 }, clock)).toThrow(TypeError);
    expect(() => new ComparisonPolicy({ events: 1.5 }, clock)).toThrow(TypeError);
    expect(() => new ComparisonPolicy({ ms: Number.NaN }, clock)).toThrow(TypeError);
  });
});

const counter = defineWorkflow({
  name: 'counter',
  version: 1,
  state: { n: f64({ weight: 1 }), mode: enumOf(['idle', 'busy']) },
  on: {
    start() {},
    signal: {
      poke(s) {
        s.n += 1;
        s.mode = 'busy';
      },
      noop() {},
    },
  },
  significant: ['signal.poke'],
});

const quiet = defineWorkflow({
  name: 'quiet',
  version: 1,
  state: { n: f64() },
  on: {
    start() {},
    signal: {
      poke(s) {
        s.n += 1;
      },
    },
  },
  significant: [],
});

async function open(every: { events: number; ms: number }, log?: SpyLog, clock = new VirtualClock(0)) {
  const reports: AnomalyReport[] = [];
  const wm = await WorkflowMirror.open({
    workflows: [counter, quiet],
    activities: {},
    log: log === undefined ? { kind: 'memory' } : { kind: 'custom', log },
    clock,
    compare: { every, threshold: 0 },
    onAnomaly: (r) => reports.push(r),
  });
  return { wm, reports, clock };
}

describe('comparison rounds through WorkflowMirror', () => {
  it('a fleet round runs every N applied events', async () => {
    const { wm } = await open({ events: 4, ms: 0 });
    await wm.start('quiet', 'q1');
    for (let i = 0; i < 10; i++) await wm.signal('q1', 'poke');
    await wm.drain();
    // 11 events applied by the primary: rounds after the 4th and the 8th. The detector counts one
    // `round` per fleet compared, and there are two fleets (only quiet has a row).
    expect(wm.detector.stats.rounds).toBe(2 * 2);
    expect(wm.detector.stats.rowComparisons).toBe(2);
    await wm.close();
  });

  it('no rounds when both triggers are off, and none on non-significant events', async () => {
    const { wm } = await open({ events: 0, ms: 0 });
    await wm.start('quiet', 'q1');
    for (let i = 0; i < 10; i++) await wm.signal('q1', 'poke');
    await wm.drain();
    expect(wm.detector.stats.rounds).toBe(0);
    expect(wm.detector.stats.rowComparisons).toBe(0);
    await wm.close();
  });

  it('a time-based round runs once T ms passed on the virtual clock', async () => {
    const { wm, clock } = await open({ events: 0, ms: 100 });
    await wm.start('quiet', 'q1');
    await wm.signal('q1', 'poke');
    await wm.drain();
    expect(wm.detector.stats.rounds).toBe(0);
    clock.advanceBy(100);
    await wm.signal('q1', 'poke');
    await wm.drain();
    expect(wm.detector.stats.rounds).toBe(1 * 2); // one round over two fleets
    await wm.close();
  });
});

describe('significant events', () => {
  it('compare the row as soon as both sides stand at the same seq', async () => {
    const { wm } = await open({ events: 0, ms: 0 });
    await wm.start('counter', 'c1');
    await wm.drain();
    expect(wm.detector.stats.rowComparisons).toBe(0);
    await wm.signal('c1', 'poke');
    await wm.drain();
    expect(wm.detector.stats.rowComparisons).toBe(1);
    await wm.signal('c1', 'noop'); // not significant
    await wm.drain();
    expect(wm.detector.stats.rowComparisons).toBe(1);
    await wm.signal('c1', 'poke');
    await wm.drain();
    expect(wm.detector.stats.rowComparisons).toBe(2);
    expect(wm.detector.stats.anomalies).toBe(0);
    await wm.close();
  });

  it('wait for a lagging mirror and compare once it catches up', async () => {
    const log = new SpyLog();
    const { wm, reports } = await open({ events: 0, ms: 0 }, log);
    await wm.start('counter', 'c1');
    log.holdDeliveries = true;
    await wm.signal('c1', 'poke');
    await wm.drain();
    expect(wm.mirror.instance('c1')!.seq).toBe(1);
    expect(wm.detector.stats.rowComparisons).toBe(0);
    expect(log.release()).toBe(1);
    await wm.drain();
    expect(wm.mirror.instance('c1')!.seq).toBe(2);
    expect(wm.detector.stats.rowComparisons).toBe(1);
    expect(reports).toEqual([]);
    await wm.close();
  });

  // Regression: reading the mirror's seq for a row it had not seen yet once threw from inside the
  // primary's step. Fleet.rowFor now gives the row to both matrices at once.
  it('a mirror that has not seen the instance yet is lag, not an error', async () => {
    const log = new SpyLog();
    log.holdDeliveries = true;
    const { wm, reports } = await open({ events: 0, ms: 0 }, log);
    await wm.start('counter', 'c1');
    await wm.signal('c1', 'poke');
    await wm.drain();
    expect(wm.primary.instance('c1')!.stalled).toBeUndefined();
    expect(wm.lag().find((l) => l.workflowType === 'counter')).toEqual({
      workflowType: 'counter',
      laggingInstances: 1,
      maxLag: 2,
    });
    log.holdDeliveries = false;
    log.release();
    await wm.drain();
    expect(wm.detector.stats.rowComparisons).toBe(1);
    expect(reports).toEqual([]);
    await wm.close();
  });
});

describe('lag is not deviation', () => {
  it('a row whose sides are at different seqs is counted as lagging, and compared once aligned', async () => {
    const log = new SpyLog();
    const { wm, reports } = await open({ events: 0, ms: 0 }, log);
    await wm.start('quiet', 'q1');
    log.holdDeliveries = true;
    for (let i = 0; i < 3; i++) await wm.signal('q1', 'poke');
    await wm.drain();
    expect(log.release(1)).toBe(1); // the mirror sees one poke of three
    expect(wm.mirror.instance('q1')!.state['n']).toBe(1);
    expect(wm.primary.instance('q1')!.state['n']).toBe(3);

    const [, lagging] = await wm.compareAll();
    expect(lagging!.compared).toBe(0);
    expect(lagging!.lagging).toBe(1);
    expect(lagging!.reports).toEqual([]);
    expect(wm.lag().find((l) => l.workflowType === 'quiet')).toEqual({ workflowType: 'quiet', laggingInstances: 1, maxLag: 2 });
    expect(wm.detector.stats.lagging).toBe(1);

    log.holdDeliveries = false;
    log.release();
    const [, aligned] = await wm.compareAll();
    expect(aligned!.compared).toBe(1);
    expect(aligned!.lagging).toBe(0);
    expect(wm.lag().every((l) => l.laggingInstances === 0)).toBe(true);
    expect(reports).toEqual([]);
    expect(wm.detector.stats.anomalies).toBe(0);
    await wm.close();
  });
});

describe('AnomalyDetector: an open anomaly is reported once', () => {
  async function detectorFixture() {
    const layout = layoutFor({ a: f64({ weight: 2 }), b: f64({ weight: 1, tolerance: 0.5 }) });
    const index = new RowIndex();
    const primary = new StateMatrix(layout);
    const mirror = new StateMatrix(layout);
    for (const id of ['r0', 'r1']) {
      index.rowFor(id);
      primary.addRow();
      mirror.addRow();
    }
    const reports: AnomalyReport[] = [];
    const detector = new AnomalyDetector({
      comparator: await createComparator('js'),
      threshold: 1,
      clock: new VirtualClock(0),
      sink: callbackSink((r) => {
        reports.push(r);
      }),
    });
    const fleet: DetectorFleet = { name: 'fx', layout, primary, mirror, index };
    const write = (row: number, seq: number, p: { a: number; b: number }, m: { a: number; b: number }) => {
      primary.writeState(row, p);
      mirror.writeState(row, m);
      primary.setSeq(row, seq);
      mirror.setSeq(row, seq);
    };
    return { detector, fleet, reports, write, primary, mirror };
  }

  it('repeats are counted, not reported; a cleared anomaly that recurs is reported again', async () => {
    const { detector, fleet, reports, write } = await detectorFixture();
    write(0, 1, { a: 1, b: 0 }, { a: 2, b: 0 }); // a off by 1: 2 x 1 = 2 > 1
    write(1, 1, { a: 5, b: 5 }, { a: 5, b: 5 });
    const first = await detector.compareFleet(fleet);
    expect(first.compared).toBe(2);
    expect(first.reports).toHaveLength(1);
    expect(first.reports[0]).toMatchObject({ workflowId: 'r0', seq: 1, deviation: 2, cause: 'unknown' });
    expect(first.reports[0]!.fields.map((f) => f.name)).toEqual(['a']);

    // Still open, same fields: counted as a repeat, even at a later seq and another magnitude.
    write(0, 2, { a: 1, b: 0 }, { a: 3, b: 0 });
    expect((await detector.compareFleet(fleet)).reports).toEqual([]);
    expect((await detector.compareRow(fleet, 0)).reports).toEqual([]);
    expect(detector.stats.repeats).toBe(2);
    expect(detector.stats.anomalies).toBe(1);

    // Other fields affected while open: a different anomaly, reported.
    write(0, 3, { a: 1, b: 0 }, { a: 3, b: 2 });
    const changed = await detector.compareRow(fleet, 0);
    expect(changed.reports.map((r) => r.fields.map((f) => f.name).sort())).toEqual([['a', 'b']]);

    // Cleared (within tolerance on b), then recurring: reported again.
    write(0, 4, { a: 1, b: 0 }, { a: 1, b: 0.4 });
    expect((await detector.compareRow(fleet, 0)).reports).toEqual([]);
    write(0, 5, { a: 1, b: 0 }, { a: 2, b: 0 });
    const again = await detector.compareRow(fleet, 0);
    expect(again.reports).toHaveLength(1);
    expect(again.reports[0]!.seq).toBe(5);
    expect(reports.map((r) => r.seq)).toEqual([1, 3, 5]);
    expect(detector.stats.anomalies).toBe(3);
  });

  it('a deviating row whose sides are at different seqs is lagging: no report, and it does not clear the open anomaly', async () => {
    const { detector, fleet, reports, write, mirror } = await detectorFixture();
    write(0, 1, { a: 0, b: 0 }, { a: 10, b: 0 });
    write(1, 1, { a: 0, b: 0 }, { a: 0, b: 0 });
    expect((await detector.compareFleet(fleet)).reports).toHaveLength(1);
    mirror.setSeq(0, 0);
    mirror.writeState(1, { a: 99, b: 99 });
    mirror.setSeq(1, 2);
    const round = await detector.compareFleet(fleet);
    expect(round).toEqual({ compared: 0, lagging: 2, reports: [] });
    // Aligned again with the same deviation: still the same open anomaly.
    mirror.setSeq(0, 1);
    expect((await detector.compareRow(fleet, 0)).reports).toEqual([]);
    expect(reports).toHaveLength(1);
    expect(detector.stats.lagging).toBe(2);
  });

  it('a row no side has written yet (seq 0) is lagging, not compared', async () => {
    const { detector, fleet } = await detectorFixture();
    expect(await detector.compareFleet(fleet)).toEqual({ compared: 0, lagging: 2, reports: [] });
  });
});
