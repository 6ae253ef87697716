/**
 * Feeds one shard's ring on the main thread: live from the log's subscription while the ring has
 * room, from the durable log when it has not.
 *
 * Back-pressure without blocking and without dropping: the subscription callback runs in the
 * primary's turn and must not wait, so when a batch does not fit the ring the feeder SPILLS: it
 * stops writing live, remembers the log position up to which the shard has been sent
 * (`sentThrough`), and a catch-up loop reads the log from there (`log.readRange`, in chunks),
 * keeps this shard's events and writes them, awaiting room in the ring (`EventRing.write`). The
 * primary's thread is never held; memory stays bounded (a position, not a queue); and the events
 * are not lost, since everything the subscription delivers is durable in the log already.
 *
 * Going live again without a gap or a loss: while spilling, the feeder records the highest
 * position delivered live (`seenThrough`). The catch-up loop switches back to live, in the same
 * turn as it checks, only once it has sent everything up to that position: every later event
 * arrives through the subscription. Live batches skip events at or below `sentThrough`, so what
 * the catch-up loop read ahead of the subscription is not sent twice (the mirror would ignore a
 * duplicate by seq anyway).
 *
 * The same loop starts a shard (from position 0: a new worker's mirror replays the log) and
 * restarts one after its worker died.
 */
import { performance } from 'node:perf_hooks';
import type { EventLog } from '../../history/event-log.js';
import type { HistoryEvent } from '../../history/events.js';
import type { EventRing } from '../ring/event-ring.js';
import type { EncodedSources } from './gathered-events.js';
import { type RowOf, ShardMessageWriter } from './shard-message.js';

/** Options of {@link ShardFeeder}. */
export interface ShardFeederOptions {
  readonly log: EventLog;
  readonly ring: EventRing;
  /** Whether an instance belongs to this shard. */
  readonly owns: (workflowId: string) => boolean;
  /** The shared row of an event's instance (-1 where none is needed); see shard-message.ts. */
  readonly rowOf: RowOf;
  /** Events per readRange call while catching up. */
  readonly catchUpChunk: number;
  /** The catch-up loop failed (the log could not be read, the ring was aborted). */
  readonly onError: (error: unknown) => void;
}

/** Pause before reading again when the log does not yet show events the subscription delivered (ms). */
const RETRY_DELAY_MS = 2;

export class ShardFeeder {
  /** Messages written whole (wrapping like the worker's count, see shard-status.ts). */
  messagesWritten = 0;
  /** Events written to the ring. */
  eventsSent = 0;
  /** Of those, events sent live whose bytes were the log's own encoding (copied, not encoded again). */
  eventsCopied = 0;
  /** Times a live batch did not fit and the feeder fell back to the log. */
  spills = 0;
  /** Main-thread time spent preparing and writing catch-up messages (ms; waits excluded). */
  catchUpMs = 0;
  /** Why the catch-up loop stopped, when it failed: the shard stays behind until it is restarted. */
  failure: unknown;
  #sentThrough: number;
  #seenThrough: number;
  #spilling = true;
  #stopped = false;
  #catchUp: Promise<void>;
  /** One writer per path: the catch-up loop's records point into its writer across its awaits. */
  readonly #liveWriter = new ShardMessageWriter();
  readonly #catchUpWriter = new ShardMessageWriter();

  /**
   * Starts catching up from log position `startAfter` (0: the whole log); `seenThrough` is the
   * highest position the subscription has delivered so far.
   */
  constructor(
    private readonly options: ShardFeederOptions,
    startAfter: number,
    seenThrough: number,
  ) {
    this.#sentThrough = startAfter;
    this.#seenThrough = seenThrough;
    this.#catchUp = this.#runCatchUp();
  }

  /** True while the shard is fed from the log rather than live. */
  get spilling(): boolean {
    return this.#spilling;
  }

  /** Every event of this shard up to this log position has been written to the ring. */
  get sentThrough(): number {
    return this.#sentThrough;
  }

  /** Resolves when the current catch-up loop has ended (caught up, stopped, or failed). */
  whenLive(): Promise<void> {
    return this.#catchUp;
  }

