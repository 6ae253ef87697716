/**
 * The ring across a real worker thread: the main thread writes records of random sizes into ring A
 * (awaiting room: tiny rings force back-pressure and wrap-around all the time), a worker copies
 * them into ring B, and the main thread reads B concurrently. Needs the built ring in dist/
 * (`npx tsc -p tsconfig.build.json`).
 */
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventRing } from '../../../ts/stream/ring/event-ring.js';

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 131 + i * 7 + (i >> 5)) & 0xff;
  return out;
}

let worker: Worker;

beforeAll(() => {
  worker = new Worker(new URL('./echo-worker.mjs', import.meta.url));
});

afterAll(async () => {
  await worker.terminate();
});

/** Sends `records` through ring A -> worker -> ring B; returns what came out of B, in order. */
async function roundTrip(capacity: number, records: readonly Uint8Array[]): Promise<{ out: Uint8Array[]; waits: number }> {
  const input = EventRing.create(capacity);
  const output = EventRing.create(capacity);
  worker.postMessage({ input: input.buffer, output: output.buffer });
  const writing = (async () => {
    for (const record of records) await input.write(record);
    input.close();
  })();
  const out: Uint8Array[] = [];
  for (;;) {
    const record = await output.read();
    if (record === undefined) break;
    out.push(record);
  }
  await writing;
  return { out, waits: input.stats.fullWaits };
}

describe('EventRing across a worker thread', () => {
  it('preserves bytes and order for any sizes, through wrap-around and full-ring back-pressure', async () => {
    let totalWaits = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(16, 64, 256, 4096),
        fc.array(fc.nat({ max: 5000 }), { minLength: 1, maxLength: 120 }),
        async (capacity, sizes) => {
          const records = sizes.map((size, i) => pattern(size % (capacity - 3), i));
          const { out, waits } = await roundTrip(capacity, records);
          totalWaits += waits;
          expect(out.length).toBe(records.length);
          for (let i = 0; i < records.length; i++) expect(out[i]).toEqual(records[i]);
        },
      ),
      { numRuns: 40 },
    );
    // The rings were small enough that the writer had to wait for the worker (back-pressure ran).
    expect(totalWaits).toBeGreaterThan(0);
  });

  it('moves 20,000 records through a 256-byte ring without loss', async () => {
    const records = Array.from({ length: 20_000 }, (_, i) => pattern(i % 200, i));
    const { out, waits } = await roundTrip(256, records);
    expect(out.length).toBe(records.length);
    expect(out.every((record, i) => Buffer.from(record).equals(Buffer.from(records[i]!)))).toBe(true);
    expect(waits).toBeGreaterThan(0);
  });

  it('a reader blocked without a timeout sees a close whose wake-up it missed', async () => {
    // close() changes no counter, so a reader that went to sleep just after its last check would
    // not be woken by close's notify. Reproduced without the race: the flag is set with no notify.
    const watcher = new Worker(new URL('./close-watch-worker.mjs', import.meta.url));
    try {
      const ring = EventRing.create(64);
      const control = new Int32Array(ring.buffer, 0, 64);
      const CONSUMER_WAITING = 33;
      const CLOSED = 34;
      const ended = new Promise((resolve, reject) => {
        watcher.once('message', resolve);
        watcher.once('error', reject);
      });
      watcher.postMessage({ ring: ring.buffer });
      while (Atomics.load(control, CONSUMER_WAITING) === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      Atomics.store(control, CLOSED, 1);
      expect(await ended).toBe('ended');
    } finally {
      await watcher.terminate();
    }
  });
});
