/**
 * Adaptive tolerance through a WorkflowMirror pair (compare.adaptiveTolerance): the primary's
 * measured latencies carry a small benign jitter (an `altered-result` fault the log does not record,
 * so the mirror keeps the real value), which the pair reports until it has learned it; after that
 * the same jitter on new instances is silent, and a real fault on the same field is still reported.
 */
import { describe, expect, it } from 'vitest';
import type { Fault } from '../../ts/engine/faults.js';
import { type AnomalyReport, activity, bool, defineWorkflow, f64, VirtualClock, WorkflowMirror } from '../../ts/index.js';

/** One measurement per instance; nothing of it flows into the workflow's result. */
const probe = defineWorkflow({
  name: 'probe',
  version: 1,
  state: { latency: f64({ weight: 10, tolerance: 0.01 }), ok: bool({ weight: 50 }) },
  activities: { measure: activity<{ n: number }, { latency: number }>() },
  on: {
    start(_s, input: { n: number }, ctx) {
      ctx.call('measure', input);
    },
    completed: {
      measure(s, result, ctx) {
        s.latency = result.latency;
        s.ok = true;
        ctx.complete();
      },
    },
  },
});
const id = (i: number) => `probe-${i}`;

const JITTERED = 400;
const FAULTY = JITTERED;
/** Benign jitter in [0.005, 0.07): above latency's schema tolerance (0.01) and the threshold's reach (0.05). */
const jitter = (i: number) => 0.005 + 0.065 * (((i * 7919) % 1000) / 1000);

function faults(): Fault[] {
  const list: Fault[] = [];
  for (let i = 0; i < JITTERED; i++) {
    list.push({
      kind: 'altered-result',
      workflowId: id(i),
      activity: 'measure',
      alter: (r) => ({ latency: (r as { latency: number }).latency + jitter(i) }),
    });
  }
  list.push({
    kind: 'altered-result',
    workflowId: id(FAULTY),
    activity: 'measure',
    alter: (r) => ({ latency: (r as { latency: number }).latency + 5 }),
  });
  return list;
}

describe('adaptive tolerance in a pair', () => {
  it('learns benign jitter on a field, then stays silent on it and still reports a real fault there', async () => {
    const reports: AnomalyReport[] = [];
    const wm = await WorkflowMirror.open({
      workflows: [probe],
      activities: { measure: (input: { n: number }) => ({ latency: 10 + (input.n % 7) }) },
      log: { kind: 'memory' },
      clock: new VirtualClock(0),
      compare: {
        every: { events: 0, ms: 0 },
        threshold: 0.5,
        adaptiveTolerance: { bounds: { min: 0.02, max: 0.5 }, window: 50, maxRiseFactor: 4 },
      },
      faults: faults(),
      onAnomaly: (r) => reports.push(r),
    });
    const run = async (from: number, to: number) => {
      for (let i = from; i < to; i++) await wm.start('probe', id(i), { n: i });
      await wm.settle();
      await wm.compareAll();
    };
    const layout = () => wm.mirror.instance(id(0))!.compiled.layout;

    // Calibration: the jitter is reported (latency only) until the tolerance has risen past it.
    await run(0, 200);
    const calibrating = reports.length;
    expect(calibrating).toBeGreaterThan(10);
    expect(reports.every((r) => r.fields.map((f) => f.name).join() === 'latency')).toBe(true);
    const latency = layout().names.indexOf('latency');
    expect(layout().tolerances[latency]).toBeGreaterThan(0.07);
    expect(layout().tolerances[latency]).toBeLessThanOrEqual(0.5);
    const change = wm.toleranceChanges.find((c) => c.field === 'latency')!;
    expect(change).toMatchObject({ workflowType: 'probe', old: 0.01, phase: 'calibration' });
    expect(change.reason).toMatch(/\d/);
    await wm.compareAll();
    expect(wm.detector.openCount('order')).toBe(0);

    // The same jitter on 200 new instances: nothing.
    await run(200, JITTERED);
    expect(reports).toHaveLength(calibrating);

    // A real fault on the learned field is still reported.
    await run(JITTERED, JITTERED + 1);
    const fault = reports.slice(calibrating);
    expect(fault.map((r) => r.workflowId)).toEqual([id(FAULTY)]);
    expect(fault[0]!.fields.map((f) => f.name)).toEqual(['latency']);
    await wm.close();
  });
});
