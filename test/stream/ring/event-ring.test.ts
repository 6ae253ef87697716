import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RingCapacityError,
  RingClosedError,
  RingCorruptError,
  RingHandleError,
  RingRecordTooLargeError,
} from '../../../ts/stream/ring/errors.js';
import { EventRing, ringRecordBytes } from '../../../ts/stream/ring/event-ring.js';

/** Bytes whose content depends on (seed, index): a record that is not all zeros and differs from its neighbours. */
function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 31 + i * 7 + (i >> 3)) & 0xff;
  return out;
}

/** One step of a single-threaded run: write a record (maybe as parts), or read one. */
type Step = { kind: 'write'; size: number; parts: number } | { kind: 'read' };

describe('EventRing: records round-trip in order (one thread, against a queue model)', () => {
  it('any sequence of writes and reads keeps bytes, order and the free-space accounting, wrap-around included', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 32, 64, 256, 1024),
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('write' as const),
              size: fc.nat({ max: 1020 }),
              parts: fc.integer({ min: 1, max: 3 }),
            }),
            fc.record({ kind: fc.constant('read' as const) }),
          ),
          { maxLength: 200 },
        ),
        (capacity, steps: Step[]) => {
          const ring = EventRing.create(capacity);
          const model: Uint8Array[] = [];
          let used = 0;
          let seed = 0;
          for (const step of steps) {
            if (step.kind === 'read') {
              const record = ring.tryRead();
              const expected = model.shift();
              if (expected === undefined) expect(record).toBeUndefined();
              else {
                expect(record).toEqual(expected);
                used -= ringRecordBytes(expected.length);
              }
            } else {
              const size = step.size % (capacity - 3); // 0 .. capacity - 4: every size a record may have
              const bytes = pattern(size, seed++);
              const cut1 = Math.floor(size / 3);
              const cut2 = Math.floor((2 * size) / 3);
              const record =
                step.parts === 1
                  ? bytes
                  : [bytes.subarray(0, cut1), bytes.subarray(cut1, cut2), bytes.subarray(cut2)].slice(0, step.parts);
              const whole = step.parts === 3 || step.parts === 1 ? bytes : bytes.subarray(0, cut2);
              const fits = ringRecordBytes(whole.length) <= capacity - used;
              expect(ring.tryWrite(record)).toBe(fits);
              if (fits) {
                model.push(whole.slice());
                used += ringRecordBytes(whole.length);
              }
            }
            expect(ring.usedBytes()).toBe(used);
            expect(ring.freeBytes()).toBe(capacity - used);
          }
          // Drain: what is left comes out in order.
          for (const expected of model) expect(ring.tryRead()).toEqual(expected);
          expect(ring.tryRead()).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a record may be as long as capacity - 4, wrapping around the end', () => {
    const ring = EventRing.create(64);
    expect(ring.tryWrite(pattern(10, 1))).toBe(true); // head moves to 16
    expect(ring.tryRead()).toEqual(pattern(10, 1));
    const longest = pattern(60, 2);
    expect(ring.tryWrite(longest)).toBe(true); // starts at 16, wraps
    expect(ring.freeBytes()).toBe(0);
    expect(ring.tryWrite(new Uint8Array(0))).toBe(false);
    expect(ring.tryRead()).toEqual(longest);
    expect(ring.usedBytes()).toBe(0);
  });
});

