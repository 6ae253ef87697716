/**
 * Test worker: blocks in readBlocking() with no timeout on the ring it is sent, and posts what
 * ended the wait. Plain JavaScript over the built ring (dist/), as echo-worker.mjs.
 */
import { parentPort } from 'node:worker_threads';
import { EventRing } from '../../../dist/ts/stream/ring/event-ring.js';

parentPort.on('message', ({ ring }) => {
  const record = EventRing.attach(ring).readBlocking();
  parentPort.postMessage(record === undefined ? 'ended' : 'record');
});
