/**
 * What one ring record carries from the main thread to a shard worker.
 *
 * A message is a batch of one shard's events as FlatBuffers `Event` buffers (schemas/event.fbs,
 * what the SQLite log stores), written back to back by the log's own `EventWriter`, and decoded
 * one by one in the worker (without the verifier walk there: see ShardMessageReaderOptions). Not one `EventBatch` built by the generated builder:
 * encoding is the one cost the primary's thread pays per event for the worker mirror, and the
 * EventWriter measured 0.57 us per event against 1.39 us for `encodeEventBatch` (best of 7 runs,
 * the demo's order events, 2 vCPU). A small header precedes the events:
 *
 *   i32 kind = 1 | i32 n | i32 row x n | i32 start x n | i32 end x n | padding to 8 | events
 *
 * `row` is the matrix row the main thread's Fleet assigned to the event's instance (taken from the
 * ONE row index the primary uses, so the worker writes the row the primary's matrix has), or -1
 * where the worker needs none (every event but a WorkflowStarted). `start` and `end` delimit each
 * event in the events part; starts are 8-aligned there and the header is padded to 8, so every
 * double in every event is 8-aligned in the record.
 *
 * A message longer than the ring's largest record travels as fragments (kind 2: not last, kind 3:
 * last), each a record of its own; the worker joins them. Fragments are written by one producer
 * in order and nothing else is written between them (see shard-feeder.ts), so they need no ids.
 * Integers are in the platform's byte order: both ends are threads of one process.
 */
import { decodeEvent, decodeTrustedEvent } from '../../history/event-codec.js';
import { EventWriter } from '../../history/event-writer.js';
import type { HistoryEvent } from '../../history/events.js';
import { SerializationError } from '../../serialization/errors.js';
import type { RingRecord } from '../ring/event-ring.js';
import { ringRecordBytes } from '../ring/event-ring.js';
import { CorruptShardMessageError } from './errors.js';
import type { EncodedSources } from './gathered-events.js';

const KIND_EVENTS = 1;
const KIND_FRAGMENT = 2;
const KIND_LAST_FRAGMENT = 3;
const FRAGMENT_HEADER_BYTES = 4;

/** A decoded message: the events, and the row each event's instance has (-1: none given). */
export interface ShardBatch {
  readonly events: HistoryEvent[];
  readonly rows: Int32Array;
}

/** The shared row of an event's instance, or -1 when the worker needs none. */
export type RowOf = (event: HistoryEvent) => number;

/** Fragment kinds as the 4-byte headers they are written as. */
const FRAGMENT_KIND = new Uint8Array(new Int32Array([KIND_FRAGMENT]).buffer);
const LAST_FRAGMENT_KIND = new Uint8Array(new Int32Array([KIND_LAST_FRAGMENT]).buffer);

/**
 * Encodes messages on the main thread, reusing its memory from one message to the next: this runs
 * in the primary's turn for every batch, so it allocates no typed array of its own per message (a
 * small typed array whose buffer is taken costs a backing store, measured at microseconds).
 */
export class ShardMessageWriter {
  readonly #events = new EventWriter();
  #header = new Int32Array(256);
  #headerBytes = new Uint8Array(this.#header.buffer);
  /** The records of the last message; valid until the next {@link encode}. */
  records: RingRecord[] = [];
  /** Ring bytes the last message's records take together (the free space needed to write them at once). */
  ringBytes = 0;
  /** Events of the last message whose bytes were copied from the log's encoding rather than encoded here. */
  copied = 0;

  /**
   * Encodes `events` (from index `from` on) as the records of one message for a ring whose largest
   * record is `maxRecordBytes`, into {@link records} and {@link ringBytes}. Where `sources` gives an
   * event's encoding by the log, those bytes are copied instead of encoding it again. The records
   * point into this writer's memory: write them before the next encode.
   * @throws TypeError (from the EventWriter) for a payload that is not JSON; events from a log always are.
   */
  encode(events: readonly HistoryEvent[], rowOf: RowOf, maxRecordBytes: number, from = 0, sources?: EncodedSources): void {
    const n = events.length - from;
    const words = headerWords(n);
    if (words > this.#header.length) {
      this.#header = new Int32Array(Math.max(words, this.#header.length * 2));
      this.#headerBytes = new Uint8Array(this.#header.buffer);
    }
    const header = this.#header;
    header[0] = KIND_EVENTS;
    header[1] = n;
    const writer = this.#events;
    writer.reset();
    let copied = 0;
    for (let i = 0; i < n; i++) {
      const event = events[from + i]!;
      header[2 + i] = rowOf(event);
      const encoded = sources?.encoded[from + i];
      if (encoded === undefined) {
        header[2 + n + i] = writer.write(event);
      } else {
        const at = sources!.index[from + i]!;
        header[2 + n + i] = writer.append(encoded.bytes, encoded.start(at), encoded.end(at));
        copied++;
      }
      header[2 + 2 * n + i] = writer.length;
    }
    this.copied = copied;
    if (words > 2 + 3 * n) header[words - 1] = 0;
    const headerBytes = this.#headerBytes.subarray(0, words * 4);
    const body = writer.bytes;
    const length = headerBytes.length + body.length;
    if (length <= maxRecordBytes) {
      this.records = [[headerBytes, body]];
      this.ringBytes = ringRecordBytes(length);
    } else {
      this.#fragment(headerBytes, body, length, maxRecordBytes);
    }
  }

