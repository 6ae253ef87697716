/**
 * The packing of float64 values into f32 parts for the GPU backends (f32-pair.ts): exact for every
 * carried value, canonical (equal values, equal parts; different values, different parts), and
 * marking what the device must not see (NaN, values outside the carried range).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FIELD_PARAM_WORDS,
  HOST_MARK,
  isCarried,
  MISSING_MARK,
  PARTS_PER_VALUE,
  packFieldParams,
  packRows,
  packTolerance,
  packValue,
  packWeight,
  TOLERANCE_ALL_PASS,
  TOLERANCE_HOST,
  TOLERANCE_TRIPLE,
  TOLERANCE_ZERO,
  unpackValue,
  VALUE_MAX_MAGNITUDE,
  VALUE_MIN_MAGNITUDE,
  WEIGHT_HOST,
  WEIGHT_PAIR,
  WEIGHT_ZERO,
} from '../../ts/compare/backends/f32-pair.js';
import { makeLayout, SPECIAL_VALUES } from './conformance.js';

const F32_MIN_NORMAL = 2 ** -126;

function parts(x: number): [number, number, number] {
  const out = new Float32Array(3);
  packValue(x, out, 0);
  return [out[0]!, out[1]!, out[2]!];
}

/** Doubles across the carried range, with full 53-bit mantissas. */
const carried = fc
  .tuple(fc.double({ min: 1, max: 2, noNaN: true, maxExcluded: true }), fc.integer({ min: -70, max: 59 }), fc.boolean())
  .map(([m, e, negative]) => (negative ? -1 : 1) * m * 2 ** e);

