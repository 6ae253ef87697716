// The README's worker-thread mirror example, kept compiling and running: test/readme.test.ts checks
// that this file and the README's code block are the same (but for the import path) and runs it
// from dist/ (a worker imports built JavaScript).
import {
  compareWithSharedMirror,
  createComparator,
  FleetRegistry,
  PrimaryEngine,
  SqliteEventLog,
  VirtualClock,
  WorkerMirror,
} from '../ts/index.js';
import { order, simulatedOrderActivities } from './order.js';

const log = SqliteEventLog.open({ path: 'wfmirror-workers.db' });
const fleets = new FleetRegistry([order]);
const clock = new VirtualClock(0);
const primary = new PrimaryEngine({ log, fleets, activities: simulatedOrderActivities(), clock });
// Each worker imports the definitions itself (built JavaScript); instances are sharded by a hash of their id.
const orderModule = new URL('./order.js', import.meta.url);
const mirror = await WorkerMirror.start({ log, fleets, workflows: [{ module: orderModule, export: 'order' }], shards: 2 });

for (let i = 0; i < 1_000; i++) await primary.start('order', `order-${i}`, { amount: 20 + i, items: 1 + (i % 5) });
while (clock.fireNext()) await primary.whenIdle(); // the orders' dispatch timers
await mirror.whenCaughtUp();

const comparator = await createComparator({ backend: 'auto' });
const fleet = fleets.get('order');
const shared = mirror.matrix('order');
const { result, lagging } = await compareWithSharedMirror(comparator, fleet.primary, shared, fleet.compiled.layout);
console.log(result.rowCount, result.deviation.filter((d) => d > 0).length, lagging.length); // 1000 0 0

comparator.dispose();
await mirror.close();
await log.close();
