/**
 * How the GPU backends (`webgpu`, `gpujs`) carry float64 values in f32, which is all they compute in.
 *
 * A value x travels as the hi/lo pair of DESIGN.md section 6, hi = f32(x) and lo = f32(x - hi), plus
 * a third f32, the tail = f32(x - hi - lo). Why the tail: a pair holds 48 significant bits, a double
 * 53, so most real values (0.1, 19.99, any measured quantity) are NOT hi + lo. Without the tail the
 * device cannot tell whether two such values are equal (identical 53-bit values and values differing
 * in their last bits give the same pair), and the rule's `p === m` and `d <= t` must be exact. With it,
 * every double in the carried range is exactly hi + lo + tail, so equality is a comparison of three
 * f32 and the shader's df64 ("double-float") arithmetic starts from exact inputs.
 *
 * The carried range is 0 and 2^-70 <= |x| < 2^60. Inside it x - hi and x - hi - lo are exact in
 * float64, every part is an f32 normal number or 0 (no subnormals, which GPUs may flush to zero),
 * and all differences of parts are multiples of 2^-122 (so the shader's sums never underflow). Values
 * outside it (infinities, |x| >= 2^60 such as 1e300 or Number.MAX_VALUE, 0 < |x| < 2^-70 such as
 * 1e-300 or Number.MIN_VALUE) are written as {@link HOST_MARK}: the shader flags their row and the
 * host recomputes that row with the reference oracle (`js.ts`). NaN (missing) is written as
 * {@link MISSING_MARK}. Both marks are finite numbers no carried value can have, so the shaders never
 * see a NaN: compilers may assume there is none (on lavapipe, WGSL `x != x` is false for a NaN).
 * -0 is written as +0 (the rule treats them as equal, and this makes equal values equal part by part).
 *
 * Layout: a packed matrix holds `fieldCount` values per row (no padding columns), each as three
 * consecutive f32: hi, lo, tail.
 */
import type { ComparisonLayout } from '../comparator.js';

/** f32 per packed value: hi, lo, tail. */
export const PARTS_PER_VALUE = 3;

/** Smallest non-zero magnitude carried to the device (2^-70). */
export const VALUE_MIN_MAGNITUDE = 2 ** -70;
/** Magnitudes from here on (2^60) are held on the host. */
export const VALUE_MAX_MAGNITUDE = 2 ** 60;
/** The hi part of a missing (NaN) value; lo and tail are 0. Outside the carried range, so it never collides. */
export const MISSING_MARK = 2 ** 100;
/** The hi part of a value the device cannot carry (see the module header); lo and tail are 0. */
export const HOST_MARK = 2 ** 110;

/**
 * Smallest non-zero contribution (and weight) the shaders compute: below it the error terms of a df64
 * product would fall under f32's normal range. A smaller non-zero contribution flags its row for the
 * host. Same bound for weights and missingWeight (a smaller non-zero one is held on the host).
 */
export const CONTRIBUTION_MIN = 2 ** -70;
/** Contributions, weights x differences, and row sums from here on (2^100) are left to the host (f32 overflow). */
export const CONTRIBUTION_MAX = 2 ** 100;

/**
 * Tolerances below this (2^-122) behave as 0: carried values are multiples of 2^-122, so a non-zero
 * difference is at least that large and is above such a tolerance whatever it is.
 */
export const TOLERANCE_ZERO_BELOW = 2 ** -122;
/** Tolerances from here on (2^62) let every carried difference pass (|p - m| < 2^61). */
export const TOLERANCE_ALL_PASS_FROM = 2 ** 62;

/** How a weight (or missingWeight) reaches the shader. */
export const WEIGHT_ZERO = 0;
/** As a hi/lo pair (relative error <= 2^-48). */
export const WEIGHT_PAIR = 1;
/** Outside [2^-70, 2^100): a row where it contributes is recomputed on the host. */
export const WEIGHT_HOST = 2;

/** How a tolerance reaches the shader: 0 or below {@link TOLERANCE_ZERO_BELOW}. */
export const TOLERANCE_ZERO = 0;
/** As an exact hi + lo + tail. */
export const TOLERANCE_TRIPLE = 1;
/** At or above {@link TOLERANCE_ALL_PASS_FROM}: no carried difference exceeds it. */
export const TOLERANCE_ALL_PASS = 2;
/** Not exact as three normal f32 (between 2^-122 and about 2^-74): a row where it decides is recomputed on the host. */
export const TOLERANCE_HOST = 3;

/**
 * f32 per field in the packed field parameters:
 * [categorical 0/1, weight state, weight hi, weight lo, tolerance state, tolerance hi, lo, tail].
 */
export const FIELD_PARAM_WORDS = 8;

const F32_MIN_NORMAL = 2 ** -126;

/** Whether `x` (not NaN) is carried to the device exactly as hi + lo + tail. */
export function isCarried(x: number): boolean {
  const a = Math.abs(x);
  return a < VALUE_MAX_MAGNITUDE && (a >= VALUE_MIN_MAGNITUDE || a === 0);
}

/**
 * Writes the three parts of `x` at `out[i .. i + 2]` and returns how it was written: 0 carried,
 * 1 missing, 2 held on the host. One value at a time; {@link packRows} is the loop.
 */
