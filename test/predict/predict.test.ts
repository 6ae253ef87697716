/**
 * Lead mode inside a WorkflowMirror: `predict()` says what an instance expects next, and an
 * activity result outside its prediction reaches the pair's anomaly sinks.
 */
import { describe, expect, it } from 'vitest';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import { type AnomalyReport, MemoryEventLog, VirtualClock, WorkflowMirror } from '../../ts/index.js';

describe('WorkflowMirror with lead mode', () => {
  it('predicts what an instance waits for, and reports a result outside its prediction through the sinks', async () => {
    const sim = simulatedOrderActivities();
    const reports: AnomalyReport[] = [];
    let release: (() => void) | undefined;
    const wm = await WorkflowMirror.open({
      workflows: [order],
      activities: {
        ...sim,
        // The charge comes back later, and for ten times the amount.
        charge: (input: { amount: number }) =>
          new Promise<{ amount: number }>((resolve) => {
            release = () => resolve({ amount: input.amount * 10 });
          }),
      },
      log: { kind: 'custom', log: new MemoryEventLog() },
      clock: new VirtualClock(0),
      compare: { threshold: 0.5 },
      lead: {},
      onAnomaly: (report) => reports.push(report),
      anomalies: { store: false },
    });
    await wm.start('order', 'o-1', { amount: 40, items: 2 });
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));

    const prediction = wm.predict('o-1')!;
    expect(prediction.status).toBe('running');
    // charge has a `predict` in the definition: it is expected to return the amount.
    expect(prediction.activities).toEqual([
      expect.objectContaining({ activity: 'charge', predicted: { amount: 40 }, source: 'definition' }),
    ]);
    expect(prediction.predictedState).toMatchObject({ paid: 40 });
    expect(prediction.steps).toBeGreaterThanOrEqual(1);
    expect(wm.predict('unknown')).toBeUndefined();

    release!();
    await wm.drain();
    const unexpected = reports.filter((r) => r.cause === 'unexpected-activity-result');
    expect(unexpected).toHaveLength(1);
    expect(unexpected[0]).toMatchObject({
      workflowId: 'o-1',
      activity: 'charge',
      predicted: { amount: 40 },
      actual: { amount: 400 },
    });
    await wm.close();
  });

  it('refuses predict() without lead mode', async () => {
    const wm = await WorkflowMirror.open({
      workflows: [order],
      activities: simulatedOrderActivities(),
      log: { kind: 'custom', log: new MemoryEventLog() },
      clock: new VirtualClock(0),
      anomalies: { store: false },
    });
    expect(() => wm.predict('x')).toThrow(/predict\(\) needs lead mode/);
    await wm.close();
  });
});
