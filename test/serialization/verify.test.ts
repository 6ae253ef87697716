/**
 * The verifier against hand-damaged buffers: each test breaks one thing in a valid buffer and
 * checks that verifyRoot refuses it with the right error, naming the problem and its byte.
 */
import * as flatbuffers from 'flatbuffers';
import { describe, expect, test } from 'vitest';
import { encodeAnomalyReport } from '../../ts/anomaly/report-flatbuffer.js';
import { Event } from '../../ts/generated/wfmirror/fb/event.js';
import { EventBatch } from '../../ts/generated/wfmirror/fb/event-batch.js';
import { EventPayload } from '../../ts/generated/wfmirror/fb/event-payload.js';
import { EventType } from '../../ts/generated/wfmirror/fb/event-type.js';
import { WorkflowFailedPayload } from '../../ts/generated/wfmirror/fb/workflow-failed-payload.js';
import { decodeEventBatch, encodeEvent } from '../../ts/history/event-codec.js';
import {
  CorruptBufferError,
  SerializationError,
  UnsupportedSchemaVersionError,
  verifyRoot,
  WrongBufferTypeError,
} from '../../ts/serialization/index.js';
import { slotOf } from '../../ts/serialization/table-access.js';
import { decodeStateVector, encodeStateVector } from '../../ts/state/state-vector-codec.js';
import {
  atByteOffset,
  entryOf,
  fieldOf,
  repoint,
  rootOf,
  setU16,
  setU32,
  targetOf,
  u16,
  u32,
  vtableOf,
} from './buffer-surgery.js';
import { sampleEvents, sampleReports, sampleStateVectors } from './samples.js';

/** A valid ActivityScheduled event (type code 1, so the `type` field is written). */
const eventBytes = (): Uint8Array => encodeEvent(sampleEvents()[1]!);
const vectorBytes = (): Uint8Array => encodeStateVector(sampleStateVectors()[0]!);

const EVENT = {
  schemaVersion: slotOf('Event', 'schema_version'),
  workflowId: slotOf('Event', 'workflow_id'),
  seq: slotOf('Event', 'seq'),
  type: slotOf('Event', 'type'),
  payloadType: slotOf('Event', 'payload') - 2,
  payload: slotOf('Event', 'payload'),
};
const VALUES = slotOf('StateVector', 'values');

/** Runs `verify` and returns the CorruptBufferError it throws (failing the test otherwise). */
function corruption(bytes: Uint8Array, root: Parameters<typeof verifyRoot>[1] = 'Event', limits = {}): CorruptBufferError {
  try {
    verifyRoot(bytes, root, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptBufferError);
    return error as CorruptBufferError;
  }
  throw new Error('expected a CorruptBufferError, the buffer was accepted');
}

describe('valid buffers', () => {
  test('returns a ByteBuffer over the very bytes given, for the generated accessors', () => {
    const bytes = eventBytes();
    const bb = verifyRoot(bytes, 'Event');
    expect(bb.bytes()).toBe(bytes);
    expect(Event.getRootAsEvent(bb).workflowId()).toBe('order-17');
  });

  test('every encoder output of every sample verifies', () => {
    for (const e of sampleEvents()) verifyRoot(encodeEvent(e), 'Event');
    for (const v of sampleStateVectors()) verifyRoot(encodeStateVector(v), 'StateVector');
    for (const r of sampleReports()) verifyRoot(encodeAnomalyReport(r), 'AnomalyReport');
  });

  test('a buffer at a byteOffset that is not 8-aligned verifies and decodes exactly (positions count from the buffer start)', () => {
    const bytes = vectorBytes();
    for (const offset of [1, 3, 4, 7]) {
      const shifted = atByteOffset(bytes, offset);
      expect(decodeStateVector(shifted)).toEqual(decodeStateVector(bytes));
    }
  });
});

