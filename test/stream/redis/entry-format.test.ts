/**
 * Stream entries decode to exactly what was encoded, and anything else is a
 * CorruptStreamEntryError naming the entry (never another exception): missing or repeated
 * fields, another format version, a count or range the payload contradicts, a damaged payload
 * (whose SerializationError is the cause), a damaged delta. The header of a damaged entry can
 * still be read, to re-read its events from the source's log.
 */
import { describe, expect, it } from 'vitest';
import { FleetDeltas } from '../../../ts/engine/fleet.js';
import { SerializationError } from '../../../ts/serialization/errors.js';
import {
  decodeDeltaEntry,
  decodeEventEntry,
  deltaEntryFields,
  type EntryAddress,
  eventEntryFields,
  readEventEntryHeader,
} from '../../../ts/stream/redis/entry-format.js';
import { CorruptStreamEntryError } from '../../../ts/stream/redis/errors.js';
import { damage } from '../../../ts/stream/redis/publisher-faults.js';
import { allEvents, orderPrimary } from './harness.js';

const at: EntryAddress = { stream: 'wfm:events:0', entryId: '1-0', shard: 0, shards: 1 };
const asBuffers = (fields: readonly (string | Buffer)[]) => fields.map((f) => (typeof f === 'string' ? Buffer.from(f) : f));
/** The fields with `name`'s value replaced (or the field removed when `value` is undefined). */
function withField(fields: Buffer[], name: string, value: Buffer | undefined): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i]!.toString() !== name) out.push(fields[i]!, fields[i + 1]!);
    else if (value !== undefined) out.push(fields[i]!, value);
  }
  return out;
}

describe('stream entry format', async () => {
  const source = orderPrimary();
  await source.run({ instances: 5, idPrefix: 'a-' });
  const events = await allEvents(source.log);
  const fields = asBuffers(eventEntryFields('p1', events));

  it('round-trips an events entry and a delta entry', () => {
    expect(decodeEventEntry(at, fields)).toEqual({ shard: 0, source: 'p1', firstPos: 1, lastPos: events.length, events });
    const deltas = source.primary.takeDeltas();
    const decoded = decodeDeltaEntry(at, asBuffers(deltaEntryFields('p1', { generation: 'g', full: true, deltas })));
    expect(decoded).toMatchObject({ source: 'p1', generation: 'g', full: true });
    expect(decoded.deltas[0]!.newRowIds).toEqual(deltas[0]!.newRowIds);
  });

  const cases: [string, Buffer[]][] = [
    ['no source', withField(fields, 'src', undefined)],
    ['another version', withField(fields, 'v', Buffer.from('2'))],
    ['a count the batch contradicts', withField(fields, 'n', Buffer.from('3'))],
    ['a range the events leave', withField(fields, 'last', Buffer.from('2'))],
    ['a first position that is no number', withField(fields, 'first', Buffer.from('x'))],
    ['a repeated field', [...fields, Buffer.from('src'), Buffer.from('p2')]],
    ['an odd field list', fields.slice(0, -1)],
  ];
  it.each(cases)('refuses an entry with %s', (_, bad) => {
    expect(() => decodeEventEntry(at, bad)).toThrow(CorruptStreamEntryError);
  });

  it('refuses a damaged payload with the codec error as the cause, and still reads the header', () => {
    const bad = withField(fields, 'b', damage(fields[fields.length - 1]!));
    let error: unknown;
    try {
      decodeEventEntry(at, bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CorruptStreamEntryError);
    expect((error as CorruptStreamEntryError).code).toBe('CORRUPT_STREAM_ENTRY');
    expect((error as Error).cause).toBeInstanceOf(SerializationError);
    expect(readEventEntryHeader(bad)).toEqual({ source: 'p1', firstPos: 1, lastPos: events.length });
  });

  it('refuses a damaged delta and a delta entry that lacks one', () => {
    const deltas = new FleetDeltas(source.fleets, 'primary').take();
    const deltaFields = asBuffers(deltaEntryFields('p1', { generation: 'g', full: false, deltas }));
    expect(decodeDeltaEntry(at, deltaFields).deltas).toHaveLength(1);
    const d0 = deltaFields[deltaFields.length - 1]!;
    expect(() => decodeDeltaEntry(at, withField(deltaFields, 'd0', damage(d0)))).toThrow(CorruptStreamEntryError);
    expect(() => decodeDeltaEntry(at, withField(deltaFields, 'd0', undefined))).toThrow(CorruptStreamEntryError);
    expect(() => decodeDeltaEntry(at, withField(deltaFields, 'full', Buffer.from('yes')))).toThrow(CorruptStreamEntryError);
  });
});