  /**
   * One batch from the subscription: `events` are this shard's events of it (possibly none), in
   * pos order, `lastPos` the batch's highest position, `sources` the log's encoding of the events
   * where it has one. Never waits, never throws for a full ring.
   */
  offer(events: readonly HistoryEvent[], lastPos: number, sources?: EncodedSources): void {
    if (this.#stopped) return;
    if (this.#spilling) {
      if (lastPos > this.#seenThrough) this.#seenThrough = lastPos;
      // The catch-up loop may be waiting for room the worker has made since.
      this.options.ring.nudge();
      return;
    }
    const from = this.#firstUnsent(events);
    if (from < events.length) {
      const ring = this.options.ring;
      const message = this.#liveWriter;
      message.encode(events, this.options.rowOf, ring.maxRecordBytes, from, sources);
      if (!ring.fits(message.ringBytes)) {
        this.spills++;
        this.#spilling = true;
        this.#seenThrough = Math.max(this.#seenThrough, lastPos);
        this.#catchUp = this.#runCatchUp();
        return;
      }
      // Only this thread writes the ring, and free space only grows meanwhile: every record fits.
      for (const record of message.records) ring.tryWrite(record, false);
      // Once per offer (WorkerMirror gathers a turn's batches, or 512 events, into one), and only
      // a futex call when the worker has stopped napping and sleeps: a primary that never yields
      // to the event loop must still wake it.
      ring.wake();
      this.messagesWritten = (this.messagesWritten + 1) | 0;
      this.eventsSent += events.length - from;
      this.eventsCopied += message.copied;
    }
    if (lastPos > this.#sentThrough) this.#sentThrough = lastPos;
    if (lastPos > this.#seenThrough) this.#seenThrough = lastPos;
  }

  /** Stops feeding (the worker is gone, or the mirror closes): the catch-up loop ends at its next step. */
  stop(): void {
    this.#stopped = true;
  }

  /** The index of the first event not sent yet (the catch-up loop may have read ahead of the subscription). */
  #firstUnsent(events: readonly HistoryEvent[]): number {
    const sent = this.#sentThrough;
    let i = 0;
    while (i < events.length && events[i]!.pos <= sent) i++;
    return i;
  }

  async #runCatchUp(): Promise<void> {
    const { log, ring, owns, catchUpChunk } = this.options;
    try {
      while (!this.#stopped) {
        const events = await log.readRange(this.#sentThrough, catchUpChunk);
        if (this.#stopped) return;
        if (events.length > 0) {
          await this.#send(events, owns, ring);
          continue;
        }
        // The log has nothing after sentThrough. Only an empty read may end the loop: events
        // appended before the subscription began are never delivered live, so "sent all that was
        // delivered" alone would leave them out.
        if (this.#sentThrough >= this.#seenThrough) {
          // Everything delivered so far is in the ring; later batches come live (same turn as the check).
          this.#spilling = false;
          return;
        }
        // Delivered but not readable yet (a log whose reads trail its notifications): try again.
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      }
    } catch (error) {
      if (this.#stopped) return;
      this.failure = error;
      this.options.onError(error);
    }
  }

  /** Writes this shard's part of `events` (a chunk of the log), awaiting room; advances sentThrough. */
  async #send(events: readonly HistoryEvent[], owns: ShardFeederOptions['owns'], ring: EventRing): Promise<void> {
    let started = performance.now();
    const mine = events.filter((event) => owns(event.workflowId));
    if (mine.length > 0) {
      const message = this.#catchUpWriter;
      message.encode(mine, this.options.rowOf, ring.maxRecordBytes);
      for (const record of message.records) {
        const written = ring.write(record);
        this.catchUpMs += performance.now() - started;
        await written;
        if (this.#stopped) return;
        started = performance.now();
      }
      this.messagesWritten = (this.messagesWritten + 1) | 0;
      this.eventsSent += mine.length;
    }
    this.catchUpMs += performance.now() - started;
    this.#sentThrough = events[events.length - 1]!.pos;
  }
}