  /** Splits a message into fragment records (a copy: the fragments outlive nothing here). */
  #fragment(header: Uint8Array, body: Uint8Array, length: number, maxRecordBytes: number): void {
    const chunk = maxRecordBytes - FRAGMENT_HEADER_BYTES;
    if (chunk < 1) throw new CorruptShardMessageError(`a ring of ${maxRecordBytes}-byte records cannot carry fragments`);
    const whole = new Uint8Array(length);
    whole.set(header, 0);
    whole.set(body, header.length);
    const records: RingRecord[] = [];
    let ringBytes = 0;
    for (let start = 0; start < length; start += chunk) {
      const end = Math.min(length, start + chunk);
      records.push([end === length ? LAST_FRAGMENT_KIND : FRAGMENT_KIND, whole.subarray(start, end)]);
      ringBytes += ringRecordBytes(FRAGMENT_HEADER_BYTES + end - start);
    }
    this.records = records;
    this.ringBytes = ringBytes;
  }
}

/** Int32 words of the header of a message of `n` events: kind, n, three per event, rounded up to 8 bytes. */
function headerWords(n: number): number {
  return (2 + 3 * n + 1) & ~1;
}

/** Options of {@link ShardMessageReader}. */
export interface ShardMessageReaderOptions {
  /**
   * Decode events without the FlatBuffers verifier walk (default false). For a worker reading the
   * ring its own process's main thread wrote with a ShardMessageWriter: the walk would check our
   * own writer at about a third of the worker's decoding cost. A decoding error then still
   * surfaces as a CorruptShardMessageError, but damaged bytes that happen to decode are not caught.
   */
  readonly trusted?: boolean;
}

/** Joins fragments and decodes messages, record by record (the worker's side). */
export class ShardMessageReader {
  #fragments: Uint8Array[] = [];
  #fragmentBytes = 0;
  readonly #decode: (bytes: Uint8Array) => HistoryEvent;

  constructor(options: ShardMessageReaderOptions = {}) {
    this.#decode = options.trusted === true ? decodeTrusted : decodeEvent;
  }

  /**
   * Takes the next ring record; returns the message it completes, or undefined (a fragment).
   * @throws CorruptShardMessageError for a record that is no message; a SerializationError subclass
   *   for an event that does not verify.
   */
  push(record: Uint8Array): ShardBatch | undefined {
    const kind = readInt32(record, 0, 'kind');
    if (kind === KIND_EVENTS) {
      if (this.#fragments.length > 0) throw new CorruptShardMessageError('a message arrived between the fragments of another');
      return decodeEvents(record, this.#decode);
    }
    if (kind !== KIND_FRAGMENT && kind !== KIND_LAST_FRAGMENT) throw new CorruptShardMessageError(`unknown record kind ${kind}`);
    this.#fragments.push(record.subarray(FRAGMENT_HEADER_BYTES));
    this.#fragmentBytes += record.length - FRAGMENT_HEADER_BYTES;
    if (kind === KIND_FRAGMENT) return undefined;
    const whole = new Uint8Array(this.#fragmentBytes);
    let at = 0;
    for (const part of this.#fragments) {
      whole.set(part, at);
      at += part.length;
    }
    this.#fragments = [];
    this.#fragmentBytes = 0;
    if (readInt32(whole, 0, 'kind') !== KIND_EVENTS) throw new CorruptShardMessageError('fragments did not join into a message');
    return decodeEvents(whole, this.#decode);
  }
}

function decodeEvents(message: Uint8Array, decode: (bytes: Uint8Array) => HistoryEvent): ShardBatch {
  const n = readInt32(message, 4, 'eventCount');
  const bodyStart = headerWords(n) * 4;
  if (n < 0 || bodyStart > message.length) {
    throw new CorruptShardMessageError(`a message of ${message.length} bytes cannot hold a header for ${n} events`);
  }
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const body = message.subarray(bodyStart);
  const rows = new Int32Array(n);
  const events: HistoryEvent[] = new Array(n);
  let previousEnd = 0;
  for (let i = 0; i < n; i++) {
    rows[i] = view.getInt32(8 + i * 4, LITTLE_ENDIAN);
    const start = view.getInt32(8 + (n + i) * 4, LITTLE_ENDIAN);
    const end = view.getInt32(8 + (2 * n + i) * 4, LITTLE_ENDIAN);
    if (start < previousEnd || end < start || end > body.length) {
      throw new CorruptShardMessageError(`event ${i} of a message lies outside it (bytes ${start}..${end} of ${body.length})`);
    }
    events[i] = decode(body.subarray(start, end));
    previousEnd = end;
  }
  return { events, rows };
}

/** {@link decodeTrustedEvent}, with whatever it throws on damaged bytes made a typed error. */
function decodeTrusted(bytes: Uint8Array): HistoryEvent {
  try {
    return decodeTrustedEvent(bytes);
  } catch (error) {
    if (error instanceof SerializationError) throw error;
    throw new CorruptShardMessageError(`an event of a message does not decode: ${String(error)}`, { cause: error });
  }
}

/** The platform's byte order, which Int32Array headers were written in. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function readInt32(bytes: Uint8Array, at: number, what: string): number {
  if (bytes.length < at + 4) throw new CorruptShardMessageError(`a record of ${bytes.length} bytes has no ${what}`);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(at, LITTLE_ENDIAN);
}
