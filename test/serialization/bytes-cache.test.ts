/**
 * The decoders keep short strings and small JSON values in direct-mapped caches
 * (ts/serialization/bytes-cache.ts): the same bytes give the very same value, a colliding key
 * replaces the old one without ever returning it for the new bytes, and nothing that failed to
 * decode is kept.
 */
import * as flatbuffers from 'flatbuffers';
import { describe, expect, test } from 'vitest';
import { Value } from '../../ts/generated/wfmirror/fb/value.js';
import { decodeEvent, encodeEvent } from '../../ts/history/event-codec.js';
import type { HistoryEvent } from '../../ts/history/events.js';
import { BytesCache } from '../../ts/serialization/bytes-cache.js';
import { CorruptBufferError } from '../../ts/serialization/errors.js';
import { createJsonValue, readJsonValue } from '../../ts/serialization/json-value.js';

const utf8 = new TextEncoder();

describe('BytesCache', () => {
  test('decodes a key once, with the arguments given, then returns the same value for equal bytes in any buffer', () => {
    const cache = new BytesCache<{ text: string }>(16, 8);
    let decoded = 0;
    const decode = (bytes: Uint8Array, prefix: string, times: number) => {
      decoded++;
      return { text: prefix + new TextDecoder().decode(bytes).repeat(times) };
    };
    const first = cache.get(utf8.encode('charge'), decode, '>', 2);
    const again = cache.get(new Uint8Array([0, ...utf8.encode('charge'), 0]).subarray(1, 7), decode, '?', 3);
    expect(again).toBe(first);
    expect(first.text).toBe('>chargecharge');
    expect(decoded).toBe(1);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  test('never serves a slot to other bytes: with one slot every new key evicts the last', () => {
    const cache = new BytesCache<string>(1, 8);
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    for (const word of ['ab', 'ba', 'abc', 'ab', '', 'ab', 'ab'])
      expect(cache.get(utf8.encode(word), decode, undefined, undefined)).toBe(word);
    expect([cache.hits, cache.misses]).toEqual([1, 6]);
  });

  test('decodes keys longer than its limit every time, and keeps nothing from a decode that threw', () => {
    const cache = new BytesCache<number>(8, 4);
    let calls = 0;
    const count = () => ++calls;
    cache.get(utf8.encode('12345'), count, undefined, undefined);
    cache.get(utf8.encode('12345'), count, undefined, undefined);
    expect(calls).toBe(2);
    const refuse = () => {
      throw new Error('bad');
    };
    expect(() => cache.get(utf8.encode('bad'), refuse, undefined, undefined)).toThrow('bad');
    expect(cache.get(utf8.encode('bad'), count, undefined, undefined)).toBe(3);
  });

  test('refuses a slot count that is not a power of two', () => {
    expect(() => new BytesCache(12, 8)).toThrow(RangeError);
  });
});

/** A Value table holding `json` as its only object. */
function jsonTable(json: string): Value {
  const builder = new flatbuffers.Builder(64);
  builder.finish(createJsonValue(builder, json));
  return Value.getRootAsValue(new flatbuffers.ByteBuffer(builder.asUint8Array()));
}

describe('small JSON values', () => {
  test('equal bytes give one frozen value; other bytes another', () => {
    const a = readJsonValue(jsonTable('{"reserved":true}'), 'x', 256);
    const b = readJsonValue(jsonTable('{"reserved":true}'), 'x', 256);
    const c = readJsonValue(jsonTable('{"reserved":false}'), 'x', 256);
    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(c).toEqual({ reserved: false });
  });

  test('a bad value is refused every time, with the label of each read', () => {
    for (const label of ['first', 'second']) {
      expect(() => readJsonValue(jsonTable('{"x":1e999}'), label, 256)).toThrow(CorruptBufferError);
      expect(() => readJsonValue(jsonTable('{"x":1e999}'), label, 256)).toThrow(
        new RegExp(`: ${label}: holds a number out of range`),
      );
    }
  });

  test('a small limit on nesting still applies to a value the cache holds', () => {
    const nested = '[[[[1]]]]';
    expect(readJsonValue(jsonTable(nested), 'x', 256)).toEqual([[[[1]]]]);
    expect(() => readJsonValue(jsonTable(nested), 'x', 3)).toThrow(/nested deeper than 3 levels/);
  });

  test('decoded events that share a result share the value, and stay equal to what was written', () => {
    const event = (workflowId: string): HistoryEvent => ({
      workflowId,
      seq: 3,
      pos: 7,
      type: 'ActivityCompleted',
      time: 1,
      payload: { name: 'ship', scheduledSeq: 2, result: { carrier: 'ups' } },
    });
    const one = decodeEvent(encodeEvent(event('order-1')));
    const two = decodeEvent(encodeEvent(event('order-2')));
    expect(one).toEqual(event('order-1'));
    expect(two).toEqual(event('order-2'));
    const resultOf = (e: HistoryEvent) => (e.payload as { result: unknown }).result;
    expect(resultOf(two)).toBe(resultOf(one));
  });
});
