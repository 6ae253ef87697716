import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FieldOutOfRangeError, LayoutError } from '../../ts/state/errors.js';
import { layoutFor, MAX_COMPILED_FIELDS, MAX_FIELDS, type StateLayout } from '../../ts/state/layout.js';
import { stringHash } from '../../ts/state/string-hash.js';
import { type AnyFieldSpec, bool, enumOf, f64, i32, type StateSchema, str } from '../../ts/workflow/fields.js';

const NAN = Number.NaN;

/** The order schema of DESIGN.md section 5, plus a bool. */
const orderSchema = {
  total: f64({ weight: 10, tolerance: 0.01, critical: true }),
  paid: f64({ weight: 10, tolerance: 0.01 }),
  items: i32({ weight: 1 }),
  status: enumOf(['new', 'charging', 'paid', 'shipped', 'failed'], { weight: 100 }),
  shipped: bool({ weight: 5, initial: true }),
  note: str({ weight: 0, initial: 'hi' }),
} satisfies StateSchema;

/** Encodes `state` into a fresh row pre-filled with a sentinel, so unwritten cells would show. */
function encodeRow(layout: StateLayout, state: Record<string, unknown>): number[] {
  const out = new Float64Array(layout.stride + 2).fill(-777);
  layout.encode(state, out, 1);
  expect(out[0]).toBe(-777); // nothing written before the row
  expect(out[layout.stride + 1]).toBe(-777); // nor after it
  return Array.from(out.subarray(1, 1 + layout.stride));
}

/** Bits of a float64 (NaN payloads and -0 included), for bit-for-bit comparisons. */
function bits(values: Float64Array): bigint[] {
  return Array.from(new BigUint64Array(values.slice().buffer));
}