export function packValue(x: number, out: Float32Array, i: number): 0 | 1 | 2 {
  if (Number.isNaN(x)) {
    out[i] = MISSING_MARK;
    out[i + 1] = 0;
    out[i + 2] = 0;
    return 1;
  }
  if (!isCarried(x)) {
    out[i] = HOST_MARK;
    out[i + 1] = 0;
    out[i + 2] = 0;
    return 2;
  }
  // y + 0 turns -0 into +0; the other parts are then +0 too (z - z is +0).
  const y = x + 0;
  const hi = Math.fround(y);
  const rest = y - hi;
  const lo = Math.fround(rest);
  out[i] = hi;
  out[i + 1] = lo;
  out[i + 2] = rest - lo;
  return 0;
}

/**
 * Packs rows `rowStart .. rowStart + rowCount - 1` of a row-major float64 matrix (`stride` values
 * per row, the first `fieldCount` of them fields) into `out` from `outOffset` (in f32), row after
 * row, {@link PARTS_PER_VALUE} f32 per field. Padding columns are not read.
 * @returns how many values were written as {@link HOST_MARK}.
 */
export function packRows(
  src: Float64Array,
  stride: number,
  fieldCount: number,
  rowStart: number,
  rowCount: number,
  out: Float32Array,
  outOffset: number,
): number {
  let hostValues = 0;
  let o = outOffset;
  for (let r = 0; r < rowCount; r++) {
    const base = (rowStart + r) * stride;
    for (let j = 0; j < fieldCount; j++) {
      const x = src[base + j]!;
      // The common case inline (packValue does the same): a carried value, split in three.
      const a = Math.abs(x);
      if (a < VALUE_MAX_MAGNITUDE && (a >= VALUE_MIN_MAGNITUDE || a === 0)) {
        const y = x + 0;
        const hi = Math.fround(y);
        const rest = y - hi;
        const lo = Math.fround(rest);
        out[o] = hi;
        out[o + 1] = lo;
        out[o + 2] = rest - lo;
      } else if (Number.isNaN(x)) {
        out[o] = MISSING_MARK;
        out[o + 1] = 0;
        out[o + 2] = 0;
      } else {
        out[o] = HOST_MARK;
        out[o + 1] = 0;
        out[o + 2] = 0;
        hostValues++;
      }
      o += PARTS_PER_VALUE;
    }
  }
  return hostValues;
}

/**
 * The value packed at `packed[i .. i + 2]`: exact for carried values (hi + lo + tail in float64),
 * NaN for {@link MISSING_MARK}, undefined for {@link HOST_MARK} (the device does not have it).
 */
export function unpackValue(packed: Float32Array, i: number): number | undefined {
  const hi = packed[i]!;
  if (hi === MISSING_MARK) return Number.NaN;
  if (hi === HOST_MARK) return undefined;
  return hi + packed[i + 1]! + packed[i + 2]!;
}

/** A weight as the shaders take it: state ({@link WEIGHT_ZERO} / PAIR / HOST) and hi/lo pair. */
export interface PackedWeight {
  readonly state: number;
  readonly hi: number;
  readonly lo: number;
}

/** Classifies and splits a weight or missingWeight (finite, >= 0: the caller validated it). */
export function packWeight(w: number): PackedWeight {
  if (w === 0) return { state: WEIGHT_ZERO, hi: 0, lo: 0 };
  if (w < CONTRIBUTION_MIN || w >= CONTRIBUTION_MAX) return { state: WEIGHT_HOST, hi: 0, lo: 0 };
  const hi = Math.fround(w);
  return { state: WEIGHT_PAIR, hi, lo: Math.fround(w - hi) };
}

/** A tolerance as the shaders take it: state ({@link TOLERANCE_ZERO} / ...) and its exact parts. */
export interface PackedTolerance {
  readonly state: number;
  readonly hi: number;
  readonly lo: number;
  readonly tail: number;
}

/** Classifies and splits a tolerance (finite, >= 0: the caller validated it). */
export function packTolerance(t: number): PackedTolerance {
  if (t < TOLERANCE_ZERO_BELOW) return { state: TOLERANCE_ZERO, hi: 0, lo: 0, tail: 0 };
  if (t >= TOLERANCE_ALL_PASS_FROM) return { state: TOLERANCE_ALL_PASS, hi: 0, lo: 0, tail: 0 };
  const hi = Math.fround(t);
  const rest = t - hi;
  const lo = Math.fround(rest);
  const tail = Math.fround(rest - lo);
  const normal = (x: number): boolean => x === 0 || Math.abs(x) >= F32_MIN_NORMAL;
  if (hi + lo + tail !== t || !normal(hi) || !normal(lo) || !normal(tail)) {
    return { state: TOLERANCE_HOST, hi: 0, lo: 0, tail: 0 };
  }
  return { state: TOLERANCE_TRIPLE, hi, lo, tail };
}

/**
 * The layout's per-field constants for the shaders, {@link FIELD_PARAM_WORDS} f32 per field. Into
 * `out` when given and large enough (reused between comparisons), else a new array.
 */
export function packFieldParams(layout: ComparisonLayout, out?: Float32Array): Float32Array {
  const n = layout.fieldCount;
  const params = out !== undefined && out.length >= n * FIELD_PARAM_WORDS ? out : new Float32Array(n * FIELD_PARAM_WORDS);
  for (let j = 0; j < n; j++) {
    const w = packWeight(layout.weights[j]!);
    const t = packTolerance(layout.tolerances[j]!);
    const o = j * FIELD_PARAM_WORDS;
    params[o] = layout.categorical[j]! === 0 ? 0 : 1;
    params[o + 1] = w.state;
    params[o + 2] = w.hi;
    params[o + 3] = w.lo;
    params[o + 4] = t.state;
    params[o + 5] = t.hi;
    params[o + 6] = t.lo;
    params[o + 7] = t.tail;
  }
  return params;
}
