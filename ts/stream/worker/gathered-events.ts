/**
 * Events gathered on the main thread for one message to a shard worker, each with the log's own
 * encoding of it where the log had one (the SQLite log encodes every batch once for storage and
 * hands those bytes to its listeners). The message writer copies such bytes instead of encoding the
 * event again: that encoding was the larger part of what feeding the worker costs the primary.
 * Three parallel arrays rather than an object per event: this runs for every event the primary
 * appends.
 */
import type { EncodedEvents } from '../../history/event-log.js';
import type { HistoryEvent } from '../../history/events.js';

/** Per event of a list, the batch encoding it came with (or undefined) and its index there. */
export interface EncodedSources {
  readonly encoded: readonly (EncodedEvents | undefined)[];
  readonly index: readonly number[];
}

export class GatheredEvents implements EncodedSources {
  readonly events: HistoryEvent[] = [];
  readonly encoded: (EncodedEvents | undefined)[] = [];
  readonly index: number[] = [];

  get length(): number {
    return this.events.length;
  }

  /** Adds a delivered batch, with its encoding when the log gave one. */
  addBatch(events: readonly HistoryEvent[], encoded: EncodedEvents | undefined): void {
    for (let i = 0; i < events.length; i++) this.add(events[i]!, encoded, i);
  }

  /** Adds one event: event `index` of a batch encoded as `encoded` (if it was). */
  add(event: HistoryEvent, encoded: EncodedEvents | undefined, index: number): void {
    this.events.push(event);
    this.encoded.push(encoded);
    this.index.push(index);
  }

  /** Empties the lists, keeping their arrays. */
  clear(): void {
    this.events.length = 0;
    this.encoded.length = 0;
    this.index.length = 0;
  }
}
