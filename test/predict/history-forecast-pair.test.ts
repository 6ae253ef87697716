/**
 * History forecast through a WorkflowMirror pair (`history` option): an instance receiving a steady
 * stream of signals gets one `info` report (`history-limit`) through the pair's sinks once its
 * limit is within the horizon, counted with the detector's reports; a quiet instance gets none.
 */
import { describe, expect, it } from 'vitest';
import { type AnomalyReport, defineWorkflow, i32, VirtualClock, WorkflowMirror } from '../../ts/index.js';

const ticker = defineWorkflow({
  name: 'ticker',
  version: 1,
  state: { ticks: i32({ weight: 1 }) },
  activities: {},
  on: {
    start() {},
    signal: {
      tick(s) {
        s.ticks++;
      },
    },
  },
});

describe('history forecast in a pair', () => {
  it('raises one info report for the busy instance ahead of its limit, none for the quiet one', async () => {
    const reports: AnomalyReport[] = [];
    const clock = new VirtualClock(0);
    const wm = await WorkflowMirror.open({
      workflows: [ticker],
      activities: {},
      log: { kind: 'memory' },
      clock,
      // 100 events at one per second: reported once the limit is 30 s away (at about 70 events).
      history: { limit: { events: 100 }, horizonMs: 30_000, minEvents: 5 },
      onAnomaly: (r) => reports.push(r),
    });
    await wm.start('ticker', 'busy');
    await wm.start('ticker', 'quiet');
    for (let t = 1; t <= 90; t++) {
      clock.advanceBy(1000);
      await wm.signal('busy', 'tick');
    }
    await wm.drain();
    const forecast = reports.filter((r) => r.cause === 'history-limit');
    expect(forecast.map((r) => [r.workflowId, r.severity])).toEqual([['busy', 'info']]);
    expect(forecast[0]!.detail).toMatch(/busy has 7\d of 100 events/);
    expect(wm.detector.stats.bySeverity.info).toBeGreaterThanOrEqual(1);
    expect(wm.history!.forecast('busy')!.ratePerSecond).toBeCloseTo(1, 1);
    expect(wm.history!.forecast('quiet')!.etaMs).toBeNull();
    await wm.close();
  });
});
