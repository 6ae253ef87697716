/**
 * One fault at a time on a small fleet of orders: the report on the faulted instance names the
 * expected cause, the right fields with the right values, a sensible severity, and no other
 * instance is reported. Plus a large clean run that must raise nothing.
 */
import { describe, expect, it } from 'vitest';
import { order, simulatedOrderActivities, surchargedOrder } from '../../examples/order.js';
import { demoId, demoInput, getsDiscount } from '../../ts/cli/demo-faults.js';
import type { AnomalyReport, Fault, MirrorRunStats } from '../../ts/index.js';
import { EXPECTED_CAUSE, VirtualClock, WorkflowMirror } from '../../ts/index.js';

const FLEET = 30;
/** The faulted instance: index 14 gets a discount signal (getsDiscount), so every fault has something to hit. */
const TARGET = 14;
const TARGET_ID = demoId(TARGET);
const INPUT = demoInput(TARGET);
const THRESHOLD = 0.5;

async function runFleet(
  instances: number,
  faults: readonly Fault[],
): Promise<{ reports: AnomalyReport[]; stats: MirrorRunStats; mirrorPaid: number }> {
  const reports: AnomalyReport[] = [];
  const wm = await WorkflowMirror.open({
    workflows: [order],
    activities: simulatedOrderActivities(),
    log: { kind: 'memory' },
    clock: new VirtualClock(0),
    compare: { every: { events: 5_000, ms: 0 }, threshold: THRESHOLD },
    faults,
    onAnomaly: (r) => reports.push(r),
  });
  for (let i = 0; i < instances; i++) {
    await wm.start('order', demoId(i), demoInput(i));
    if (getsDiscount(i)) await wm.signal(demoId(i), 'discount', { amount: 2.5 });
  }
  await wm.settle();
  await wm.compareAll();
  const stats = wm.stats();
  const mirrorPaid = (wm.mirror.instance(TARGET_ID)?.state['paid'] as number | undefined) ?? Number.NaN;
  await wm.close();
  return { reports, stats, mirrorPaid };
}

/** Runs one fault and checks what every fault must satisfy; returns the target's reports. */
async function runOne(fault: Fault): Promise<{ reports: AnomalyReport[]; mirrorPaid: number }> {
  const { reports, stats, mirrorPaid } = await runFleet(FLEET, [fault]);
  expect(stats.faultsFired.map((f) => f.fault)).toEqual([fault]);
  const others = reports.filter((r) => r.workflowId !== TARGET_ID);
  expect(others, JSON.stringify(others)).toEqual([]);
  const mine = reports.filter((r) => r.workflowId === TARGET_ID);
  expect(mine.length).toBeGreaterThan(0);
  expect(
    mine.map((r) => r.cause),
    JSON.stringify(mine),
  ).toContain(EXPECTED_CAUSE[fault.kind]);
  for (const r of mine) {
    expect(r.workflowType).toBe('order');
    // Every report carries the configured threshold, the mirror's command-check reports (no deviation) too.
    expect(r.threshold).toBe(THRESHOLD);
    expect(r.id).toBe(`${TARGET_ID}:${r.seq}:${r.cause}`);
  }
  return { reports: mine, mirrorPaid };
}

function field(report: AnomalyReport, name: string) {
  const f = report.fields.find((x) => x.name === name);
  expect(f, `${name} in ${JSON.stringify(report.fields)}`).toBeDefined();
  return f!;
}

