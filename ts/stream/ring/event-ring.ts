/**
 * A single-producer / single-consumer byte ring in one SharedArrayBuffer: how the main thread
 * hands encoded event batches to a mirror worker without a message per batch and without a copy
 * through the structured-clone machinery.
 *
 * Layout: a 256-byte header of Int32 slots, then `capacity` data bytes (a power of two, so byte
 * counters map to offsets with a mask). `head` counts the bytes ever written, `tail` the bytes
 * ever read; both are Int32 counters that wrap at 2^32, which is a multiple of the capacity, so
 * `(head - tail) >>> 0` is always the bytes in use and `counter & (capacity - 1)` the offset.
 * `head` and `tail` sit 64 bytes apart (one cache line each): each side writes only its own.
 *
 * A record is a 4-byte length, the payload, and 0-3 padding bytes, so every length prefix is
 * 4-aligned and never straddles the end of the ring, while a payload may: it is copied in two
 * pieces. No space is lost to wrap markers, and a record may take up to `capacity - 4` bytes. A
 * longer one is refused with {@link RingRecordTooLargeError}; callers split it (see
 * ts/stream/worker/shard-message.ts).
 *
 * Ordering: the producer writes the payload, then publishes it with an `Atomics.store` of `head`;
 * the consumer loads `head` with `Atomics.load` before reading the payload, and publishes the
 * space it freed with an `Atomics.store` of `tail`. Sequentially consistent atomics order the
 * plain byte copies on either side of them.
 *
 * Waiting: a side that must wait sets its `waiting` flag, re-reads the other side's counter, and
 * only then waits on it; the other side notifies only when that flag is set (and a producer may
 * defer that to once per many records: `tryWrite(record, false)` then `wake()`). With SC atomics one
 * of the two always sees the other's store, so no wake-up is lost and no notify is paid for when
 * nobody waits. The producer waits asynchronously (`write`, `Atomics.waitAsync`: the main thread
 * must never block); the consumer may block (`readBlocking`, `Atomics.wait`: a worker has nothing
 * else to do) or wait asynchronously (`read`).
 *
 * Ending: the producer `close()`s (the consumer drains what is left, then reads end); either side
 * may `abort()` (the other is gone: waits end, writes throw {@link RingClosedError}).
 */
import { RingCapacityError, RingClosedError, RingCorruptError, RingHandleError, RingRecordTooLargeError } from './errors.js';
import { waitForChange } from './shared-memory.js';

/** Header size in bytes (Int32 slots below). */
const HEADER_BYTES = 256;
const HEAD = 0;
const TAIL = 16;
const PRODUCER_WAITING = 32;
const CONSUMER_WAITING = 33;
const CLOSED = 34;
const ABORTED = 35;
const CAPACITY = 36;
const MAGIC = 37;
/** "WFRG": marks a buffer as a ring, so attach refuses arbitrary shared memory. */
const MAGIC_VALUE = 0x47524657;

/** Smallest and largest capacities: 16 bytes (tests of wrap-around), 1 GiB. */
export const MIN_RING_CAPACITY = 16;
export const MAX_RING_CAPACITY = 1 << 30;

/** How long one asynchronous wait lasts before the condition is checked again (ms). */
const WAIT_SLICE_MS = 100;

/**
 * How long one blocking wait lasts before the condition is checked again (ms). `close()` and
 * `abort()` change no counter, so their notify reaches only a side already asleep: one that
 * checked `ended` just before the close and went to sleep just after would sleep on an unchanged
 * counter for good (a worker hung this way once in CI, under load). Waking now and then bounds
 * that to one slice; records and room still wake a sleeper at once through the counters.
 */
const BLOCKING_SLICE_MS = 50;

/** A record's payload: one byte array, or several written back to back as one record. */
export type RingRecord = Uint8Array | readonly Uint8Array[];

/** Bytes a record of `payloadBytes` takes in a ring: length prefix, payload, padding to 4. */
export function ringRecordBytes(payloadBytes: number): number {
  return 4 + ((payloadBytes + 3) & ~3);
}

function payloadLength(record: RingRecord): number {
  if (record instanceof Uint8Array) return record.length;
  let length = 0;
  for (const part of record) length += part.length;
  return length;
}

