/**
 * Events and event batches through FlatBuffers: every event type round-trips exactly, what the
 * schema cannot hold is refused at encode, and buffers that verify but say something no log would
 * hold (a union of the wrong type, a fractional seq, bad JSON) are refused at decode.
 */
import fc from 'fast-check';
import * as flatbuffers from 'flatbuffers';
import { describe, expect, test } from 'vitest';
import { ActivityScheduledPayload } from '../../ts/generated/wfmirror/fb/activity-scheduled-payload.js';
import { Event } from '../../ts/generated/wfmirror/fb/event.js';
import { EventBatch } from '../../ts/generated/wfmirror/fb/event-batch.js';
import { EventPayload } from '../../ts/generated/wfmirror/fb/event-payload.js';
import { EventType } from '../../ts/generated/wfmirror/fb/event-type.js';
import { Value } from '../../ts/generated/wfmirror/fb/value.js';
import { WorkflowFailedPayload } from '../../ts/generated/wfmirror/fb/workflow-failed-payload.js';
import { decodeEvent, decodeEventBatch, encodeEvent, encodeEventBatch } from '../../ts/history/event-codec.js';
import type { HistoryEvent } from '../../ts/history/events.js';
import { CorruptBufferError, NotEncodableError, SCHEMA_VERSION, verifyRoot } from '../../ts/serialization/index.js';
import { atByteOffset } from '../serialization/buffer-surgery.js';
import { sampleEvents } from '../serialization/samples.js';
import { anyEvent } from './event-arbitrary.js';

describe('round trips', () => {
  test('every event type, with and without extra payload properties, decodes to the same event', () => {
    fc.assert(
      fc.property(anyEvent, (event) => {
        expect(decodeEvent(encodeEvent(event))).toEqual(event);
      }),
      { numRuns: 500 },
    );
  });

  test('batches, empty included, decode to the same events in order', () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 12 }), (events) => {
        expect(decodeEventBatch(encodeEventBatch(events))).toEqual(events);
      }),
      { numRuns: 200 },
    );
    expect(decodeEventBatch(encodeEventBatch([]))).toEqual([]);
  });

  test('the samples (one per type) round-trip, time -0 kept', () => {
    for (const event of sampleEvents()) expect(decodeEvent(encodeEvent(event))).toEqual(event);
    expect(Object.is(decodeEvent(encodeEvent(sampleEvents()[9]!)).time, -0)).toBe(true);
  });

  test('decoded events are deeply frozen, like the logs', () => {
    const event = decodeEvent(encodeEvent(sampleEvents()[0]!));
    expect(Object.isFrozen(event)).toBe(true);
    expect(Object.isFrozen(event.payload)).toBe(true);
    const input = (event.payload as unknown as { input: { items: string[] } }).input;
    expect(Object.isFrozen(input)).toBe(true);
    expect(Object.isFrozen(input.items)).toBe(true);
  });

  test('an extra property named __proto__ stays a plain property', () => {
    const payload = { name: 'x', payload: 1 };
    Object.defineProperty(payload, '__proto__', { value: { evil: true }, enumerable: true });
    const event = { workflowId: 'w', seq: 1, pos: 1, type: 'SignalReceived', time: 0, payload } as HistoryEvent;
    const decoded = decodeEvent(encodeEvent(event));
    expect(Object.getPrototypeOf(decoded.payload)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(decoded.payload, '__proto__')?.value).toEqual({ evil: true });
  });

  test('a buffer at an odd byteOffset decodes the same', () => {
    const bytes = encodeEventBatch(sampleEvents());
    expect(decodeEventBatch(atByteOffset(bytes, 3))).toEqual(sampleEvents());
  });

  test('the root carries SCHEMA_VERSION; events inside a batch carry none', () => {
    const single = Event.getRootAsEvent(verifyRoot(encodeEvent(sampleEvents()[0]!), 'Event'));
    expect(single.schemaVersion()).toBe(SCHEMA_VERSION);
    const batch = EventBatch.getRootAsEventBatch(verifyRoot(encodeEventBatch(sampleEvents().slice(0, 1)), 'EventBatch'));
    expect(batch.schemaVersion()).toBe(SCHEMA_VERSION);
    const inner = batch.events(0)!;
    expect(inner.schemaVersion()).toBe(0);
  });
});

