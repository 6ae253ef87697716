// The README's checkpoint example, kept compiling and running: test/readme.test.ts checks that this
// file and the README's second code block are the same (but for the import paths) and runs it.

import {
  decodeEvent,
  encodeEvent,
  FleetRegistry,
  MemoryEventLog,
  MirrorEngine,
  VirtualClock,
  WorkflowMirror,
} from '../ts/index.js';
import { order, simulatedOrderActivities } from './order.js';

const log = new MemoryEventLog();
const wm = await WorkflowMirror.open({
  workflows: [order],
  activities: simulatedOrderActivities(),
  log: { kind: 'custom', log },
  clock: new VirtualClock(0),
});
for (let i = 0; i < 100; i++) await wm.start('order', `order-${i}`, { amount: 10 + i, items: 1 + (i % 3), express: i % 2 === 0 });
await wm.drain();

const first = (await log.readRange(0, 1))[0]!;
const bytes = encodeEvent(first); // one history event as FlatBuffers, as a transport carries it
console.log(decodeEvent(bytes).workflowId === first.workflowId); // verified, frozen, identical

const checkpoint = await wm.checkpoint(); // matrices, instances and the log position they reflect
await wm.settle();
const more = await wm.checkpoint({ incremental: true }); // only what changed since
const restored = MirrorEngine.restore([checkpoint, more], { fleets: new FleetRegistry([order]) });
restored.apply(await log.readRange(restored.position, 1_000_000)); // the rest: no replay from event 1
console.log(restored.instance('order-7')?.status, wm.mirror.instance('order-7')?.status);
export const mirrors = { restored, live: wm.mirror };
await wm.close();
