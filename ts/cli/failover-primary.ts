/**
 * The primary process of the demo's failover (`demo-failover.ts`): runs the demo's order fleet on
 * the SQLite log with epoch 0, beating every `beatMs` through the log, until the demo kills it.
 * `node failover-primary.js <database> <instances> <beatMs>`. Prints "ready" once its log is open
 * and "done" if it is left to finish.
 *
 * Virtual time, as in the demo: instances start in windows, and the clock moves one minute after
 * each, so express dispatches fire a window later and hourly ones sixty windows later; after the
 * last window the clock goes on in one-minute steps until no timer is left. Each step also waits
 * a few real milliseconds, as a primary serving traffic over time does, so the run is spread out
 * and wherever the kill lands, instances are caught with activities in flight and timers pending.
 */
import { order, simulatedOrderActivities } from '../../examples/order.js';
import { SystemClock } from '../clock/system-clock.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import { FleetRegistry } from '../engine/fleet.js';
import { PrimaryEngine } from '../engine/primary-engine.js';
import { SqliteEventLog } from '../history/sqlite-event-log.js';
import { startHeartbeat } from '../recovery/heartbeat.js';
import { DEMO_START_TIME, demoId, demoInput, getsDiscount } from './demo-faults.js';

/** Instances started between two one-minute steps of the virtual clock. */
const WINDOW = 50;
/** Real time between two steps (ms). */
const PACE_MS = 3;
const pause = () => new Promise((resolve) => setTimeout(resolve, PACE_MS));

const [database, instancesText, beatText] = process.argv.slice(2);
const instances = Number(instancesText);
const log = SqliteEventLog.open({ path: database!, groupCommit: { maxBatch: 500 } });
const clock = new VirtualClock(DEMO_START_TIME);
const primary = new PrimaryEngine({
  log,
  fleets: new FleetRegistry([order]),
  activities: simulatedOrderActivities(),
  clock,
  epoch: 0,
});
startHeartbeat({
  log,
  owner: `demo-primary (pid ${process.pid})`,
  epoch: 0,
  clock: new SystemClock(),
  intervalMs: Number(beatText),
});
process.stdout.write('ready\n');

const run = async (i: number) => {
  await primary.start('order', demoId(i), demoInput(i));
  if (getsDiscount(i)) await primary.signal(demoId(i), 'discount', { amount: 2.5 });
};
for (let first = 0; first < instances; first += WINDOW) {
  const window = Array.from({ length: Math.min(WINDOW, instances - first) }, (_, k) => run(first + k));
  await Promise.all(window);
  await primary.whenIdle();
  clock.advanceBy(60_000);
  await primary.whenIdle();
  await pause();
}
while (clock.pendingTimers > 0) {
  clock.advanceBy(60_000);
  await primary.whenIdle();
  await pause();
}
process.stdout.write('done\n');
process.exit(0);
