/**
 * The SQLite log's fast event writer must produce buffers that the verifier accepts and that
 * decode to exactly the event written: the same content the generated builder's buffers give.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeEvent, encodeEvent } from '../../ts/history/event-codec.js';
import { EventWriter } from '../../ts/history/event-writer.js';
import type { HistoryEvent } from '../../ts/history/events.js';
import { sampleEvents } from '../serialization/samples.js';
import { anyEvent } from './event-arbitrary.js';

/** The event's own bytes, out of a writer that may hold others before it. */
function written(writer: EventWriter, event: HistoryEvent): Uint8Array {
  const start = writer.write(event);
  return writer.bytes.slice(start);
}

describe('EventWriter', () => {
  test('every event round-trips through the verifier and decoder, as the builder-encoded one does', () => {
    const writer = new EventWriter(64); // small, so that growth happens mid-event
    fc.assert(
      fc.property(anyEvent, (event) => {
        const decoded = decodeEvent(written(writer, event));
        expect(decoded).toEqual(event);
        expect(decoded).toEqual(decodeEvent(encodeEvent(event)));
      }),
      { numRuns: 2000 },
    );
  });

  test('events written back to back each start 8-aligned and decode from their own range', () => {
    const writer = new EventWriter(32);
    const events = sampleEvents();
    const starts = events.map((e) => writer.write(e));
    const bytes = writer.take();
    expect(writer.length).toBe(0);
    for (let i = 0; i < events.length; i++) {
      expect(starts[i]! % 8).toBe(0);
      const end = i + 1 < events.length ? starts[i + 1]! : bytes.length;
      expect(decodeEvent(bytes.subarray(starts[i]!, end))).toEqual(events[i]);
    }
  });

  test('says where the workflow id bytes of the last event are (the SQLite writer thread reads them there)', () => {
    const writer = new EventWriter(16);
    fc.assert(
      fc.property(anyEvent, (event) => {
        writer.write(event);
        // As the writer thread reads it (Buffer#toString keeps a leading U+FEFF).
        const bytes = writer.bytes;
        const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
          'utf8',
          writer.lastIdStart,
          writer.lastIdEnd,
        );
        expect(id).toBe(event.workflowId);
      }),
      { numRuns: 500 },
    );
  });

  test('payload properties beyond the typed fields travel too', () => {
    const event = {
      ...sampleEvents()[0]!,
      payload: { ...sampleEvents()[0]!.payload, note: 'kept', n: [1] },
    } as unknown as HistoryEvent;
    expect(decodeEvent(written(new EventWriter(), event))).toEqual(event);
  });
});