describe('stringHash', () => {
  it('is standard FNV-1a 32 for ASCII strings (published test vectors)', () => {
    expect(stringHash('')).toBe(0x811c9dc5);
    expect(stringHash('a')).toBe(0xe40c292c);
    expect(stringHash('foobar')).toBe(0xbf9cf968);
  });

  it('XORs whole UTF-16 code units for other strings, and returns an unsigned 32-bit integer', () => {
    // An independent BigInt computation of the documented variant.
    const reference = (s: string): number => {
      let h = 0x811c9dc5n;
      for (let i = 0; i < s.length; i++) h = ((h ^ BigInt(s.charCodeAt(i))) * 0x01000193n) & 0xffffffffn;
      return Number(h);
    };
    for (const s of ['€', 'héllo wörld', '😀', 'naïve 中文', 'x'.repeat(1000)]) {
      const h = stringHash(s);
      expect(h).toBe(reference(s));
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
    expect(stringHash('ab')).not.toBe(stringHash('ba'));
  });
});

describe('layoutFor: columns', () => {
  it('keeps schema key order and precomputes per-field arrays', () => {
    const layout = layoutFor(orderSchema);
    expect(layout.names).toEqual(['total', 'paid', 'items', 'status', 'shipped', 'note']);
    expect(layout.kinds).toEqual(['f64', 'f64', 'i32', 'enum', 'bool', 'str']);
    expect(layout.fieldCount).toBe(6);
    expect(layout.stride).toBe(8);
    expect(Array.from(layout.weights)).toEqual([10, 10, 1, 100, 5, 0]);
    expect(Array.from(layout.tolerances)).toEqual([0.01, 0.01, 0, 0, 0, 0]);
    expect(Array.from(layout.categorical)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(Array.from(layout.critical)).toEqual([1, 0, 0, 0, 0, 0]);
    expect(layout.index.get('status')).toBe(3);
    expect(layout.index.get('nope')).toBeUndefined();
  });

  it('rounds the stride up to a multiple of 4, at least 4', () => {
    const widths: [number, number][] = [
      [1, 4],
      [3, 4],
      [4, 4],
      [5, 8],
      [32, 32],
      [33, 36],
      [40, 40],
      [41, 44],
      [MAX_FIELDS, MAX_FIELDS],
    ];
    for (const [fields, stride] of widths) {
      const schema = Object.fromEntries(Array.from({ length: fields }, (_, j) => [`f${j}`, f64()]));
      expect(layoutFor(schema).stride).toBe(stride);
    }
  });

  it('follows JavaScript property order: integer-like keys first', () => {
    expect(layoutFor({ b: f64(), 10: f64(), a: f64(), 2: f64() }).names).toEqual(['2', '10', 'b', 'a']);
  });
});

describe('layoutFor: errors', () => {
  const bad: [string, unknown, RegExp][] = [
    ['an empty schema', {}, /at least one field, got an empty schema/],
    [
      'more than 1024 fields',
      Object.fromEntries(Array.from({ length: MAX_FIELDS + 1 }, (_, j) => [`f${j}`, f64()])),
      /at most 1024 fields, got 1025/,
    ],
    ['a schema that is not an object', null, /must be an object of field specs, got null/],
    ['a number as a field', { x: 5 }, /field 'x': expected a field spec .* got number 5/],
    ['an unknown kind', { x: { ...f64(), kind: 'f32' } }, /field 'x': kind must be one of f64, i32, bool, enum, str, got "f32"/],
    ['a negative weight', { x: { ...f64(), weight: -1 } }, /field 'x': weight must be a finite number >= 0, got number -1/],
    ['a NaN tolerance', { x: { ...f64(), tolerance: NAN } }, /field 'x': tolerance must be/],
    ['a non-boolean critical', { x: { ...f64(), critical: 'yes' } }, /field 'x': critical must be a boolean/],
    ['an enum without values', { x: { ...enumOf(['a']), values: [] } }, /field 'x': an enum needs at least one value/],
    ['an enum with repeated values', { x: { ...enumOf(['a']), values: ['a', 'a'] } }, /distinct values/],
    [
      'an enum initial that is not a member',
      { x: { ...enumOf(['a', 'b']), initial: 'c' } },
      /initial value "c" does not fit a enum field/,
    ],
    ['a bool with a numeric initial', { x: { ...bool(), initial: 0 } }, /initial value number 0 does not fit a bool field/],
  ];
  for (const [label, schema, message] of bad) {
    it(`rejects ${label} with a LayoutError`, () => {
      let error: unknown;
      try {
        layoutFor(schema as StateSchema);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(LayoutError);
      expect((error as LayoutError).code).toBe('INVALID_LAYOUT');
      expect((error as Error).message).toMatch(message);
    });
  }

  it('names the offending field', () => {
    try {
      layoutFor({ ok: f64(), broken: { kind: 'f64' } as unknown as AnyFieldSpec });
      expect.fail('should have thrown');
    } catch (e) {
      expect((e as LayoutError).field).toBe('broken');
    }
  });
});

describe.each([
  ['compiled encoder', true],
  ['generic encoder', false],
])('encode (%s)', (_label, compileEncoder) => {
  const layout = layoutFor(orderSchema, { compileEncoder });

  it('encodes each kind: f64 as is, i32 truncated, bool 0/1, enum index, str hash, padding 0', () => {
    const row = encodeRow(layout, { total: 99.5, paid: -0, items: 3, status: 'paid', shipped: true, note: 'hello' });
    expect(row).toEqual([99.5, -0, 3, 2, 1, stringHash('hello'), 0, 0]);
    expect(Object.is(row[1], -0)).toBe(true);
    expect(
      encodeRow(layout, { total: Number.POSITIVE_INFINITY, paid: NAN, items: 0, status: 'new', shipped: false, note: '' }),
    ).toEqual([Number.POSITIVE_INFINITY, NAN, 0, 0, 0, 0x811c9dc5, 0, 0]);
  });

  it('truncates and wraps i32 like `value | 0`, but a non-finite i32 is missing', () => {
    const items = (v: unknown): number => encodeRow(layout, { ...layout.initialState(), items: v })[2]!;
    expect(items(3.7)).toBe(3);
    expect(items(-3.7)).toBe(-3);
    expect(items(2 ** 32 + 5)).toBe(5);
    expect(items(2 ** 31)).toBe(-(2 ** 31));
    expect(items(NAN)).toBeNaN();
    expect(items(Number.POSITIVE_INFINITY)).toBeNaN();
    expect(items(Number.NEGATIVE_INFINITY)).toBeNaN();
  });

  it('encodes absent, null and wrong-typed values as NaN (missing)', () => {
    expect(encodeRow(layout, {})).toEqual([NAN, NAN, NAN, NAN, NAN, NAN, 0, 0]);
    expect(
      encodeRow(layout, { total: null, paid: undefined, items: null, status: null, shipped: null, note: null }).slice(0, 6),
    ).toEqual(new Array(6).fill(NAN));
    expect(encodeRow(layout, { total: '1', paid: 1n, items: true, status: 2, shipped: 1, note: 5 }).slice(0, 6)).toEqual(
      new Array(6).fill(NAN),
    );
    expect(
      encodeRow(layout, { total: {}, paid: [1], items: '3', status: 'PAID', shipped: 'true', note: ['x'] }).slice(0, 6),
    ).toEqual(new Array(6).fill(NAN));
    expect(
      encodeRow(layout, { total: new Number(1), status: 'constructor', shipped: new Boolean(true), note: new String('x') }).slice(
        0,
        6,
      ),
    ).toEqual(new Array(6).fill(NAN));
  });

  it('re-encodes correctly when a cached enum or str value changes and changes back', () => {
    const s = layout.initialState();
    const codes: number[][] = [];
    for (const [status, note] of [
      ['new', 'a'],
      ['paid', 'b'],
      ['paid', 'b'],
      ['new', 'a'],
      ['bogus', 'a'],
      ['new', 'a'],
    ]) {
      const row = encodeRow(layout, { ...s, status, note });
      codes.push([row[3]!, row[5]!]);
    }
    const [a, b] = [stringHash('a'), stringHash('b')];
    expect(codes).toEqual([
      [0, a],
      [2, b],
      [2, b],
      [0, a],
      [NAN, a],
      [0, a],
    ]);
  });

  it('writes padding as 0 even over stale values', () => {
    const out = new Float64Array(8).fill(NAN);
    layout.encode(layout.initialState(), out, 0);
    expect([out[6], out[7]]).toEqual([0, 0]);
  });
});

describe('encode: compiled and generic encoders agree bit for bit (property)', () => {
  const schemaArb = fc
    .uniqueArray(
      fc.record({
        name: fc.oneof(
          fc.string(),
          fc.constantFrom('__proto__', 'constructor', '"];throw 1;//', '\\', '\u2028', 'a b', '0', '17'),
        ),
        kind: fc.constantFrom('f64', 'i32', 'bool', 'enum', 'str'),
        values: fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 4 }),
      }),
      { minLength: 1, maxLength: 12, selector: (f) => f.name },
    )
    .map((fields) => {
      const schema: Record<string, AnyFieldSpec> = {};
      for (const f of fields) {
        const spec =
          f.kind === 'f64'
            ? f64()
            : f.kind === 'i32'
              ? i32()
              : f.kind === 'bool'
                ? bool()
                : f.kind === 'str'
                  ? str()
                  : enumOf(f.values as [string, ...string[]]);
        Object.defineProperty(schema, f.name, { value: spec, enumerable: true, writable: true, configurable: true });
      }
      return schema;
    });
  const valueArb = fc.oneof(
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.string(),
    fc.constantFrom(null, undefined, '', 'a'),
    fc.object(),
  );

  it('on random schemas (odd field names included) and random states', () => {
    fc.assert(
      fc.property(
        schemaArb,
        fc.array(fc.array(valueArb, { minLength: 12, maxLength: 12 }), { minLength: 1, maxLength: 5 }),
        (schema, rows) => {
          const compiled = layoutFor(schema, { compileEncoder: true });
          const generic = layoutFor(schema, { compileEncoder: false });
          for (const values of rows) {
            const state: Record<string, unknown> = {};
            compiled.names.forEach((name, j) => {
              const spec = schema[name]!;
              // Enum fields: a member half the time, so both paths see hits and misses.
              const value = spec.kind === 'enum' && j % 2 === 0 ? spec.values[0] : values[j];
              Object.defineProperty(state, name, { value, enumerable: true });
            });
            const a = new Float64Array(compiled.stride);
            const b = new Float64Array(generic.stride);
            compiled.encode(state, a, 0);
            generic.encode(state, b, 0);
            expect(bits(a)).toEqual(bits(b));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('handles schemas wider than MAX_COMPILED_FIELDS with the generic loop', () => {
    const schema = Object.fromEntries(
      Array.from({ length: MAX_COMPILED_FIELDS + 1 }, (_, j) => [`f${j}`, j % 2 ? str() : f64()]),
    );
    const layout = layoutFor(schema);
    const state = Object.fromEntries(layout.names.map((n, j) => [n, j % 2 ? `s${j}` : j]));
    const out = new Float64Array(layout.stride);
    layout.encode(state, out, 0);
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(stringHash('s1'));
    expect(out[MAX_COMPILED_FIELDS]).toBe(MAX_COMPILED_FIELDS);
  });
});

describe('decodeField', () => {
  const layout = layoutFor(orderSchema);

  it('decodes each kind; NaN is null', () => {
    expect(layout.decodeField(0, 99.5)).toBe(99.5);
    expect(layout.decodeField(2, -3)).toBe(-3);
    expect(layout.decodeField(3, 2)).toBe('paid');
    expect(layout.decodeField(4, 1)).toBe(true);
    expect(layout.decodeField(4, 0)).toBe(false);
    expect(layout.decodeField(5, stringHash('hello'))).toBe(stringHash('hello'));
    for (let j = 0; j < layout.fieldCount; j++) expect(layout.decodeField(j, NAN)).toBeNull();
  });

  it('decodes an enum code out of range or fractional as null', () => {
    expect(layout.decodeField(3, 5)).toBeNull();
    expect(layout.decodeField(3, -1)).toBeNull();
    expect(layout.decodeField(3, 1.5)).toBeNull();
  });

  it('round-trips encode for f64, i32, bool and enum values', () => {
    const state = { total: 12.25, paid: -1e300, items: -7, status: 'shipped', shipped: true, note: 'n' };
    const out = new Float64Array(layout.stride);
    layout.encode(state, out, 0);
    expect(layout.names.slice(0, 5).map((_, j) => layout.decodeField(j, out[j]!))).toEqual([12.25, -1e300, -7, 'shipped', true]);
  });

  it('throws FieldOutOfRangeError for a column that is not a field (padding included)', () => {
    for (const j of [-1, 6, 7, 1.5]) expect(() => layout.decodeField(j, 0)).toThrow(FieldOutOfRangeError);
  });
});

describe('initialState', () => {
  it('holds each field initial value, as a fresh object each time', () => {
    const layout = layoutFor(orderSchema);
    const a = layout.initialState();
    expect(a).toEqual({ total: 0, paid: 0, items: 0, status: 'new', shipped: true, note: 'hi' });
    a['total'] = 5;
    expect(layout.initialState()['total']).toBe(0);
    expect(encodeRow(layout, layout.initialState())).toEqual([0, 0, 0, 0, 1, stringHash('hi'), 0, 0]);
  });

  it('keeps a field named __proto__ as an own field', () => {
    const schema: Record<string, AnyFieldSpec> = {};
    Object.defineProperty(schema, '__proto__', { value: f64({ initial: 3 }), enumerable: true });
    const state = layoutFor(schema).initialState();
    expect(Object.keys(state)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(state)).toBe(Object.prototype);
  });
});
