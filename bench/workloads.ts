/**
 * Workloads shared by the benchmarks: the demo's order fleet, recorded once as a history, and a
 * driver that runs the whole primary + mirror pipeline on a given log.
 */
import { order, simulatedOrderActivities } from '../examples/order.js';
import { demoId, demoInput, getsDiscount } from '../ts/cli/demo-faults.js';
import { type EventLog, type HistoryEvent, MemoryEventLog, VirtualClock, WorkflowMirror } from '../ts/index.js';

/** Runs `instances` order workflows through a primary and its mirror on `log`; returns the events appended. */
export async function runPipeline(log: EventLog, instances: number, prefix = ''): Promise<number> {
  const wm = await WorkflowMirror.open({
    workflows: [order],
    activities: simulatedOrderActivities(),
    log: { kind: 'custom', log },
    clock: new VirtualClock(0),
    compare: { every: { events: 20_000, ms: 0 }, threshold: 0.5 },
    anomalies: { store: false },
  });
  let next = 0;
  const worker = async () => {
    while (next < instances) {
      const i = next++;
      await wm.start('order', prefix + demoId(i), demoInput(i));
      if (getsDiscount(i)) await wm.signal(prefix + demoId(i), 'discount', { amount: 2.5 });
    }
  };
  await Promise.all(Array.from({ length: Math.min(Number(process.env.BENCH_WINDOW ?? 1000), instances) }, worker));
  await wm.settle();
  await wm.compareAll();
  const events = wm.primary.stats.eventsAppended;
  await wm.close();
  return events;
}

/** The history of `instances` order workflows, in global order, recorded on a memory log. */
export async function recordHistory(instances: number): Promise<HistoryEvent[]> {
  const log = new MemoryEventLog();
  await runPipeline(log, instances);
  return log.readRange(0, Number.MAX_SAFE_INTEGER);
}