describe('EventRing: refusals are typed', () => {
  it('refuses a capacity that is not a power of two in range', () => {
    for (const bad of [0, 8, 100, 3.5, -16, 2 ** 31]) {
      expect(() => EventRing.create(bad)).toThrow(RingCapacityError);
    }
    expect(() => EventRing.create(100)).toThrow(expect.objectContaining({ code: 'RING_INVALID_CAPACITY' }));
  });

  it('refuses a record longer than the ring and writes nothing', () => {
    const ring = EventRing.create(32);
    const error = (() => {
      try {
        ring.tryWrite(new Uint8Array(29));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RingRecordTooLargeError);
    expect(error).toMatchObject({ code: 'RING_RECORD_TOO_LARGE', recordBytes: 29, maxRecordBytes: 28 });
    expect(ring.usedBytes()).toBe(0);
    // Parts count together.
    expect(() => ring.tryWrite([new Uint8Array(20), new Uint8Array(9)])).toThrow(RingRecordTooLargeError);
  });

  it('after close the reader drains what is there, then reads the end; writes are refused', async () => {
    const ring = EventRing.create(64);
    ring.tryWrite(pattern(5, 1));
    ring.close();
    expect(() => ring.tryWrite(pattern(1, 1))).toThrow(RingClosedError);
    expect(ring.ended).toBe(false);
    expect(await ring.read()).toEqual(pattern(5, 1));
    expect(ring.ended).toBe(true);
    expect(await ring.read()).toBeUndefined();
    expect(ring.readBlocking(10)).toBeUndefined();
  });

  it('attach refuses a buffer that holds no ring', () => {
    expect(() => EventRing.attach(new SharedArrayBuffer(1024))).toThrow(RingHandleError);
    expect(() => EventRing.attach(new SharedArrayBuffer(8))).toThrow(RingHandleError);
    const ring = EventRing.create(64);
    const other = EventRing.attach(ring.buffer);
    ring.tryWrite(pattern(7, 3));
    expect(other.tryRead()).toEqual(pattern(7, 3));
  });

  it('a length prefix past what was written is reported as corruption, not read', () => {
    const ring = EventRing.create(64);
    ring.tryWrite(pattern(4, 1));
    new Int32Array(ring.buffer, 256, 16)[0] = 40; // the record claims 40 bytes; 4 were written
    expect(() => ring.tryRead()).toThrow(RingCorruptError);
  });
});

describe('EventRing: back-pressure on one thread', () => {
  it('write waits for room, never drops, and keeps order; the wait is counted', async () => {
    const ring = EventRing.create(32);
    expect(ring.tryWrite(pattern(12, 1))).toBe(true); // 16 bytes
    expect(ring.tryWrite(pattern(12, 2))).toBe(true); // full
    let written = false;
    const pending = ring.write(pattern(12, 3)).then(() => {
      written = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(written).toBe(false);
    expect(ring.tryRead()).toEqual(pattern(12, 1));
    await pending;
    expect(written).toBe(true);
    expect(ring.stats.fullWaits).toBe(1);
    expect(ring.tryRead()).toEqual(pattern(12, 2));
    expect(ring.tryRead()).toEqual(pattern(12, 3));
  });

  it('nudge() lets a waiting write go on within the same run of microtasks, once there is room, and not before', async () => {
    const ring = EventRing.create(32);
    ring.tryWrite(pattern(12, 1));
    ring.tryWrite(pattern(12, 2)); // full
    let written = false;
    const pending = ring.write(pattern(12, 3)).then(() => {
      written = true;
    });
    // A producer that never yields to the event loop: only microtasks run from here on.
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    await Promise.resolve();
    ring.nudge(); // no room yet: nothing happens
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(written).toBe(false);
    expect(ring.tryRead()).toEqual(pattern(12, 1));
    ring.nudge();
    for (let i = 0; i < 10 && !written; i++) await Promise.resolve();
    expect(written).toBe(true);
    expect(turned).toBe(false); // the event loop never turned: the wait's own wake-up did not do it
    await pending;
    expect(ring.tryRead()).toEqual(pattern(12, 2));
    expect(ring.tryRead()).toEqual(pattern(12, 3));
  });

  it('a write waiting on a ring whose reader aborted rejects with RingClosedError', async () => {
    const ring = EventRing.create(16);
    ring.tryWrite(pattern(12, 1));
    const pending = ring.write(pattern(12, 2));
    EventRing.attach(ring.buffer).abort();
    await expect(pending).rejects.toBeInstanceOf(RingClosedError);
  });
});
