import { describe, expect, it } from 'vitest';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import { demoFaults, demoId, demoInput, getsDiscount } from '../../ts/cli/demo-faults.js';
import type { AnomalyReport } from '../../ts/index.js';
import { VirtualClock, WorkflowMirror } from '../../ts/index.js';

async function runFleet(instances: number, withFaults: boolean) {
  const planned = withFaults ? demoFaults(instances) : [];
  const reports: AnomalyReport[] = [];
  const wm = await WorkflowMirror.open({
    workflows: [order],
    activities: simulatedOrderActivities(),
    log: { kind: 'memory' },
    clock: new VirtualClock(0),
    compare: { every: { events: 5000, ms: 0 }, threshold: 0.5 },
    faults: planned.map((p) => p.fault),
    onAnomaly: (r) => reports.push(r),
  });
  for (let i = 0; i < instances; i++) {
    await wm.start('order', demoId(i), demoInput(i));
    if (getsDiscount(i)) await wm.signal(demoId(i), 'discount', { amount: 2.5 });
  }
  await wm.settle();
  await wm.compareAll();
  const stats = wm.stats();
  await wm.close();
  return { planned, reports, stats };
}

describe('fault injection end to end', () => {
  it('detects each injected fault with its cause and raises nothing else', async () => {
    const { planned, reports, stats } = await runFleet(600, true);
    expect(planned).toHaveLength(6);
    expect(stats.faultsFired).toHaveLength(6);
    for (const p of planned) {
      const causes = reports.filter((r) => r.workflowId === p.fault.workflowId).map((r) => r.cause);
      expect(
        causes,
        `${p.fault.kind} on ${p.fault.workflowId}: ${JSON.stringify(reports.filter((r) => r.workflowId === p.fault.workflowId))}`,
      ).toContain(p.expectedCause);
    }
    const faulted = new Set(planned.map((p) => p.fault.workflowId));
    expect(reports.filter((r) => !faulted.has(r.workflowId))).toEqual([]);
  });
});
