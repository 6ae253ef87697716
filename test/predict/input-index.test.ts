import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Json } from '../../ts/history/events.js';
import { InputIndex, MAX_INPUT_KEY_LENGTH } from '../../ts/predict/input-index.js';

/** Inputs as activities get them: scalars, flat objects (the indexed path) and nested JSON (the JSON path). */
const scalar = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -0, 1, 'a', ''),
  fc.integer({ min: -3, max: 3 }),
  fc.string({ maxLength: 3 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const flat = fc.dictionary(fc.constantFrom('a', 'b', 'items', 'express'), scalar, { maxKeys: 4 });
const input: fc.Arbitrary<Json> = fc
  .oneof(scalar, flat, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>)
  // Longer inputs are not kept: the last test covers them.
  .filter((i) => JSON.stringify(i).length <= MAX_INPUT_KEY_LENGTH);

describe('InputIndex', () => {
  it('gives two inputs the same entry exactly when their JSON texts are equal', () => {
    fc.assert(
      fc.property(fc.array(input, { maxLength: 30 }), (inputs) => {
        const index = new InputIndex<{ json: string }>();
        const byJson = new Map<string, { json: string }>();
        for (const i of inputs) {
          const json = JSON.stringify(i);
          const entry = index.get(i, () => ({ json }));
          expect(entry?.json).toBe(json);
          if (byJson.has(json)) expect(entry).toBe(byJson.get(json));
          else byJson.set(json, entry!);
          // Found again without making anything.
          expect(index.get(i)).toBe(entry);
        }
        expect(index.size).toBe(byJson.size);
      }),
      { numRuns: 300 },
    );
  });

  it('tells a string result from a JSON text and a number from its string', () => {
    const index = new InputIndex<string>();
    index.get({ a: 1 }, () => 'object');
    index.get('{"a":1}', () => 'string');
    index.get(1, () => 'number');
    index.get('1', () => 'string one');
    expect([index.get({ a: 1 }), index.get('{"a":1}'), index.get(1), index.get('1')]).toEqual([
      'object',
      'string',
      'number',
      'string one',
    ]);
    // Field order is part of an input, as it is of its JSON.
    expect(index.get({ b: 2, a: 1 }, () => 'b first')).toBe('b first');
    expect(index.get({ a: 1, b: 2 }, () => 'a first')).toBe('a first');
  });

  it('keeps nothing for inputs too long, and nothing past what make allows', () => {
    const index = new InputIndex<number>();
    expect(index.get({ text: 'x'.repeat(MAX_INPUT_KEY_LENGTH) }, () => 1)).toBeUndefined();
    expect(index.get('y'.repeat(MAX_INPUT_KEY_LENGTH), () => 1)).toBeUndefined();
    const capped = (size: number) => (size < 2 ? size + 1 : undefined);
    expect([index.get({ n: 1 }, capped), index.get({ n: 2 }, capped), index.get({ n: 3 }, capped)]).toEqual([1, 2, undefined]);
    expect(index.size).toBe(2);
  });
});