/** Counters of one side of a ring (per EventRing object). */
export interface RingStats {
  /** Records written (producer) or read (consumer) through this object. */
  records: number;
  /** Writes that found the ring full and had to wait (producer). */
  fullWaits: number;
}

export class EventRing {
  /** The shared memory: post it to the other thread and {@link attach} it there. */
  readonly buffer: SharedArrayBuffer;
  /** Data bytes (a power of two). */
  readonly capacity: number;
  /** The longest payload a record may have: `capacity - 4`. */
  readonly maxRecordBytes: number;
  readonly stats: RingStats = { records: 0, fullWaits: 0 };
  readonly #control: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #words: Int32Array;
  readonly #mask: number;
  /** The producer's write waiting for room, if any (see {@link nudge}). */
  #pendingWrite: { readonly need: number; readonly resume: () => void } | undefined;

  private constructor(buffer: SharedArrayBuffer, capacity: number) {
    this.buffer = buffer;
    this.capacity = capacity;
    this.maxRecordBytes = capacity - 4;
    this.#mask = capacity - 1;
    this.#control = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.#bytes = new Uint8Array(buffer, HEADER_BYTES, capacity);
    this.#words = new Int32Array(buffer, HEADER_BYTES, capacity / 4);
  }

  /**
   * A new, empty ring of `capacity` data bytes.
   * @throws RingCapacityError unless `capacity` is a power of two in [16, 2^30].
   */
  static create(capacity: number): EventRing {
    if (
      !Number.isSafeInteger(capacity) ||
      capacity < MIN_RING_CAPACITY ||
      capacity > MAX_RING_CAPACITY ||
      (capacity & (capacity - 1)) !== 0
    ) {
      throw new RingCapacityError(
        `ring capacity must be a power of two from ${MIN_RING_CAPACITY} to ${MAX_RING_CAPACITY} bytes, got ${String(capacity)}`,
      );
    }
    const buffer = new SharedArrayBuffer(HEADER_BYTES + capacity);
    const control = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    control[CAPACITY] = capacity;
    control[MAGIC] = MAGIC_VALUE;
    return new EventRing(buffer, capacity);
  }