describe('fault injection, one kind at a time', () => {
  it('corrupt-field on total: names total, primary 0, mirror the order amount, share 1, critical', async () => {
    const { reports } = await runOne({
      kind: 'corrupt-field',
      workflowId: TARGET_ID,
      field: 'total',
      value: 0,
      afterEvent: 'charge.completed',
    });
    const report = reports.find((r) => r.cause === 'state-written-outside-handler')!;
    expect(report.fields.map((f) => f.name)).toEqual(['total']);
    const total = field(report, 'total');
    expect(total.primary).toBe(0);
    expect(total.mirror).toBe(INPUT.amount);
    expect(total.share).toBe(1);
    expect(total.reason).toBe('numeric');
    expect(report.deviation).toBeCloseTo(10 * INPUT.amount, 9);
    expect(report.severity).toBe('critical'); // total is a critical field
    expect(reports).toHaveLength(1); // the same open anomaly is not reported twice
  });

  it('duplicate-delivery of charge.completed: names paid with primary = 2 x mirror', async () => {
    const { reports, mirrorPaid } = await runOne({
      kind: 'duplicate-delivery',
      workflowId: TARGET_ID,
      event: 'charge.completed',
    });
    const report = reports.find((r) => r.cause === 'duplicated-event')!;
    expect(report.detail).toMatch(/charge\.completed at seq \d+ was applied 2 times/);
    const paid = field(report, 'paid');
    expect(paid.mirror).toBe(INPUT.amount);
    expect(mirrorPaid).toBe(INPUT.amount);
    expect(paid.primary).toBe(2 * (paid.mirror as number));
    // 10 x amount >= 50 = 100 x threshold: critical by band.
    expect(report.deviation).toBeGreaterThanOrEqual(100 * THRESHOLD);
    expect(report.severity).toBe('critical');
  });

  it('drop-delivery of signal.discount: names discount, primary 0, mirror 2.5, warning', async () => {
    const { reports } = await runOne({ kind: 'drop-delivery', workflowId: TARGET_ID, event: 'signal.discount' });
    const report = reports.find((r) => r.cause === 'lost-event')!;
    expect(report.detail).toMatch(/signal\.discount at seq \d+ is in the log but the primary never applied it/);
    expect(report.fields.map((f) => f.name)).toEqual(['discount']);
    const discount = field(report, 'discount');
    expect(discount.primary).toBe(0);
    expect(discount.mirror).toBe(2.5);
    expect(discount.share).toBe(1);
    // weight 5 x 2.5 = 12.5: above the warning band (10 x 0.5 = 5), below critical (50).
    expect(report.deviation).toBe(12.5);
    expect(report.severity).toBe('warning');
  });

  it('altered-result of charge: names paid, and the detail names the activity and both results', async () => {
    const alter = (r: unknown) => ({ amount: (r as { amount: number }).amount + 5 });
    const { reports } = await runOne({ kind: 'altered-result', workflowId: TARGET_ID, activity: 'charge', alter });
    const report = reports.find((r) => r.cause === 'unexpected-activity-result')!;
    expect(report.detail).toContain('activity "charge"');
    expect(report.detail).toContain(JSON.stringify({ amount: INPUT.amount }));
    expect(report.detail).toContain(JSON.stringify({ amount: INPUT.amount + 5 }));
    const paid = field(report, 'paid');
    expect(paid.mirror).toBe(INPUT.amount);
    expect(paid.primary as number).toBeCloseTo(INPUT.amount + 5, 9);
    // 10 x 5 = 50 = 100 x threshold: critical by band.
    expect(report.deviation).toBeCloseTo(50, 9);
    expect(report.severity).toBe('critical');
  });

  it('changed-handler: version skew, paid carries the 2% surcharge', async () => {
    const { reports } = await runOne({ kind: 'changed-handler', workflowId: TARGET_ID, definition: surchargedOrder });
    const report = reports.find((r) => r.cause === 'version-skew' && r.fields.length > 0)!;
    expect(report.detail).toMatch(/fingerprint/);
    const paid = field(report, 'paid');
    expect(paid.mirror).toBe(INPUT.amount);
    expect(paid.primary as number).toBeCloseTo(Math.round(INPUT.amount * 102) / 100, 9);
    expect(['warning', 'critical']).toContain(report.severity);
  });

  it('swapped-calls: a critical non-determinism report naming both activities', async () => {
    const { reports } = await runOne({ kind: 'swapped-calls', workflowId: TARGET_ID });
    const report = reports.find((r) => r.cause === 'non-determinism')!;
    expect(report.severity).toBe('critical');
    expect(report.seq).toBe(2);
    expect(report.detail).toContain('"reserve"');
    expect(report.detail).toContain('"charge"');
    expect(report.fields).toEqual([]);
  });
});

describe('clean run', () => {
  it('10,000 orders on the memory log raise no anomaly', async () => {
    const { reports, stats } = await runFleet(10_000, []);
    expect(reports).toEqual([]);
    expect(stats.comparisons.anomalies).toBe(0);
    expect(stats.comparisons.rowComparisons).toBeGreaterThanOrEqual(10_000);
    expect(stats.mirror.nonDeterminism).toBe(0);
    expect(stats.primary.started).toBe(10_000);
    expect(stats.primary.completed + stats.primary.failed).toBe(10_000);
    expect(stats.lag.every((l) => l.laggingInstances === 0)).toBe(true);
  }, 30_000);
});
