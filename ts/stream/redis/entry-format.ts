/**
 * What one stream entry holds. Events: a small text header and one FlatBuffers EventBatch
 *
 *   v=1  src=<primary node>  first=<pos>  last=<pos>  n=<events>  b=<EventBatch bytes>
 *
 * The header is kept outside the batch so that an entry whose payload is damaged still says where
 * its events are in the source's durable log (`first`..`last`): the mirror re-reads them from
 * there and the entry goes to the dead letters. Deltas: `v src gen full n d0 d1 ...` with one
 * FlatBuffers Delta per workflow type.
 *
 * Decoding trusts nothing: every header field is checked, the payload is verified by the codecs
 * (SerializationError on damage), and each event must lie in the header's range and belong to the
 * stream's shard. Any problem is a CorruptStreamEntryError whose cause is the codec's error.
 */
import { decodeEventBatch, encodeEventBatch } from '../../history/event-codec.js';
import type { HistoryEvent } from '../../history/events.js';
import { SerializationError } from '../../serialization/errors.js';
import type { MatrixDelta } from '../../state/delta.js';
import { decodeDelta, encodeDelta } from '../../state/delta-codec.js';
import { type DeltaMessage, type InboundDeltas, type InboundEvents, shardOf } from '../transport.js';
import { CorruptStreamEntryError } from './errors.js';

/** The format version written in field `v`. */
export const ENTRY_FORMAT = '1';

/** Field/value pairs as XADD takes them. */
export type EntryFields = (string | Buffer)[];

/** The fields of an events entry. `events` must be in pos order. */
export function eventEntryFields(source: string, events: readonly HistoryEvent[]): EntryFields {
  const bytes = encodeEventBatch(events);
  return [
    'v',
    ENTRY_FORMAT,
    'src',
    source,
    'first',
    String(events[0]!.pos),
    'last',
    String(events[events.length - 1]!.pos),
    'n',
    String(events.length),
    'b',
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  ];
}

/** The fields of a delta entry. */
export function deltaEntryFields(source: string, message: DeltaMessage): EntryFields {
  const fields: EntryFields = [
    'v',
    ENTRY_FORMAT,
    'src',
    source,
    'gen',
    message.generation,
    'full',
    message.full ? '1' : '0',
    'n',
    String(message.deltas.length),
  ];
  message.deltas.forEach((delta, i) => {
    const bytes = encodeDelta(delta);
    fields.push(`d${i}`, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
  return fields;
}

/** Where an entry is, for error messages and dead letters. */
export interface EntryAddress {
  readonly stream: string;
  readonly entryId: string;
  readonly shard: number;
  /** The deployment's shard count (events are checked to belong to `shard`). */
  readonly shards: number;
}

/** The header of an events entry, as far as it could be read (for re-reading a damaged entry's events). */
export interface EventEntryHeader {
  readonly source?: string;
  readonly firstPos?: number;
  readonly lastPos?: number;
}

/** Field name -> value, from the flat list Redis returns; a repeated name is a corrupt entry. */
function fieldMap(at: EntryAddress, raw: readonly Buffer[]): Map<string, Buffer> {
  if (raw.length % 2 !== 0) throw corrupt(at, `has an odd number of field items (${raw.length})`);
  const map = new Map<string, Buffer>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    if (map.has(name)) throw corrupt(at, `repeats field ${JSON.stringify(name)}`);
    map.set(name, raw[i + 1]!);
  }
  return map;
}

function corrupt(at: EntryAddress, problem: string, cause?: unknown): CorruptStreamEntryError {
  return new CorruptStreamEntryError(at.stream, at.entryId, problem, cause === undefined ? undefined : { cause });
}

function text(at: EntryAddress, map: Map<string, Buffer>, name: string): string {
  const value = map.get(name);
  if (value === undefined) throw corrupt(at, `has no field ${name}`);
  const s = value.toString('utf8');
  if (s.length === 0) throw corrupt(at, `field ${name} is empty`);
  return s;
}

function count(at: EntryAddress, map: Map<string, Buffer>, name: string, min: number): number {
  const s = text(at, map, name);
  const n = /^\d{1,16}$/.test(s) ? Number(s) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) throw corrupt(at, `field ${name} is not an integer >= ${min}: ${JSON.stringify(s)}`);
  return n;
}

function checkVersion(at: EntryAddress, map: Map<string, Buffer>): void {
  const v = text(at, map, 'v');
  if (v !== ENTRY_FORMAT) throw corrupt(at, `has format version ${JSON.stringify(v)}, this build reads ${ENTRY_FORMAT}`);
}

/** Reads what it can of an events entry's header; never throws. */
export function readEventEntryHeader(raw: readonly Buffer[]): EventEntryHeader {
  const header: { source?: string; firstPos?: number; lastPos?: number } = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const value = raw[i + 1]!.toString('utf8');
    if (name === 'src' && value.length > 0) header.source = value;
    else if ((name === 'first' || name === 'last') && /^\d{1,16}$/.test(value)) {
      const n = Number(value);
      if (Number.isSafeInteger(n) && n >= 1) header[name === 'first' ? 'firstPos' : 'lastPos'] = n;
    }
  }
  return header;
}

/** Decodes an events entry. @throws CorruptStreamEntryError */
export function decodeEventEntry(at: EntryAddress, raw: readonly Buffer[]): InboundEvents {
  const map = fieldMap(at, raw);
  checkVersion(at, map);
  const source = text(at, map, 'src');
  const firstPos = count(at, map, 'first', 1);
  const lastPos = count(at, map, 'last', firstPos);
  const n = count(at, map, 'n', 1);
  const bytes = map.get('b');
  if (bytes === undefined) throw corrupt(at, 'has no field b');
  let events: HistoryEvent[];
  try {
    events = decodeEventBatch(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    if (!(error instanceof SerializationError)) throw error;
    throw corrupt(at, `payload is no valid EventBatch: ${error.message}`, error);
  }
  if (events.length !== n) throw corrupt(at, `header says ${n} events, the batch holds ${events.length}`);
  for (const event of events) {
    if (event.pos < firstPos || event.pos > lastPos) {
      throw corrupt(at, `event at pos ${event.pos} lies outside the header's range ${firstPos}..${lastPos}`);
    }
    if (shardOf(event.workflowId, at.shards) !== at.shard) {
      throw corrupt(at, `event of ${JSON.stringify(event.workflowId)} belongs to shard ${shardOf(event.workflowId, at.shards)}`);
    }
  }
  return { shard: at.shard, source, firstPos, lastPos, events };
}

/** Decodes a delta entry. @throws CorruptStreamEntryError */
export function decodeDeltaEntry(at: EntryAddress, raw: readonly Buffer[]): InboundDeltas {
  const map = fieldMap(at, raw);
  checkVersion(at, map);
  const source = text(at, map, 'src');
  const generation = text(at, map, 'gen');
  const full = text(at, map, 'full');
  if (full !== '0' && full !== '1') throw corrupt(at, `field full must be 0 or 1, got ${JSON.stringify(full)}`);
  const n = count(at, map, 'n', 0);
  const deltas: MatrixDelta[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = map.get(`d${i}`);
    if (bytes === undefined) throw corrupt(at, `header says ${n} deltas, field d${i} is missing`);
    try {
      deltas.push(decodeDelta(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
    } catch (error) {
      if (!(error instanceof SerializationError)) throw error;
      throw corrupt(at, `d${i} is no valid Delta: ${error.message}`, error);
    }
  }
  return { shard: at.shard, source, generation, full: full === '1', deltas };
}