  /**
   * The ring held by `buffer` (another thread's {@link buffer}).
   * @throws RingHandleError when `buffer` is not a ring's.
   */
  static attach(buffer: SharedArrayBuffer): EventRing {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < HEADER_BYTES + MIN_RING_CAPACITY) {
      throw new RingHandleError('EventRing.attach: expected the SharedArrayBuffer of a ring');
    }
    const control = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    const capacity = Atomics.load(control, CAPACITY);
    if (Atomics.load(control, MAGIC) !== MAGIC_VALUE || capacity !== buffer.byteLength - HEADER_BYTES) {
      throw new RingHandleError('EventRing.attach: the buffer does not hold a ring (bad header)');
    }
    return new EventRing(buffer, capacity);
  }

  /** Bytes written and not yet read (records with their prefixes and padding). */
  usedBytes(): number {
    return (Atomics.load(this.#control, HEAD) - Atomics.load(this.#control, TAIL)) >>> 0;
  }

  /** Bytes free right now (they only grow until the producer writes again). */
  freeBytes(): number {
    return this.capacity - this.usedBytes();
  }

  /** Whether records totalling `bytes` (as {@link ringRecordBytes} counts) fit now. */
  fits(bytes: number): boolean {
    return bytes <= this.freeBytes();
  }

  /** The producer closed the ring: no more records will come. */
  get closed(): boolean {
    return Atomics.load(this.#control, CLOSED) !== 0;
  }

  /** One side gave up on the ring. */
  get aborted(): boolean {
    return Atomics.load(this.#control, ABORTED) !== 0;
  }

  // ---------------------------------------------------------------- producer

  /**
   * Writes one record if it fits now; returns false (writing nothing) when the ring is too full.
   * `wake: false` leaves a sleeping reader asleep: the caller wakes it later with {@link wake}, once
   * for many records (a wake-up costs a futex call and a thread switch, far more than a record).
   * @throws RingRecordTooLargeError when the record can never fit; RingClosedError after close or abort.
   */
  tryWrite(record: RingRecord, wake = true): boolean {
    const length = payloadLength(record);
    if (length > this.maxRecordBytes) throw new RingRecordTooLargeError(length, this.maxRecordBytes);
    const control = this.#control;
    if (Atomics.load(control, ABORTED) !== 0) throw new RingClosedError('the ring was aborted (its reader is gone)');
    if (Atomics.load(control, CLOSED) !== 0) throw new RingClosedError('the ring was closed by its writer');
    const need = ringRecordBytes(length);
    const head = Atomics.load(control, HEAD);
    if (this.capacity - ((head - Atomics.load(control, TAIL)) >>> 0) < need) return false;
    const mask = this.#mask;
    let at = head & mask;
    this.#words[at >> 2] = length;
    at = (at + 4) & mask;
    if (record instanceof Uint8Array) at = this.#copyIn(record, at);
    else for (const part of record) at = this.#copyIn(part, at);
    Atomics.store(control, HEAD, (head + need) | 0);
    if (wake && Atomics.load(control, CONSUMER_WAITING) !== 0) Atomics.notify(control, HEAD);
    this.stats.records++;
    return true;
  }

  /** Wakes the reader if it sleeps (after writes made with `wake: false`). */
  wake(): void {
    if (Atomics.load(this.#control, CONSUMER_WAITING) !== 0) Atomics.notify(this.#control, HEAD);
  }

  /**
   * Writes one record, waiting (asynchronously, never blocking the thread) until the reader has
   * made room. Never drops the record: it resolves once it is in the ring.
   * @throws RingRecordTooLargeError; RingClosedError when the ring is closed or aborted meanwhile.
   */
  async write(record: RingRecord): Promise<void> {
    if (this.tryWrite(record)) return;
    this.stats.fullWaits++;
    const control = this.#control;
    const need = ringRecordBytes(payloadLength(record));
    for (;;) {
      Atomics.store(control, PRODUCER_WAITING, 1);
      const tail = Atomics.load(control, TAIL);
      const room = this.capacity - ((Atomics.load(control, HEAD) - tail) >>> 0) >= need;
      if (!room && Atomics.load(control, ABORTED) === 0) {
        await new Promise<void>((resolve) => {
          this.#pendingWrite = { need, resume: resolve };
          waitForChange(control, TAIL, tail, WAIT_SLICE_MS).then(resolve);
        });
        this.#pendingWrite = undefined;
      }
      Atomics.store(control, PRODUCER_WAITING, 0);
      if (this.tryWrite(record)) return;
    }
  }

  /**
   * Lets a pending {@link write} go on now if its record fits. The wait's own wake-up is a task of
   * the event loop; a producer thread that runs long stretches of microtasks (a primary on a
   * memory log never yields) would not see it until it stops, so it calls this from that work.
   */
  nudge(): void {
    const pending = this.#pendingWrite;
    if (pending === undefined || !this.fits(pending.need)) return;
    this.#pendingWrite = undefined;
    pending.resume();
  }

  /**
   * Writes one record from a thread that may block (a worker): like {@link write}, with `Atomics.wait`.
   * @returns false when `timeoutMs` passed first (nothing written).
   */
  writeBlocking(record: RingRecord, timeoutMs = Number.POSITIVE_INFINITY): boolean {
    const deadline = Date.now() + timeoutMs;
    const control = this.#control;
    const need = ringRecordBytes(payloadLength(record));
    for (;;) {
      if (this.tryWrite(record)) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      Atomics.store(control, PRODUCER_WAITING, 1);
      const tail = Atomics.load(control, TAIL);
      if (this.capacity - ((Atomics.load(control, HEAD) - tail) >>> 0) < need && Atomics.load(control, ABORTED) === 0) {
        Atomics.wait(control, TAIL, tail, Math.min(left, BLOCKING_SLICE_MS));
      }
      Atomics.store(control, PRODUCER_WAITING, 0);
    }
  }

  /** Producer: no more records. The reader drains what is there, then reads the end. */
  close(): void {
    Atomics.store(this.#control, CLOSED, 1);
    Atomics.notify(this.#control, HEAD);
  }

  /** Either side: the other side is gone. Waits end; later writes throw RingClosedError. */
  abort(): void {
    Atomics.store(this.#control, ABORTED, 1);
    Atomics.notify(this.#control, HEAD);
    Atomics.notify(this.#control, TAIL);
  }

  // ---------------------------------------------------------------- consumer

  /**
   * The next record (a fresh copy), or undefined when none is there now.
   * @throws RingCorruptError when the length prefix points past what was written.
   */
  tryRead(): Uint8Array | undefined {
    const control = this.#control;
    const tail = Atomics.load(control, TAIL);
    const used = (Atomics.load(control, HEAD) - tail) >>> 0;
    if (used === 0) return undefined;
    const mask = this.#mask;
    let at = tail & mask;
    const length = this.#words[at >> 2]! >>> 0;
    if (ringRecordBytes(length) > used) {
      throw new RingCorruptError(`ring record at byte ${at} claims ${length} bytes but only ${used - 4} were written`);
    }
    at = (at + 4) & mask;
    const out = new Uint8Array(length);
    const first = Math.min(length, this.capacity - at);
    out.set(this.#bytes.subarray(at, at + first));
    if (first < length) out.set(this.#bytes.subarray(0, length - first), first);
    Atomics.store(control, TAIL, (tail + ringRecordBytes(length)) | 0);
    if (Atomics.load(control, PRODUCER_WAITING) !== 0) Atomics.notify(control, TAIL);
    this.stats.records++;
    return out;
  }

  /** True when the producer closed (or a side aborted) and every record has been read. */
  get ended(): boolean {
    const control = this.#control;
    if (Atomics.load(control, ABORTED) !== 0) return true;
    return Atomics.load(control, CLOSED) !== 0 && Atomics.load(control, HEAD) === Atomics.load(control, TAIL);
  }

  /**
   * The next record, blocking the thread until there is one (workers only: the main thread may
   * not block). Undefined at the end ({@link ended}) or when `timeoutMs` passed first.
   *
   * `napMs`: before asking the writer for a wake-up, nap in 1 ms steps for up to this long, checking
   * for records in between. A writer that keeps writing then never pays for a wake-up (a futex call
   * and a thread switch per wake, measured as a large share of a busy writer's time); the cost is up
   * to 1 ms of latency while the reader naps.
   */
  readBlocking(timeoutMs = Number.POSITIVE_INFINITY, napMs = 0): Uint8Array | undefined {
    const deadline = Date.now() + timeoutMs;
    const control = this.#control;
    const napUntil = Date.now() + napMs;
    for (;;) {
      const record = this.tryRead();
      if (record !== undefined) return record;
      if (this.ended) return undefined;
      const now = Date.now();
      const left = deadline - now;
      if (left <= 0) return undefined;
      if (now < napUntil) {
        // Nobody wakes a napping reader: it looks again after 1 ms.
        Atomics.wait(control, HEAD, Atomics.load(control, HEAD), Math.min(1, left));
        continue;
      }
      Atomics.store(control, CONSUMER_WAITING, 1);
      // Wait on the very head compared: a write after the comparison makes the wait return at once.
      const head = Atomics.load(control, HEAD);
      if (head === Atomics.load(control, TAIL) && !this.ended)
        Atomics.wait(control, HEAD, head, Math.min(left, BLOCKING_SLICE_MS));
      Atomics.store(control, CONSUMER_WAITING, 0);
    }
  }

  /** The next record, waiting asynchronously; undefined at the end ({@link ended}). */
  async read(): Promise<Uint8Array | undefined> {
    const control = this.#control;
    for (;;) {
      const record = this.tryRead();
      if (record !== undefined) return record;
      if (this.ended) return undefined;
      Atomics.store(control, CONSUMER_WAITING, 1);
      const head = Atomics.load(control, HEAD);
      if (head === Atomics.load(control, TAIL) && !this.ended) await waitForChange(control, HEAD, head, WAIT_SLICE_MS);
      Atomics.store(control, CONSUMER_WAITING, 0);
    }
  }

  /** Copies `part` into the ring at offset `at` (wrapping), returns the offset after it. */
  #copyIn(part: Uint8Array, at: number): number {
    const first = Math.min(part.length, this.capacity - at);
    this.#bytes.set(first === part.length ? part : part.subarray(0, first), at);
    if (first < part.length) this.#bytes.set(part.subarray(first), 0);
    return (at + part.length) & this.#mask;
  }
}
