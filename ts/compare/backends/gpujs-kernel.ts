/**
 * The deviation rule as a gpu.js kernel: the same algorithm as shaders/row-deviation.wgsl (read
 * that file's comments for the why of each step), written in the JavaScript subset gpu.js
 * transpiles. It is kept as source text, not as a function, so the TypeScript build cannot change
 * what gpu.js parses, and the constants of f32-pair.ts / gpu-precision.ts are spliced in from one
 * place.
 *
 * Shape. gpu.js returns flat arrays fast and nested ones (Array(4) results, 2D outputs) very slowly
 * (measured: 1,000,000 rows took 1.4-2.7 s more), so the output is flat: OUTPUTS_PER_ROW(chunks)
 * numbers per row, thread x computing output k of row floor(x / width):
 *   k = 0: deviation hi, or -(flags) when the row must be recomputed on the host;
 *   k = 1: deviation lo (0 when flagged);
 *   k = 2 + c: the affected bits of fields 16c .. 16c + 15, as a sum of powers of two (exact in f32).
 * Threads k = 0 and 1 evaluate the whole row, mask threads only their 16 fields.
 *
 * Opaque rounding. Each rounded step is written `(expr) + z` with z = 0 passed as an argument: the
 * shader compiler cannot fold what it cannot see (on lavapipe, gpu.js's WGSL loses TwoSum's error
 * term in chained sums otherwise). gpu.js's language has no bitcast, so the XOR used by
 * shaders/df64.wgsl is not available; the per-mode self-test (gpujs-modes.ts) checks the result.
 *
 * Precision per mode: gpu.js's `webgpu` and `webasm` modes compute in f32, its `cpu` mode in
 * float64 (plain JavaScript) with f32 outputs. The algorithm holds in both (error-free
 * transformations are exact in any binary precision); in float64 the final pair is re-split into
 * two f32 (argument f64Mode = 1) so storing it in the f32 output loses nothing.
 */
import { CONTRIBUTION_MAX, CONTRIBUTION_MIN, HOST_MARK, MISSING_MARK } from './f32-pair.js';

/** Fields per mask output (2^16 > every sum of 16 distinct bits; f32 holds it exactly). */
export const MASK_FIELDS_PER_OUTPUT = 16;

/** Outputs per row for `fieldCount` fields. */
export function outputsPerRow(fieldCount: number): number {
  return 2 + Math.ceil(fieldCount / MASK_FIELDS_PER_OUTPUT);
}

/** The kernel's parameters, in order (gpu.js takes them positionally). */
export const KERNEL_ARGUMENT_TYPES = {
  primary: 'Array',
  mirror: 'Array',
  fields: 'Array',
  n: 'Float',
  chunks: 'Float',
  missingState: 'Float',
  missingHi: 'Float',
  missingLo: 'Float',
  z: 'Float',
  f64Mode: 'Float',
} as const;

const F = (x: number): string => x.toExponential();

/** Helper functions, scalar results only (a gpu.js function returns one value). */
export const HELPER_SOURCES: readonly string[] = [
  // e with s + e == a + b exactly, s = fl(a + b) computed by the caller (Knuth's TwoSum).
  `function twoSumErr(a, b, s, z) {
  const v = (s - a) + z;
  return ((a - ((s - v) + z)) + z) + ((b - v) + z);
}`,
  // High part of Veltkamp's split by factor (2^12 + 1 for f32, 2^29 + 1 to cut a double to 24 bits).
  `function splitHi(a, factor, z) {
  const c = (factor * a) + z;
  const big = (c - a) + z;
  return (c - big) + z;
}`,
  // e with p + e == a * b exactly, p = fl(a * b) computed by the caller (Dekker's TwoProduct).
  `function twoProdErr(a, b, p, z) {
  const ah = splitHi(a, 4097.0, z);
  const al = (a - ah) + z;
  const bh = splitHi(b, 4097.0, z);
  const bl = (b - bh) + z;
  const e1 = (((ah * bh) + z) - p) + z;
  const e2 = (e1 + ((ah * bl) + z)) + z;
  const e3 = (e2 + ((al * bh) + z)) + z;
  return e3 + ((al * bl) + z);
}`,
];

