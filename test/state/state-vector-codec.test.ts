/**
 * State vectors through FlatBuffers: values come back bit for bit (NaN payloads, -0,
 * infinities), `presence` must agree with them exactly, and what the schema cannot hold is refused.
 */
import fc from 'fast-check';
import * as flatbuffers from 'flatbuffers';
import { describe, expect, test } from 'vitest';
import { StateVector as StateVectorTable } from '../../ts/generated/wfmirror/fb/state-vector.js';
import { sameDoubleBits } from '../../ts/serialization/doubles.js';
import { CorruptBufferError, NotEncodableError } from '../../ts/serialization/index.js';
import { decodeStateVector, encodeStateVector, type StateVector } from '../../ts/state/state-vector-codec.js';
import { atByteOffset } from '../serialization/buffer-surgery.js';
import { sampleStateVectors } from '../serialization/samples.js';

/** Doubles from raw bytes: every bit pattern, so NaNs with any payload, -0 and infinities all occur. */
const anyDoubles = fc
  .uint8Array({ maxLength: 8 * 40 })
  .map((bytes) => new Float64Array(bytes.buffer.slice(0, bytes.length - (bytes.length % 8))));
const specialDoubles = fc
  .array(fc.constantFrom(Number.NaN, -0, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MIN_VALUE, 1e308), {
    maxLength: 20,
  })
  .map((xs) => Float64Array.from(xs));
const anyVector: fc.Arbitrary<StateVector> = fc.record({
  workflowId: fc.string({ unit: 'grapheme', maxLength: 30 }),
  workflowType: fc.string({ unit: 'binary', maxLength: 30 }),
  version: fc.maxSafeNat().map((n) => n % 2 ** 32),
  seq: fc.maxSafeNat(),
  values: fc.oneof(anyDoubles, specialDoubles),
});

function expectSame(actual: StateVector, expected: StateVector): void {
  const { values, ...rest } = actual;
  const { values: expectedValues, ...expectedRest } = expected;
  expect(rest).toEqual(expectedRest);
  expect(values).toHaveLength(expectedValues.length);
  expect(sameDoubleBits(values, expectedValues)).toBe(true);
}

describe('round trips', () => {
  test('any vector decodes bit for bit (NaN payloads, -0, infinities)', () => {
    fc.assert(
      fc.property(anyVector, (vector) => expectSame(decodeStateVector(encodeStateVector(vector)), vector)),
      { numRuns: 500 },
    );
  });

  test('the samples, including an empty vector and empty strings, round-trip', () => {
    for (const vector of sampleStateVectors()) expectSame(decodeStateVector(encodeStateVector(vector)), vector);
  });

  test('huge strings round-trip', () => {
    const vector = {
      workflowId: 'é'.repeat(300_000),
      workflowType: '🙂'.repeat(100_000),
      version: 1,
      seq: 3,
      values: new Float64Array(3),
    };
    expectSame(decodeStateVector(encodeStateVector(vector)), vector);
  });

  test('a NaN with a payload keeps its exact bits', () => {
    const bits = new Uint8Array([0x21, 0x43, 0x65, 0x87, 0x09, 0x00, 0xf4, 0xff]); // a negative, signalling NaN
    const values = new Float64Array(bits.buffer);
    const decoded = decodeStateVector(encodeStateVector({ workflowId: 'w', workflowType: 't', version: 1, seq: 1, values }));
    expect(new Uint8Array(decoded.values.buffer)).toEqual(bits);
  });

  test('values from a subarray of a larger Float64Array are written from the right place', () => {
    const big = Float64Array.from([9, 1, -0, Number.NaN, 9]);
    const values = big.subarray(1, 4);
    expectSame(decodeStateVector(encodeStateVector({ workflowId: 'w', workflowType: 't', version: 1, seq: 1, values })), {
      workflowId: 'w',
      workflowType: 't',
      version: 1,
      seq: 1,
      values,
    });
  });

  test('decoding a buffer at an unaligned byteOffset gives a fresh, exact copy', () => {
    const vector = sampleStateVectors()[0]!;
    const bytes = atByteOffset(encodeStateVector(vector), 5);
    const decoded = decodeStateVector(bytes);
    expectSame(decoded, vector);
    decoded.values[0] = 42;
    expectSame(decodeStateVector(bytes), vector);
  });
});

describe('encode refuses what the schema cannot hold', () => {
  const base = sampleStateVectors()[0]!;
  const bad: [string, Partial<Record<keyof StateVector, unknown>>, RegExp][] = [
    ['a lone surrogate', { workflowId: 'a\udfff' }, /workflowId must be a well-formed string/],
    ['a version past uint32', { version: 2 ** 32 }, /version must be a uint32/],
    ['a negative version', { version: -1 }, /version must be a uint32/],
    ['a fractional seq', { seq: 0.5 }, /seq must be a safe integer >= 0/],
    ['a negative seq', { seq: -1 }, /seq must be a safe integer >= 0/],
    ['values that are not a Float64Array', { values: [1, 2] }, /values must be a Float64Array/],
  ];
  test.each(bad)('%s', (_, change, message) => {
    const vector = { ...base, ...change } as StateVector;
    expect(() => encodeStateVector(vector)).toThrow(NotEncodableError);
    expect(() => encodeStateVector(vector)).toThrow(message);
  });
});

/** A StateVector buffer with the given values, presence and seq, written without the encoder's checks. */
function rawVector(values: number[], presence: number[], seq = 1): Uint8Array {
  const b = new flatbuffers.Builder(128);
  const id = b.createString('w');
  const type = b.createString('t');
  const v = StateVectorTable.createValuesVector(b, values);
  const p = StateVectorTable.createPresenceVector(b, presence);
  StateVectorTable.startStateVector(b);
  StateVectorTable.addSchemaVersion(b, 1);
  StateVectorTable.addWorkflowId(b, id);
  StateVectorTable.addWorkflowType(b, type);
  b.addFieldFloat64(4, seq, null);
  StateVectorTable.addValues(b, v);
  StateVectorTable.addPresence(b, p);
  StateVectorTable.finishStateVectorBuffer(b, StateVectorTable.endStateVector(b));
  return b.asUint8Array().slice();
}

describe('decode refuses presence that disagrees with the values', () => {
  test('the hand-built vector itself decodes', () => {
    expect(Array.from(decodeStateVector(rawVector([1, Number.NaN, 3], [0b101])).values)).toEqual([1, Number.NaN, 3]);
  });

  const bad: [string, number[], number[], RegExp][] = [
    ['a bit saying present for a NaN', [1, Number.NaN], [0b11], /bit 1 says present but value 1 is NaN/],
    ['a bit saying missing for a number', [1, 2], [0b01], /bit 1 says missing but value 1 is 2/],
    ['a bit set past the last value', [1, 2], [0b111], /has bits set past the last of 2 values/],
    ['too few bytes', new Array(9).fill(1), [0xff], /has 1 bytes, 9 values need 2/],
    ['too many bytes', [1], [1, 0], /has 2 bytes, 1 values need 1/],
    ['bytes for no values', [], [0], /has 1 bytes, 0 values need 0/],
  ];
  test.each(bad)('%s', (_, values, presence, message) => {
    const bytes = rawVector(values, presence);
    expect(() => decodeStateVector(bytes)).toThrow(CorruptBufferError);
    expect(() => decodeStateVector(bytes)).toThrow(message);
  });

  test('a seq that is not a safe integer >= 0 is corrupt', () => {
    for (const seq of [0.5, -1, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => decodeStateVector(rawVector([1], [1], seq))).toThrow(/StateVector\.seq must be a safe integer >= 0/);
    }
  });
});