describe('encode refuses what a log could not hold', () => {
  const base = sampleEvents()[2]!; // ActivityCompleted
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['seq 0', { seq: 0 }, /seq must be a safe integer >= 1/],
    ['fractional seq', { seq: 1.5 }, /seq must be a safe integer >= 1/],
    ['negative pos', { pos: -1 }, /pos must be a safe integer >= 0/],
    ['NaN time', { time: Number.NaN }, /time must be a finite number/],
    ['unknown type', { type: 'Nope' }, /type must be one of/],
    ['empty workflowId', { workflowId: '' }, /workflowId must be a non-empty, well-formed string/],
    ['lone surrogate in workflowId', { workflowId: 'a\ud800' }, /workflowId must be a non-empty, well-formed string/],
    ['missing result', { payload: { name: 'charge', scheduledSeq: 2 } }, /payload\.result is required/],
    ['lone surrogate in a name', { payload: { name: '\udc00', scheduledSeq: 2, result: 1 } }, /payload\.name .*lone surrogate/],
  ];
  test.each(bad)('%s', (_, change, message) => {
    const event = { ...base, ...change } as HistoryEvent;
    expect(() => encodeEvent(event)).toThrow(NotEncodableError);
    expect(() => encodeEvent(event)).toThrow(message);
  });

  test('a version or attempts count past 2^32 - 1 is refused (the schema has uint)', () => {
    const started = sampleEvents()[0]! as Extract<HistoryEvent, { type: 'WorkflowStarted' }>;
    expect(() => encodeEvent({ ...started, payload: { ...started.payload, version: 2 ** 32 } })).toThrow(
      /payload\.version .*4294967295/,
    );
    const failed = sampleEvents()[3]! as Extract<HistoryEvent, { type: 'ActivityFailed' }>;
    expect(() => encodeEvent({ ...failed, payload: { ...failed.payload, attempts: 2 ** 40 } })).toThrow(/payload\.attempts/);
  });

  test('a bad event in a batch is named by its index', () => {
    const events = [sampleEvents()[0]!, { ...sampleEvents()[1]!, seq: -3 }];
    expect(() => encodeEventBatch(events)).toThrow(/cannot encode event 1 of a batch: seq/);
  });
});

/** Options of {@link rawEvent}: every part of an ActivityScheduled event, writable with any value. */
interface RawEvent {
  workflowId?: string;
  seq?: number;
  pos?: number;
  type?: number;
  time?: number;
  payloadType?: number;
  name?: string;
  encoding?: number;
  data?: string | Uint8Array;
  extra?: string;
}