describe('f32-pair packing', () => {
  it('represents every carried double exactly as hi + lo + tail, each part an f32 normal or 0', () => {
    fc.assert(
      fc.property(carried, (x) => {
        expect(isCarried(x)).toBe(true);
        const [hi, lo, tail] = parts(x);
        expect(hi + lo + tail).toBe(x);
        for (const part of [hi, lo, tail]) {
          expect(Math.fround(part)).toBe(part);
          expect(part === 0 || Math.abs(part) >= F32_MIN_NORMAL).toBe(true);
        }
        expect(hi).toBe(Math.fround(x));
        expect(lo).toBe(Math.fround(x - hi));
        expect(unpackValue(Float32Array.of(hi, lo, tail), 0)).toBe(x);
      }),
      { numRuns: 2000 },
    );
  });

  it('is canonical: equal values give equal parts, different values different parts', () => {
    fc.assert(
      fc.property(carried, fc.integer({ min: -4, max: 4 }), (x, ulps) => {
        // A neighbour a few ulps away: same hi and often the same lo, the tail tells them apart.
        const y = x + ulps * 2 ** (Math.floor(Math.log2(Math.abs(x))) - 52);
        if (!isCarried(y)) return;
        const same = parts(x).every((p, i) => p === parts(y)[i]);
        expect(same).toBe(x === y);
      }),
      { numRuns: 2000 },
    );
    expect(parts(-0)).toEqual([0, 0, 0]);
    expect(Object.is(parts(-0)[0], 0)).toBe(true);
  });

  it('marks NaN as missing and what the device cannot carry as held on the host', () => {
    expect(parts(Number.NaN)).toEqual([MISSING_MARK, 0, 0]);
    for (const x of [
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.MAX_VALUE,
      -1e300,
      VALUE_MAX_MAGNITUDE,
      -VALUE_MAX_MAGNITUDE,
      Number.MIN_VALUE,
      1e-300,
      VALUE_MIN_MAGNITUDE / 2,
    ]) {
      expect(isCarried(x), String(x)).toBe(false);
      expect(parts(x), String(x)).toEqual([HOST_MARK, 0, 0]);
      expect(unpackValue(Float32Array.of(...parts(x)), 0)).toBeUndefined();
    }
    for (const x of [0, VALUE_MIN_MAGNITUDE, -VALUE_MIN_MAGNITUDE, VALUE_MAX_MAGNITUDE * (1 - 2 ** -53), 1e12 + 0.01, 0.1]) {
      expect(isCarried(x), String(x)).toBe(true);
    }
    expect(Number.isNaN(unpackValue(Float32Array.of(MISSING_MARK, 0, 0), 0))).toBe(true);
    // The marks are outside the carried range, so no value collides with them.
    expect(isCarried(MISSING_MARK)).toBe(false);
    expect(isCarried(HOST_MARK)).toBe(false);
  });

  it('never hands the device a NaN or an infinity (shader compilers may assume there are none)', () => {
    const values = [...SPECIAL_VALUES, -0, VALUE_MAX_MAGNITUDE, VALUE_MIN_MAGNITUDE / 2];
    const src = Float64Array.from(values);
    const out = new Float32Array(values.length * PARTS_PER_VALUE);
    packRows(src, values.length, values.length, 0, 1, out, 0);
    for (const part of out) expect(Number.isFinite(part)).toBe(true);
  });

  it('packs row ranges without reading padding columns, counting host-held values', () => {
    const layout = makeLayout([1, 1, 1], [0, 0, 0], [false, false, false]);
    const stride = layout.stride;
    const src = Float64Array.of(1, 2, 3, 999, 0.1, Number.NaN, Number.POSITIVE_INFINITY, 999, 1e-300, -0, 7, 999);
    const out = new Float32Array(2 * 3 * PARTS_PER_VALUE + 6).fill(-1);
    const held = packRows(src, stride, 3, 1, 2, out, 6);
    expect(held).toBe(2);
    expect(Array.from(out.subarray(0, 6))).toEqual([-1, -1, -1, -1, -1, -1]);
    const values = [0, 1, 2, 3, 4, 5].map((k) => unpackValue(out, 6 + k * PARTS_PER_VALUE));
    expect(values).toEqual([0.1, Number.NaN, undefined, undefined, 0, 7]);
  });

  it('classifies weights and tolerances for the shaders', () => {
    expect(packWeight(0).state).toBe(WEIGHT_ZERO);
    expect(packWeight(1e-300).state).toBe(WEIGHT_HOST);
    expect(packWeight(2 ** 100).state).toBe(WEIGHT_HOST);
    const w = packWeight(12.3);
    expect(w.state).toBe(WEIGHT_PAIR);
    expect(Math.abs(w.hi + w.lo - 12.3)).toBeLessThanOrEqual(12.3 * 2 ** -48);

    expect(packTolerance(0).state).toBe(TOLERANCE_ZERO);
    expect(packTolerance(1e-40).state).toBe(TOLERANCE_ZERO);
    expect(packTolerance(2 ** 62).state).toBe(TOLERANCE_ALL_PASS);
    expect(packTolerance(1e300).state).toBe(TOLERANCE_ALL_PASS);
    // Between 2^-122 and about 2^-74 the tail would be subnormal in f32: held on the host.
    expect(packTolerance(3e-30).state).toBe(TOLERANCE_HOST);
    for (const t of [0.005, 0.25, 1e-9, 123456.789]) {
      const packed = packTolerance(t);
      expect(packed.state).toBe(TOLERANCE_TRIPLE);
      expect(packed.hi + packed.lo + packed.tail).toBe(t);
    }
  });

  it('packs field parameters, FIELD_PARAM_WORDS per field', () => {
    const layout = makeLayout([0, 2.5, 1e-300], [0.25, 0, 1e300], [false, true, false]);
    const params = packFieldParams(layout);
    expect(params.length).toBe(3 * FIELD_PARAM_WORDS);
    expect(Array.from(params.subarray(0, FIELD_PARAM_WORDS))).toEqual([0, WEIGHT_ZERO, 0, 0, TOLERANCE_TRIPLE, 0.25, 0, 0]);
    expect(Array.from(params.subarray(FIELD_PARAM_WORDS, 2 * FIELD_PARAM_WORDS))).toEqual([
      1,
      WEIGHT_PAIR,
      2.5,
      0,
      TOLERANCE_ZERO,
      0,
      0,
      0,
    ]);
    expect(params[2 * FIELD_PARAM_WORDS + 1]).toBe(WEIGHT_HOST);
    expect(params[2 * FIELD_PARAM_WORDS + 4]).toBe(TOLERANCE_ALL_PASS);
    // Reuses a large enough array.
    const scratch = new Float32Array(10 * FIELD_PARAM_WORDS);
    expect(packFieldParams(layout, scratch)).toBe(scratch);
  });
});