/** The kernel (see the module header); parameters as {@link KERNEL_ARGUMENT_TYPES}. */
export const KERNEL_SOURCE = `function (primary, mirror, fields, n, chunks, missingState, missingHi, missingLo, z, f64Mode) {
  const width = 2 + chunks;
  // x + 0.5 keeps the quotient off integers, so a division a few ulps off cannot floor wrongly
  // (exact for x < 2^21, which the caller's chunking guarantees).
  const row = Math.floor((this.thread.x + 0.5) / width);
  const k = this.thread.x - row * width;
  let jStart = 0;
  let count = n;
  if (k >= 2) {
    jStart = (k - 2) * ${MASK_FIELDS_PER_OUTPUT};
    count = Math.min(n - jStart, ${MASK_FIELDS_PER_OUTPUT});
  }
  let sh = 0.0;
  let sl = 0.0;
  let host = 0.0;
  let uncertain = 0.0;
  let range = 0.0;
  let mask = 0.0;
  let bit = 1.0;
  const rowBase = row * n * 3;
  for (let jj = 0; jj < count; jj++) {
    const j = jStart + jj;
    const b = rowBase + j * 3;
    const ph = primary[b];
    const pl = primary[b + 1];
    const pt = primary[b + 2];
    const mh = mirror[b];
    const ml = mirror[b + 1];
    const mt = mirror[b + 2];
    let affected = 0.0;
    let ch = 0.0;
    let cl = 0.0;
    if (ph === mh && pl === ml && pt === mt) {
      if (ph === ${F(HOST_MARK)}) {
        host = 1.0;
      }
    } else if (ph === ${F(HOST_MARK)} || mh === ${F(HOST_MARK)}) {
      host = 1.0;
    } else if (ph === ${F(MISSING_MARK)} || mh === ${F(MISSING_MARK)}) {
      affected = 1.0;
      if (missingState === 1) {
        ch = missingHi;
        cl = missingLo;
      }
      if (missingState === 2) {
        range = 1.0;
      }
    } else {
      const f = j * 8;
      const weightState = fields[f + 1];
      const wh = fields[f + 2];
      const wl = fields[f + 3];
      if (weightState !== 0) {
        if (fields[f] !== 0) {
          affected = 1.0;
          if (weightState === 1) {
            ch = wh;
            cl = wl;
          } else {
            range = 1.0;
          }
        } else {
          const tolState = fields[f + 4];
          if (tolState === 3) {
            uncertain = 1.0;
          } else if (tolState !== 2) {
            const s1 = (ph - mh) + z;
            const e1 = twoSumErr(ph, -mh, s1, z);
            const s2 = (pl - ml) + z;
            const e2 = twoSumErr(pl, -ml, s2, z);
            const s3 = (pt - mt) + z;
            const e3 = twoSumErr(pt, -mt, s3, z);
            let acc = (s1 + s2) + z;
            let q = twoSumErr(s1, s2, acc, z);
            let sigma = q;
            let spread = Math.abs(q);
            let next = (acc + e1) + z;
            q = twoSumErr(acc, e1, next, z);
            acc = next;
            sigma = (sigma + q) + z;
            spread = spread + Math.abs(q);
            next = (acc + s3) + z;
            q = twoSumErr(acc, s3, next, z);
            acc = next;
            sigma = (sigma + q) + z;
            spread = spread + Math.abs(q);
            next = (acc + e2) + z;
            q = twoSumErr(acc, e2, next, z);
            acc = next;
            sigma = (sigma + q) + z;
            spread = spread + Math.abs(q);
            next = (acc + e3) + z;
            q = twoSumErr(acc, e3, next, z);
            acc = next;
            sigma = (sigma + q) + z;
            spread = spread + Math.abs(q);
            let dh = (acc + sigma) + z;
            let dl = twoSumErr(acc, sigma, dh, z);
            const dz = spread * ${F(2 ** -21)};
            if (dh < 0) {
              dh = -dh;
              dl = -dl;
            }
            if (dh === 0) {
              uncertain = 1.0;
            } else {
              let verdict = 1.0;
              if (tolState === 1) {
                const th = fields[f + 5];
                const tl = fields[f + 6];
                const tt = fields[f + 7];
                let g = (dh - th) + z;
                let gq = twoSumErr(dh, -th, g, z);
                let gs = gq;
                let gspread = Math.abs(gq);
                let gnext = (g + dl) + z;
                gq = twoSumErr(g, dl, gnext, z);
                g = gnext;
                gs = (gs + gq) + z;
                gspread = gspread + Math.abs(gq);
                gnext = (g - tl) + z;
                gq = twoSumErr(g, -tl, gnext, z);
                g = gnext;
                gs = (gs + gq) + z;
                gspread = gspread + Math.abs(gq);
                gnext = (g - tt) + z;
                gq = twoSumErr(g, -tt, gnext, z);
                g = gnext;
                gs = (gs + gq) + z;
                gspread = gspread + Math.abs(gq);
                const gh = (g + gs) + z;
                const margin = gspread * ${F(2 ** -20)} + 2.0 * dz;
                if (gh > margin) {
                  verdict = 1.0;
                } else if (gh <= -margin) {
                  verdict = 0.0;
                } else {
                  verdict = 2.0;
                }
              }
              if (verdict === 2.0) {
                uncertain = 1.0;
              } else if (verdict === 1.0) {
                affected = 1.0;
                if (dz > ${F(2 ** -40)} * dh) {
                  uncertain = 1.0;
                } else if (weightState !== 1) {
                  range = 1.0;
                } else {
                  const p = (wh * dh) + z;
                  const pe = twoProdErr(wh, dh, p, z);
                  const e = (pe + ((((wh * dl) + z) + ((wl * dh) + z)) + z)) + z;
                  ch = (p + e) + z;
                  cl = (e - ((ch - p) + z)) + z;
                  if (ch < ${F(CONTRIBUTION_MIN)} || ch >= ${F(CONTRIBUTION_MAX)}) {
                    range = 1.0;
                    ch = 0.0;
                    cl = 0.0;
                  }
                }
              }
            }
          }
        }
      }
    }
    if (affected === 1.0) {
      mask = mask + bit;
    }
    if (ch !== 0.0) {
      const s = (sh + ch) + z;
      const se = twoSumErr(sh, ch, s, z);
      const e = (se + ((sl + cl) + z)) + z;
      sh = (s + e) + z;
      sl = (e - ((sh - s) + z)) + z;
    }
    bit = bit * 2.0;
  }
  if (sh >= ${F(CONTRIBUTION_MAX)}) {
    range = 1.0;
  }
  const flags = host + 2.0 * uncertain + 4.0 * range;
  if (k === 0) {
    if (flags > 0) {
      return -flags;
    }
    if (f64Mode === 1) {
      return splitHi(sh, 536870913.0, z);
    }
    return sh;
  }
  if (k === 1) {
    if (flags > 0) {
      return 0.0;
    }
    if (f64Mode === 1) {
      return ((sh - splitHi(sh, 536870913.0, z)) + z) + sl;
    }
    return sl;
  }
  return mask;
}`;

/**
 * A probe kernel: (a + b) - a. Gives b's low bits back in float64 (gpu.js cpu mode) and loses them
 * in f32, which is how a mode's arithmetic is told apart without trusting its name.
 */
export const PRECISION_PROBE_SOURCE = `function (a, b, z) {
  return (((a + b) + z) - a) + z;
}`;