/** Builds an Event with the generated builder, bypassing the encoder's checks. */
function rawEvent(o: RawEvent = {}): Uint8Array {
  const b = new flatbuffers.Builder(256);
  const value = (data: string | Uint8Array, encoding = 0): number => {
    const bytes = b.createByteVector(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    Value.startValue(b);
    Value.addEncoding(b, encoding);
    Value.addData(b, bytes);
    return Value.endValue(b);
  };
  const name = b.createString(o.name ?? 'charge');
  const input = value(o.data ?? '{"a":1}', o.encoding);
  ActivityScheduledPayload.startActivityScheduledPayload(b);
  ActivityScheduledPayload.addName(b, name);
  ActivityScheduledPayload.addInput(b, input);
  const payload = ActivityScheduledPayload.endActivityScheduledPayload(b);
  const extra = o.extra === undefined ? 0 : value(o.extra);
  const workflowId = b.createString(o.workflowId ?? 'w');
  Event.startEvent(b);
  Event.addSchemaVersion(b, 1);
  Event.addWorkflowId(b, workflowId);
  b.addFieldFloat64(2, o.seq ?? 1, null);
  b.addFieldFloat64(3, o.pos ?? 1, null);
  Event.addType(b, o.type ?? EventType.ActivityScheduled);
  b.addFieldFloat64(5, o.time ?? 0, null);
  Event.addPayloadType(b, o.payloadType ?? EventPayload.ActivityScheduledPayload);
  Event.addPayload(b, payload);
  if (extra !== 0) Event.addPayloadExtra(b, extra);
  Event.finishEventBuffer(b, Event.endEvent(b));
  return b.asUint8Array().slice();
}

describe('decode refuses buffers that verify but hold what no log would', () => {
  test('the hand-built event itself decodes', () => {
    expect(decodeEvent(rawEvent())).toMatchObject({ type: 'ActivityScheduled', payload: { name: 'charge', input: { a: 1 } } });
  });

  const bad: [string, RawEvent, RegExp][] = [
    [
      'a union holding another type than Event.type',
      { payloadType: EventPayload.SignalReceivedPayload },
      /Event\.payload holds a SignalReceivedPayload but Event\.type is ActivityScheduled/,
    ],
    ['seq 0', { seq: 0 }, /Event\.seq must be a safe integer >= 1, got 0/],
    ['a fractional seq', { seq: 2.5 }, /Event\.seq must be a safe integer/],
    ['a seq past 2^53', { seq: 2 ** 53 }, /Event\.seq must be a safe integer/],
    ['a negative pos', { pos: -1 }, /Event\.pos must be a safe integer >= 0/],
    ['an infinite time', { time: Number.POSITIVE_INFINITY }, /Event\.time must be a finite number/],
    ['a NaN time', { time: Number.NaN }, /Event\.time must be a finite number/],
    ['an empty workflow id', { workflowId: '' }, /Event\.workflow_id is empty/],
    ['an empty activity name', { name: '' }, /payload\.name must be a non-empty string for ActivityScheduled/],
    ['a Raw value', { encoding: 1 }, /ActivityScheduledPayload\.input: encoding Raw is not allowed here/],
    ['JSON that does not parse', { data: '{"a":' }, /ActivityScheduledPayload\.input is not valid JSON/],
    ['empty JSON', { data: '' }, /is not valid JSON/],
    ['JSON that is not UTF-8', { data: new Uint8Array([0x22, 0xff, 0x22]) }, /is not valid UTF-8/],
    ['a number JSON cannot hold (1e999 parses as Infinity)', { data: '[1e999]' }, /holds a number out of range \(Infinity\)/],
    [
      'JSON nested deeper than the log allows',
      { data: `${'['.repeat(300)}${']'.repeat(300)}` },
      /is nested deeper than 256 levels/,
    ],
    ['extra properties that are not an object', { extra: '[1]' }, /Event\.payload_extra is not a JSON object/],
    ['extra properties repeating a typed field', { extra: '{"name":"x"}' }, /Event\.payload_extra repeats the typed field name/],
  ];
  test.each(bad)('%s', (_, raw, message) => {
    const bytes = rawEvent(raw);
    expect(() => decodeEvent(bytes)).toThrow(CorruptBufferError);
    expect(() => decodeEvent(bytes)).toThrow(message);
  });

  test('the error offset points into the buffer, at the offending field', () => {
    const bytes = rawEvent({ seq: 0.5 });
    try {
      decodeEvent(bytes);
      expect.unreachable();
    } catch (error) {
      const offset = (error as CorruptBufferError).offset;
      expect(new DataView(bytes.buffer).getFloat64(offset, true)).toBe(0.5);
    }
  });

  test('in a batch, the message names the event', () => {
    const b = new flatbuffers.Builder(256);
    const events = [1, 0].map((seq) => {
      const reason = b.createString('r');
      const payload = WorkflowFailedPayload.createWorkflowFailedPayload(b, reason);
      const wid = b.createString('w');
      Event.startEvent(b);
      Event.addWorkflowId(b, wid);
      Event.addSeq(b, seq);
      Event.addType(b, EventType.WorkflowFailed);
      Event.addPayloadType(b, EventPayload.WorkflowFailedPayload);
      Event.addPayload(b, payload);
      return Event.endEvent(b);
    });
    const vector = EventBatch.createEventsVector(b, events);
    EventBatch.startEventBatch(b);
    EventBatch.addSchemaVersion(b, 1);
    EventBatch.addEvents(b, vector);
    EventBatch.finishEventBatchBuffer(b, EventBatch.endEventBatch(b));
    expect(() => decodeEventBatch(b.asUint8Array())).toThrow(/events\[1\]: Event\.seq must be a safe integer >= 1, got 0/);
  });
});
