/**
 * Test worker: copies every record of one ring into another, blocking on both (as a mirror worker
 * does), until the first ring ends; then closes the second. Plain JavaScript over the built ring
 * (dist/), since a worker thread gets no TypeScript transform.
 */
import { parentPort } from 'node:worker_threads';
import { EventRing } from '../../../dist/ts/stream/ring/event-ring.js';

parentPort.on('message', ({ input, output }) => {
  const from = EventRing.attach(input);
  const to = EventRing.attach(output);
  for (;;) {
    const record = from.readBlocking();
    if (record === undefined) break;
    to.writeBlocking(record);
  }
  to.close();
});
