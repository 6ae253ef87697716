/**
 * A shard worker's progress, published in shared memory so the main thread reads lag and waits
 * for progress without a message per batch. One writer (the worker), any number of readers.
 *
 * Int32 slots: the count of messages processed (wrapping at 2^32; the main thread compares it with
 * the count it wrote, `(written - processed) | 0`), and a flag set while the main thread waits on
 * it (a count of waiters, so the worker notifies only then). BigInt64 slots: events processed, events applied, the
 * highest log position applied, non-determinism findings, unapplied events, rows not published
 * (no shared row). BigInt64 so counts and positions are not bounded by 2^31 over a long run.
 */
import { waitForChange } from '../ring/shared-memory.js';

const INT_SLOTS = 4;
const MESSAGES = 0;
const MAIN_WAITING = 1;
const BIG_SLOTS = 6;
const EVENTS = 0;
const APPLIED = 1;
const POSITION = 2;
const NON_DETERMINISM = 3;
const UNAPPLIED = 4;
const UNPUBLISHED = 5;

/** What a worker reports after each message. */
export interface ShardProgress {
  readonly eventsProcessed: number;
  readonly eventsApplied: number;
  readonly position: number;
  readonly nonDeterminism: number;
  readonly unapplied: number;
  readonly unpublished: number;
}

export class ShardStatus {
  readonly buffer: SharedArrayBuffer;
  readonly #ints: Int32Array;
  readonly #bigs: BigInt64Array;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.#ints = new Int32Array(buffer, 0, INT_SLOTS);
    this.#bigs = new BigInt64Array(buffer, INT_SLOTS * 4, BIG_SLOTS);
  }

  static create(): ShardStatus {
    return new ShardStatus(new SharedArrayBuffer(INT_SLOTS * 4 + BIG_SLOTS * 8));
  }

  static attach(buffer: SharedArrayBuffer): ShardStatus {
    return new ShardStatus(buffer);
  }

  /** Messages the worker has processed (wrapping Int32). */
  get messages(): number {
    return Atomics.load(this.#ints, MESSAGES);
  }

  /** The worker's counters as last published. */
  progress(): ShardProgress {
    const big = this.#bigs;
    return {
      eventsProcessed: Number(Atomics.load(big, EVENTS)),
      eventsApplied: Number(Atomics.load(big, APPLIED)),
      position: Number(Atomics.load(big, POSITION)),
      nonDeterminism: Number(Atomics.load(big, NON_DETERMINISM)),
      unapplied: Number(Atomics.load(big, UNAPPLIED)),
      unpublished: Number(Atomics.load(big, UNPUBLISHED)),
    };
  }

  /** Worker: one more message processed, with the counters after it. */
  publish(progress: ShardProgress): void {
    const big = this.#bigs;
    Atomics.store(big, EVENTS, BigInt(progress.eventsProcessed));
    Atomics.store(big, APPLIED, BigInt(progress.eventsApplied));
    Atomics.store(big, POSITION, BigInt(progress.position));
    Atomics.store(big, NON_DETERMINISM, BigInt(progress.nonDeterminism));
    Atomics.store(big, UNAPPLIED, BigInt(progress.unapplied));
    Atomics.store(big, UNPUBLISHED, BigInt(progress.unpublished));
    // The message count last: a reader that sees it sees the counters above.
    Atomics.add(this.#ints, MESSAGES, 1);
    if (Atomics.load(this.#ints, MAIN_WAITING) !== 0) Atomics.notify(this.#ints, MESSAGES);
  }

  /** Main thread: resolves once the message count is no longer `seen` (or after `sliceMs`; check again). */
  async waitForProgress(seen: number, sliceMs: number): Promise<void> {
    // A count, not a flag: several awaits on the main thread may wait at once.
    Atomics.add(this.#ints, MAIN_WAITING, 1);
    try {
      if (Atomics.load(this.#ints, MESSAGES) === seen) await waitForChange(this.#ints, MESSAGES, seen, sliceMs);
    } finally {
      Atomics.sub(this.#ints, MAIN_WAITING, 1);
    }
  }
}