describe('identifier, version and root', () => {
  test('fewer than 8 bytes is corrupt', () => {
    for (let n = 0; n < 8; n++) expect(corruption(eventBytes().slice(0, n)).offset).toBe(0);
  });

  test("another root type's identifier is a WrongBufferTypeError naming both types", () => {
    const error = (() => {
      try {
        verifyRoot(eventBytes(), 'StateVector');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(WrongBufferTypeError);
    expect(error).toMatchObject({ code: 'WRONG_BUFFER_TYPE', expected: 'StateVector', found: 'Event', identifier: 'WFEV' });
    expect((error as Error).message).toMatch(/expected a StateVector buffer \(identifier WFSV\), got a Event buffer/);
  });

  test('an unknown identifier is a WrongBufferTypeError with no type found', () => {
    const bytes = eventBytes();
    bytes.set([0x41, 0x42, 0x00, 0xff], 4);
    expect(() => verifyRoot(bytes, 'Event')).toThrow(WrongBufferTypeError);
    try {
      verifyRoot(bytes, 'Event');
    } catch (e) {
      expect(e).toMatchObject({ found: undefined, identifier: 'AB\u0000\u00ff' });
    }
  });

  test('a newer schema_version is an UnsupportedSchemaVersionError, checked before the rest', () => {
    const bytes = eventBytes();
    const root = rootOf(bytes);
    setU16(bytes, fieldOf(bytes, root, EVENT.schemaVersion), 2);
    // Break something later on too: the version must be what is reported.
    setU16(bytes, entryOf(bytes, root, EVENT.workflowId), 0);
    expect(() => verifyRoot(bytes, 'Event')).toThrow(UnsupportedSchemaVersionError);
    try {
      verifyRoot(bytes, 'Event');
    } catch (e) {
      expect(e).toMatchObject({ code: 'UNSUPPORTED_SCHEMA_VERSION', found: 2, supported: 1, root: 'Event' });
    }
  });

  test('a schema_version of 0, or none, is corrupt', () => {
    const zero = eventBytes();
    setU16(zero, fieldOf(zero, rootOf(zero), EVENT.schemaVersion), 0);
    expect(corruption(zero).message).toMatch(/schema_version is missing or 0/);
    const missing = eventBytes();
    setU16(missing, entryOf(missing, rootOf(missing), EVENT.schemaVersion), 0);
    expect(corruption(missing).message).toMatch(/schema_version is missing or 0/);
  });

  test('a root offset past the end, into the identifier, or not 4-aligned is corrupt', () => {
    for (const root of [0xffff_fff0, 4, 0]) {
      const bytes = eventBytes();
      setU32(bytes, 0, root);
      expect(corruption(bytes).message).toMatch(/root offset/);
    }
    const bytes = eventBytes();
    setU32(bytes, 0, rootOf(bytes) + 2);
    expect(corruption(bytes).message).toMatch(/not 4-byte aligned/);
  });
});

describe('tables and vtables', () => {
  test('a vtable outside the buffer is corrupt, at the table', () => {
    for (const soffset of [0x7fff_fff0, -0x1000]) {
      const bytes = eventBytes();
      const root = rootOf(bytes);
      setU32(bytes, root, soffset >>> 0);
      const error = corruption(bytes);
      expect(error.message).toMatch(/vtable \(at -?\d+\) is outside the buffer/);
      expect(error.offset).toBe(root);
    }
  });

  test('a vtable size that is odd, below 4, or runs past the end is corrupt', () => {
    for (const size of [7, 2, 0x7ffe]) {
      const bytes = eventBytes();
      setU16(bytes, vtableOf(bytes, rootOf(bytes)), size);
      expect(corruption(bytes).message).toMatch(/vtable size|vtable \(\d+ bytes\) runs past the end/);
    }
  });

  test('a vtable size the JS runtime would read as negative (>= 0x8000) is corrupt', () => {
    const bytes = eventBytes();
    setU16(bytes, vtableOf(bytes, rootOf(bytes)), 0x8004);
    expect(corruption(bytes).message).toMatch(/not an even number in 4..32766/);
  });

  test('an object size past the end of the buffer, or below 4, is corrupt', () => {
    for (const size of [0x7000, 2]) {
      const bytes = eventBytes();
      setU16(bytes, vtableOf(bytes, rootOf(bytes)) + 2, size);
      expect(corruption(bytes).message).toMatch(/table's size|runs past the end/);
    }
  });

  test('a field whose bytes lie outside its table is corrupt (even when inside the buffer)', () => {
    const bytes = eventBytes();
    const root = rootOf(bytes);
    const objectSize = u16(bytes, vtableOf(bytes, root) + 2);
    setU16(bytes, entryOf(bytes, root, EVENT.seq), objectSize - 4);
    expect(corruption(bytes).message).toMatch(/Event\.seq: field at table offset \d+ \(8 bytes\) lies outside the table/);
    const overlap = eventBytes();
    setU16(overlap, entryOf(overlap, rootOf(overlap), EVENT.seq), 2);
    expect(corruption(overlap).message).toMatch(/lies outside the table/);
  });

  test('a double field that is not 8-byte aligned is corrupt', () => {
    const bytes = eventBytes();
    const root = rootOf(bytes);
    const at = fieldOf(bytes, root, EVENT.seq) - root;
    setU16(bytes, entryOf(bytes, root, EVENT.seq), at - 4);
    expect(corruption(bytes).message).toMatch(/Event\.seq is not 8-byte aligned/);
  });

  test('a required field that is missing is corrupt, naming it', () => {
    const bytes = eventBytes();
    setU16(bytes, entryOf(bytes, rootOf(bytes), EVENT.workflowId), 0);
    expect(corruption(bytes).message).toMatch(/Event\.workflow_id is required but missing/);
  });
});

describe('offsets', () => {
  test('an offset of 0 (pointing at itself) is corrupt', () => {
    const bytes = eventBytes();
    const field = fieldOf(bytes, rootOf(bytes), EVENT.workflowId);
    setU32(bytes, field, 0);
    const error = corruption(bytes);
    expect(error.message).toMatch(/offset 0 points at itself/);
    expect(error.offset).toBe(field);
  });

  test('an offset that would point backwards (a loop, for the signed JS reader) is corrupt', () => {
    const bytes = eventBytes();
    const root = rootOf(bytes);
    const field = fieldOf(bytes, root, EVENT.payload);
    // -(field - root) as int32: the generated reader would land on the Event table itself.
    setU32(bytes, field, (root - field) >>> 0);
    expect(corruption(bytes).message).toMatch(/Event\.payload: offset \d+ points past the end of the buffer/);
  });

  test('an offset to a position that is not 4-byte aligned is corrupt', () => {
    const bytes = eventBytes();
    const field = fieldOf(bytes, rootOf(bytes), EVENT.workflowId);
    setU32(bytes, field, u32(bytes, field) + 1);
    expect(corruption(bytes).message).toMatch(/not 4-byte aligned/);
  });
});

describe('strings', () => {
  const stringOf = (bytes: Uint8Array): number => targetOf(bytes, fieldOf(bytes, rootOf(bytes), EVENT.workflowId));

  test('a string whose length runs past the end is corrupt', () => {
    const bytes = eventBytes();
    setU32(bytes, stringOf(bytes), 0xffff_fff0);
    expect(corruption(bytes).message).toMatch(/Event\.workflow_id: string of 4294967280 bytes runs past the end/);
  });

  test('a string without its NUL terminator is corrupt, at the missing NUL', () => {
    const bytes = eventBytes();
    const s = stringOf(bytes);
    const end = s + 4 + u32(bytes, s);
    bytes[end] = 0x41;
    const error = corruption(bytes);
    expect(error.message).toMatch(/no NUL terminator/);
    expect(error.offset).toBe(end);
  });

  test('invalid UTF-8 (a stray byte, an overlong form, a surrogate) is corrupt', () => {
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      const bytes = eventBytes();
      bytes.set(bad, stringOf(bytes) + 4);
      expect(corruption(bytes).message).toMatch(/Event\.workflow_id: string is not valid UTF-8/);
    }
  });
});

describe('vectors', () => {
  test('a vector length whose bytes run past the end is corrupt (no overflow)', () => {
    for (const n of [0x7fff_ffff, 0xffff_ffff, 0x2000_0001]) {
      const bytes = vectorBytes();
      setU32(bytes, targetOf(bytes, fieldOf(bytes, rootOf(bytes), VALUES)), n);
      expect(corruption(bytes, 'StateVector').message).toMatch(
        /StateVector\.values: vector of \d+ elements of 8 bytes runs past the end/,
      );
    }
  });

  test('a [double] vector whose data is not 8-byte aligned from the buffer start is corrupt', () => {
    const bytes = vectorBytes();
    const field = fieldOf(bytes, rootOf(bytes), VALUES);
    const v = targetOf(bytes, field);
    const vector = bytes.slice(v, v + 4 + 8 * u32(bytes, v));
    expect(() => verifyRoot(repoint(bytes, field, vector, 4), 'StateVector')).not.toThrow(); // data at 0 mod 8
    expect(corruption(repoint(bytes, field, vector, 0), 'StateVector').message).toMatch(
      /values: vector data is not 8-byte aligned/,
    );
  });
});

describe('enums and unions', () => {
  test('an enum value out of range is corrupt (at the root and nested)', () => {
    const bytes = eventBytes();
    const typeAt = fieldOf(bytes, rootOf(bytes), EVENT.type);
    bytes[typeAt] = 9;
    const error = corruption(bytes);
    expect(error.message).toMatch(/Event\.type: 9 is not a EventType \(0\.\.8\)/);
    expect(error.offset).toBe(typeAt);

    const report = encodeAnomalyReport(sampleReports()[0]!);
    const severity = fieldOf(report, rootOf(report), slotOf('AnomalyReport', 'severity'));
    report[severity] = 3;
    expect(corruption(report, 'AnomalyReport').message).toMatch(/AnomalyReport\.severity: 3 is not a Severity/);
  });

  test('a union type that is no member is corrupt', () => {
    const bytes = eventBytes();
    bytes[fieldOf(bytes, rootOf(bytes), EVENT.payloadType)] = 10;
    expect(corruption(bytes).message).toMatch(/Event\.payload_type: 10 is not a member of the union \(1\.\.9\)/);
  });

  test('a union type NONE with a value present is corrupt', () => {
    const bytes = eventBytes();
    bytes[fieldOf(bytes, rootOf(bytes), EVENT.payloadType)] = 0;
    expect(corruption(bytes).message).toMatch(/the union's type is NONE but a value is present/);
  });

  test('a union type with its value missing is corrupt', () => {
    const bytes = eventBytes();
    setU16(bytes, entryOf(bytes, rootOf(bytes), EVENT.payload), 0);
    expect(corruption(bytes).message).toMatch(/the union's type is ActivityScheduledPayload but the value is missing/);
  });

  test('the member table is verified as the type the union names', () => {
    // ActivityScheduledPayload read as a WorkflowFailedPayload: its `reason` slot holds the name
    // string, so it verifies; reading it as TimerStartedPayload puts a double on an offset.
    const bytes = eventBytes();
    bytes[fieldOf(bytes, rootOf(bytes), EVENT.payloadType)] = EventPayload.WorkflowStartedPayload;
    expect(corruption(bytes).message).toMatch(/WorkflowStartedPayload\./);
  });
});

describe('limits against shared objects', () => {
  /** An EventBatch whose `copies` entries all point at one Event with a `idLength`-byte workflow id. */
  function sharedBatch(copies: number, idLength: number): Uint8Array {
    const b = new flatbuffers.Builder(1024);
    const id = b.createString('x'.repeat(idLength));
    const payload = WorkflowFailedPayload.createWorkflowFailedPayload(b, b.createString('r'));
    Event.startEvent(b);
    Event.addWorkflowId(b, id);
    Event.addSeq(b, 1);
    Event.addType(b, EventType.WorkflowFailed);
    Event.addPayloadType(b, EventPayload.WorkflowFailedPayload);
    Event.addPayload(b, payload);
    const event = Event.endEvent(b);
    const events = EventBatch.createEventsVector(b, new Array<number>(copies).fill(event));
    EventBatch.startEventBatch(b);
    EventBatch.addSchemaVersion(b, 1);
    EventBatch.addEvents(b, events);
    EventBatch.finishEventBatchBuffer(b, EventBatch.endEventBatch(b));
    return b.asUint8Array().slice();
  }

  test('a few references to one object are fine', () => {
    const events = decodeEventBatch(sharedBatch(3, 20));
    expect(events).toHaveLength(3);
    expect(events[2]).toEqual(events[0]);
  });

  test('many references to one large object are refused, bounding the work of verifier and decoder', () => {
    const bytes = sharedBatch(20_000, 4_000);
    expect(bytes.length).toBeLessThan(100_000);
    expect(corruption(bytes, 'EventBatch').message).toMatch(/the objects reached add up to more than \d+ bytes/);
  });

  test('maxTables and maxDepth are enforced', () => {
    expect(corruption(sharedBatch(10, 1), 'EventBatch', { maxTables: 5 }).message).toMatch(/more than 5 tables/);
    // EventBatch > Event > WorkflowFailedPayload is 3 deep.
    expect(() => verifyRoot(sharedBatch(1, 1), 'EventBatch', { maxDepth: 3 })).not.toThrow();
    expect(corruption(sharedBatch(1, 1), 'EventBatch', { maxDepth: 2 }).message).toMatch(/nested deeper than 2 tables/);
  });
});

test('every refusal is a SerializationError with a stable code and the byte offset in its message', () => {
  const bytes = eventBytes();
  bytes[fieldOf(bytes, rootOf(bytes), EVENT.type)] = 200;
  const error = corruption(bytes);
  expect(error).toBeInstanceOf(SerializationError);
  expect(error.code).toBe('CORRUPT_BUFFER');
  expect(error.message).toContain(`at byte ${error.offset}`);
});
