import { describe, expect, it } from 'vitest';
import { WorkflowMirrorError } from '../../../ts/base-error.js';
import { EventWriter } from '../../../ts/history/event-writer.js';
import type { HistoryEvent } from '../../../ts/history/events.js';
import { SerializationError } from '../../../ts/serialization/errors.js';
import { ringRecordBytes } from '../../../ts/stream/ring/event-ring.js';
import { CorruptShardMessageError } from '../../../ts/stream/worker/errors.js';
import { ShardMessageReader, ShardMessageWriter } from '../../../ts/stream/worker/shard-message.js';

function events(count: number, note = ''): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  for (let i = 0; i < count; i++) {
    const seq = (i % 3) + 1;
    const workflowId = `w-${Math.floor(i / 3)}`;
    out.push(
      seq === 1
        ? {
            workflowId,
            seq,
            pos: i + 1,
            type: 'WorkflowStarted',
            time: 1000 + i,
            payload: { workflowType: 'order', version: 1, fingerprint: 'f', input: { note, i } },
          }
        : { workflowId, seq, pos: i + 1, type: 'SignalReceived', time: 1000 + i, payload: { name: 'poke', payload: [i, note] } },
    );
  }
  return out;
}

const rowOf = (e: HistoryEvent): number => (e.type === 'WorkflowStarted' ? e.pos * 10 : -1);

function rowsFor(list: readonly HistoryEvent[]): number[] {
  return list.map(rowOf);
}

function encode(list: readonly HistoryEvent[], maxRecordBytes: number, writer = new ShardMessageWriter()) {
  writer.encode(list, rowOf, maxRecordBytes);
  return {
    records: writer.records.map((r) => new Uint8Array(Buffer.concat(r instanceof Uint8Array ? [r] : [...r]))),
    ringBytes: writer.ringBytes,
  };
}

describe('shard messages', () => {
  it('carry events and rows through one record when they fit, whatever the writer encoded before', () => {
    const writer = new ShardMessageWriter();
    for (const count of [7, 2, 1, 0, 5]) {
      const list = events(count);
      const message = encode(list, 1 << 20, writer);
      expect(message.records.length).toBe(1);
      expect(ringRecordBytes(message.records[0]!.length)).toBe(message.ringBytes);
      const batch = new ShardMessageReader().push(message.records[0]!)!;
      expect(batch.events).toEqual(list);
      expect(Array.from(batch.rows)).toEqual(rowsFor(list));
    }
  });

  it('split into fragments when longer than a record may be, and join back whole', () => {
    const list = events(40, 'x'.repeat(300));
    const message = encode(list, 200);
    expect(message.records.length).toBeGreaterThan(10);
    const reader = new ShardMessageReader();
    let batch: ReturnType<ShardMessageReader['push']>;
    let ringBytes = 0;
    for (const bytes of message.records) {
      expect(bytes.length).toBeLessThanOrEqual(200);
      ringBytes += ringRecordBytes(bytes.length);
      expect(batch).toBeUndefined(); // only the last fragment completes the message
      batch = reader.push(bytes);
    }
    expect(ringBytes).toBe(message.ringBytes);
    expect(batch!.events).toEqual(list);
    expect(Array.from(batch!.rows)).toEqual(rowsFor(list));
  });

  it('copy events the log already encoded instead of encoding them again: the same bytes, the same events', () => {
    const list = events(40, 'pre-encoded');
    // The log's encoding: EventWriter output back to back, as the SQLite log hands its listeners.
    const log = new EventWriter();
    const bounds: [number, number][] = list.map((e) => {
      const start = log.write(e);
      return [start, log.length];
    });
    const bytes = log.bytes.slice();
    const encoded = { bytes, start: (i: number) => bounds[i]![0], end: (i: number) => bounds[i]![1] };
    // Every other event comes with its encoding; the first 5 are skipped (already sent).
    const sources = { encoded: list.map((_, i) => (i % 2 === 0 ? encoded : undefined)), index: list.map((_, i) => i) };
    const withSources = new ShardMessageWriter();
    withSources.encode(list, rowOf, 1 << 20, 5, sources);
    const plain = new ShardMessageWriter();
    plain.encode(list.slice(5), rowOf, 1 << 20);
    const flat = (w: ShardMessageWriter) => Buffer.concat(w.records.flatMap((r) => (r instanceof Uint8Array ? [r] : [...r])));
    expect(flat(withSources).equals(flat(plain))).toBe(true);
    const batch = new ShardMessageReader().push(new Uint8Array(flat(withSources)))!;
    expect(batch.events).toEqual(list.slice(5));
    expect(Array.from(batch.rows)).toEqual(rowsFor(list.slice(5)));
  });

  it('a trusted reader decodes the same events without the verifier, and still gives typed errors for bytes that do not decode', () => {
    const list = events(12, 'trusted');
    const bytes = encode(list, 1 << 20).records[0]!;
    expect(new ShardMessageReader({ trusted: true }).push(bytes)!.events).toEqual(list);
    const header = (2 + 3 * 12 + 1) & ~1;
    const first = new DataView(bytes.buffer).getInt32(8 + 12 * 4, true);
    const damaged = bytes.slice();
    damaged[header * 4 + first + 4] = 0x58; // the identifier: still checked
    expect(() => new ShardMessageReader({ trusted: true }).push(damaged)).toThrow(SerializationError);
    const cut = bytes.slice();
    // The root offset of the first event pointed far outside it.
    new DataView(cut.buffer).setUint32(header * 4 + first, 0x7fff_fff0, true);
    // Whatever the decoder trips over, the worker reports a typed error, never a bare RangeError.
    expect(() => new ShardMessageReader({ trusted: true }).push(cut)).toThrow(WorkflowMirrorError);
    for (let at = header * 4; at < bytes.length; at += 7) {
      const garbled = bytes.slice();
      garbled[at] = (garbled[at]! + 101) & 0xff;
      try {
        new ShardMessageReader({ trusted: true }).push(garbled);
      } catch (error) {
        expect(error).toBeInstanceOf(WorkflowMirrorError);
      }
    }
  });

  it('refuse records that are no message, with a typed error', () => {
    const reader = new ShardMessageReader();
    expect(() => reader.push(new Uint8Array([9, 0, 0, 0]))).toThrow(CorruptShardMessageError);
    expect(() => reader.push(new Uint8Array(2))).toThrow(CorruptShardMessageError);
    // A header that counts more rows than the record holds.
    expect(() => reader.push(new Uint8Array(new Int32Array([1, 1000]).buffer))).toThrow(CorruptShardMessageError);
  });

  it('carry events the reader verifies: damaged event bytes are a serialization error, not a wrong event', () => {
    const list = events(3);
    const bytes = encode(list, 1 << 20).records[0]!;
    const header = (2 + 3 * 3 + 1) & ~1;
    // The second event's file identifier ("WFEV" at its bytes 4..7) overwritten.
    const second = new DataView(bytes.buffer).getInt32(8 + 4 * 4, true);
    bytes[header * 4 + second + 4] = 0x58;
    expect(() => new ShardMessageReader().push(bytes)).toThrow(SerializationError);
  });
});
