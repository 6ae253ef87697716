/**
 * The one conformance suite every comparator backend runs (STYLE.md habit 4): it checks a backend
 * against the reference `compareRowsSync` (the oracle) on fixed edge cases and random cases.
 *
 * Usage, in `test/compare/<backend>-conformance.test.ts`:
 *
 * ```ts
 * runComparatorConformance('wasm-simd', () => createWasmComparator());
 * ```
 *
 * Not a `.test.ts` file itself: it only registers `describe`/`it` blocks when called.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRowsSync } from '../../ts/compare/backends/js.js';
import type { Comparator, CompareOptions, ComparisonLayout, ComparisonResult } from '../../ts/compare/comparator.js';
import { maskWordsFor } from '../../ts/compare/comparator.js';
import { ComparisonInputError } from '../../ts/compare/errors.js';

/** How close a backend's deviations must be to the oracle's. Masks, row ranges and shapes are always exact. */
export interface ConformanceOptions {
  /**
   * Allowed deviation error: |actual - expected| <= absolute + relative * |expected|. Default
   * exact (0, 0). A backend that sums in another order (SIMD lanes) or in df64 on a GPU passes
   * its documented bound here. Infinity must still be Infinity exactly.
   */
  readonly deviationTolerance?: { readonly relative: number; readonly absolute?: number };
  /**
   * Fields of the 1,000,000-row case (default 8). The case always runs: a backend too slow for it
   * here is a bug to fix, not a case to skip.
   */
  readonly largeFleetFields?: number;
}

/** A comparison to run on both the backend and the oracle. */
export interface ConformanceCase {
  readonly label: string;
  readonly layout: ComparisonLayout;
  readonly primary: Float64Array;
  readonly mirror: Float64Array;
  readonly options?: CompareOptions;
}

/** Values that break naive kernels: missing, signed zeros, infinities, extremes, close pairs. */
export const SPECIAL_VALUES: readonly number[] = [
  Number.NaN,
  0,
  -0,
  1,
  -1,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  1e12,
  1e12 + 0.01,
  1e-300,
  0.1 + 0.2,
  0.3,
];

/** A small deterministic PRNG (mulberry32), so fixed cases are the same on every run and every backend. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A layout of `fieldCount` fields with mixed kinds, weights (zero included) and tolerances, drawn from `seed`. */
export function randomLayout(fieldCount: number, seed: number): ComparisonLayout {
  const rand = prng(seed);
  const stride = Math.max(4, Math.ceil(fieldCount / 4) * 4);
  const weights = new Float64Array(fieldCount);
  const tolerances = new Float64Array(fieldCount);
  const categorical = new Uint8Array(fieldCount);
  for (let j = 0; j < fieldCount; j++) {
    categorical[j] = rand() < 0.4 ? 1 : 0;
    const w = rand();
    weights[j] = w < 0.1 ? 0 : w < 0.2 ? 1e-300 : w < 0.3 ? 1e6 : Math.round(w * 1000) / 10;
    const t = rand();
    tolerances[j] = t < 0.4 ? 0 : t < 0.5 ? 0.005 : Math.round(t * 100) / 100;
  }
  return { fieldCount, stride, weights, tolerances, categorical };
}

/**
 * Two matrices of `rows` rows for `layout`: mostly equal values, some small and large differences,
 * special values on either side, and garbage (NaN, Infinity) in padding columns, which every
 * backend must ignore.
 */
export function randomMatrices(
  layout: ComparisonLayout,
  rows: number,
  seed: number,
): { primary: Float64Array; mirror: Float64Array } {
  const rand = prng(seed);
  const { fieldCount, stride } = layout;
  const primary = new Float64Array(rows * stride);
  const mirror = new Float64Array(rows * stride);
  const special = (): number => SPECIAL_VALUES[Math.floor(rand() * SPECIAL_VALUES.length)]!;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < stride; j++) {
      const i = r * stride + j;
      if (j >= fieldCount) {
        primary[i] = rand() < 0.5 ? Number.NaN : Number.POSITIVE_INFINITY;
        mirror[i] = rand() < 0.5 ? -12345 : Number.NaN;
        continue;
      }
      const categorical = layout.categorical[j] === 1;
      const p = categorical ? Math.floor(rand() * 4) : (rand() - 0.5) * 200;
      const roll = rand();
      let m = p;
      if (roll < 0.15) m = categorical ? Math.floor(rand() * 4) : p + (rand() - 0.5) * 0.02;
      else if (roll < 0.25) m = categorical ? p + 1 : p * 3 + 1;
      if (rand() < 0.03) {
        // Missing on both sides (a field not set yet in either engine): must cost nothing.
        primary[i] = Number.NaN;
        mirror[i] = Number.NaN;
        continue;
      }
      primary[i] = rand() < 0.08 ? special() : p;
      mirror[i] = rand() < 0.08 ? special() : m;
    }
  }
  return { primary, mirror };
}

/** Asserts that a backend's result equals the oracle's, naming the first row that differs. */
export function expectSameResult(actual: ComparisonResult, expected: ComparisonResult, options: ConformanceOptions = {}): void {
  expect({ rowStart: actual.rowStart, rowCount: actual.rowCount, maskWords: actual.maskWords }).toEqual({
    rowStart: expected.rowStart,
    rowCount: expected.rowCount,
    maskWords: expected.maskWords,
  });
  expect(actual.deviation).toBeInstanceOf(Float64Array);
  expect(actual.affected).toBeInstanceOf(Uint32Array);
  expect(actual.deviation.length).toBe(expected.rowCount);
  expect(actual.affected.length).toBe(expected.rowCount * expected.maskWords);
  const relative = options.deviationTolerance?.relative ?? 0;
  const absolute = options.deviationTolerance?.absolute ?? 0;
  for (let i = 0; i < expected.rowCount; i++) {
    const a = actual.deviation[i]!;
    const e = expected.deviation[i]!;
    const close = Number.isFinite(e) ? Math.abs(a - e) <= absolute + relative * Math.abs(e) : Object.is(a, e);
    if (!close) expect.fail(`row ${expected.rowStart + i}: deviation ${a}, oracle ${e}`);
    for (let w = 0; w < expected.maskWords; w++) {
      const k = i * expected.maskWords + w;
      if (actual.affected[k] !== expected.affected[k]) {
        expect.fail(
          `row ${expected.rowStart + i}: affected word ${w} is 0x${actual.affected[k]!.toString(16)}, oracle 0x${expected.affected[k]!.toString(16)}`,
        );
      }
    }
  }
}

/** A layout built from explicit per-field arrays (numbers for weights and tolerances, booleans for categorical). */
export function makeLayout(
  weights: readonly number[],
  tolerances: readonly number[],
  categorical: readonly boolean[],
): ComparisonLayout {
  const fieldCount = weights.length;
  return {
    fieldCount,
    stride: Math.max(4, Math.ceil(fieldCount / 4) * 4),
    weights: Float64Array.from(weights),
    tolerances: Float64Array.from(tolerances),
    categorical: Uint8Array.from(categorical, (c) => (c ? 1 : 0)),
  };
}

/** Matrices from per-row field values; padding columns 0. */
export function makeRows(layout: ComparisonLayout, rows: readonly (readonly number[])[]): Float64Array {
  const out = new Float64Array(rows.length * layout.stride);
  rows.forEach((row, r) => {
    out.set(row, r * layout.stride);
  });
  return out;
}

/** The fixed cases: every corner of the rule, and the edge sizes. */
function fixedCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  // One field per rule corner, one row per pair, numeric and categorical.
  const pairs: [number, number][] = [];
  for (const p of SPECIAL_VALUES) for (const m of SPECIAL_VALUES) pairs.push([p, m]);
  for (const categorical of [false, true]) {
    for (const [weight, tolerance] of [
      [1, 0],
      [2.5, 0.25],
      [0, 0],
      [1e-300, 0],
    ] as const) {
      const layout = makeLayout([weight], [tolerance], [categorical]);
      cases.push({
        label: `every special pair, 1 field, ${categorical ? 'categorical' : 'numeric'}, weight ${weight}, tolerance ${tolerance}`,
        layout,
        primary: makeRows(
          layout,
          pairs.map(([p]) => [p]),
        ),
        mirror: makeRows(
          layout,
          pairs.map(([, m]) => [m]),
        ),
      });
    }
  }
  // Tolerance boundary: d == t is no deviation, the next double above is.
  const band = makeLayout([3, 3, 3], [0.25, 0.25, 0.001], [false, false, false]);
  cases.push({
    label: 'tolerance dead-band edges, and 1e12 vs 1e12 + 0.01',
    layout: band,
    primary: makeRows(band, [[1, 1, 1e12]]),
    mirror: makeRows(band, [[1.25, 1.2500000000000002, 1e12 + 0.01]]),
  });
  cases.push({
    label: 'missingWeight option (0 and 7)',
    layout: band,
    primary: makeRows(band, [[Number.NaN, 1, 2]]),
    mirror: makeRows(band, [[1, Number.NaN, Number.NaN]]),
    options: { missingWeight: 7 },
  });
  cases.push({
    label: 'missingWeight 0 still marks the field affected',
    layout: band,
    primary: makeRows(band, [[Number.NaN, 1, 2]]),
    mirror: makeRows(band, [[1, Number.NaN, 2]]),
    options: { missingWeight: 0 },
  });
  // A healthy fleet: most rows identical bit for bit (kernels may skip them), among them rows
  // with NaN on both sides, -0 against +0 (equal, not identical) and one row that differs.
  {
    const healthy = randomLayout(37, 4242);
    const rows = 9;
    const { primary } = randomMatrices(healthy, rows, 4243);
    const mirror = primary.slice();
    const s = healthy.stride;
    primary[1 * s + 3] = Number.NaN;
    mirror[1 * s + 3] = Number.NaN;
    primary[4 * s + 36] = -0;
    mirror[4 * s + 36] = 0;
    primary[7 * s + 20] = 1;
    mirror[7 * s + 20] = 2e6;
    cases.push({ label: 'identical rows with both-NaN and -0/+0 fields, one differing row', layout: healthy, primary, mirror });
  }
  // Edge sizes.
  const sizes: [fields: number, rows: number][] = [
    [8, 0],
    [8, 1],
    [1, 50],
    [3, 17],
    [4, 9],
    [5, 9],
    [31, 20],
    [32, 20],
    [33, 20],
    [64, 20],
    [65, 20],
    [70, 5],
    [8, 1000],
    [33, 1000],
  ];
  for (const [fields, rows] of sizes) {
    const layout = randomLayout(fields, fields * 7919 + rows);
    const { primary, mirror } = randomMatrices(layout, rows, fields * 31 + rows * 17);
    cases.push({ label: `${fields} fields x ${rows} rows`, layout, primary, mirror });
  }
  // Row ranges.
  const layout = randomLayout(33, 99);
  const { primary, mirror } = randomMatrices(layout, 40, 100);
  for (const options of [
    { rowStart: 0, rowCount: 0 },
    { rowStart: 5 },
    { rowStart: 5, rowCount: 10 },
    { rowStart: 39, rowCount: 1 },
    { rowStart: 40 },
  ]) {
    cases.push({ label: `33 fields x 40 rows, range ${JSON.stringify(options)}`, layout, primary, mirror, options });
  }
  // Every field affected, bits past fieldCount must stay 0.
  for (const fields of [31, 32, 33, 64, 65]) {
    const all = makeLayout(
      new Array<number>(fields).fill(1),
      new Array<number>(fields).fill(0),
      new Array<boolean>(fields).fill(false),
    );
    cases.push({
      label: `${fields} fields all affected`,
      layout: all,
      primary: makeRows(all, [new Array<number>(fields).fill(1)]),
      mirror: makeRows(all, [new Array<number>(fields).fill(2)]),
    });
  }
  return cases;
}

/** Inputs every backend must reject with a ComparisonInputError (a rejected promise, not a sync throw). */
function invalidCases(): ConformanceCase[] {
  const layout = makeLayout([1, 1], [0, 0], [false, false]);
  const four = new Float64Array(4);
  const eight = new Float64Array(8);
  return [
    { label: 'lengths differ, no rowCount', layout, primary: four, mirror: eight },
    { label: 'length not a multiple of stride', layout, primary: new Float64Array(6), mirror: new Float64Array(6) },
    { label: 'rowCount past the end', layout, primary: four, mirror: four, options: { rowCount: 2 } },
    { label: 'rowStart past the end', layout, primary: four, mirror: four, options: { rowStart: 2 } },
    { label: 'negative rowStart', layout, primary: four, mirror: four, options: { rowStart: -1 } },
    { label: 'fractional rowCount', layout, primary: four, mirror: four, options: { rowCount: 0.5 } },
    {
      label: 'stride not a multiple of 4',
      layout: { ...layout, stride: 6 },
      primary: new Float64Array(6),
      mirror: new Float64Array(6),
    },
    {
      label: 'stride below fieldCount',
      layout: { ...makeLayout([1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [false, false, false, false, false]), stride: 4 },
      primary: four,
      mirror: four,
    },
    { label: 'weights too short', layout: { ...layout, weights: new Float64Array(1) }, primary: four, mirror: four },
    { label: 'negative weight', layout: { ...layout, weights: Float64Array.of(1, -1) }, primary: four, mirror: four },
    { label: 'NaN tolerance', layout: { ...layout, tolerances: Float64Array.of(Number.NaN, 0) }, primary: four, mirror: four },
    { label: 'negative missingWeight', layout, primary: four, mirror: four, options: { missingWeight: -1 } },
  ];
}

/**
 * Registers the conformance suite for one comparator backend.
 * @param name the backend's name, used in test titles (the comparator's own `name` is not checked against it).
 * @param make creates the comparator under test; it is disposed after the suite.
 */
export function runComparatorConformance(
  name: string,
  make: () => Comparator | Promise<Comparator>,
  options: ConformanceOptions = {},
): void {
  describe(`comparator conformance: ${name}`, () => {
    let comparator: Comparator | undefined;
    const get = (): Comparator => {
      if (comparator === undefined) throw new Error(`comparator '${name}' was not created`);
      return comparator;
    };
    beforeAll(async () => {
      comparator = await make();
    });
    afterAll(() => {
      comparator?.dispose();
    });

    it('has a non-empty name', () => {
      expect(get().name).toMatch(/\S/);
    });

    for (const c of fixedCases()) {
      it(`matches the oracle: ${c.label}`, async () => {
        const expected = compareRowsSync(c.primary, c.mirror, c.layout, c.options);
        const actual = await get().compare(c.primary, c.mirror, c.layout, c.options);
        expectSameResult(actual, expected, options);
      });
    }

    it('matches the oracle on 1,000,000 rows', { timeout: 240_000 }, async () => {
      const fields = options.largeFleetFields ?? 8;
      const layout = randomLayout(fields, 1_000_003);
      const { primary, mirror } = randomMatrices(layout, 1_000_000, 1_000_033);
      const expected = compareRowsSync(primary, mirror, layout);
      const actual = await get().compare(primary, mirror, layout);
      expect(actual.rowCount).toBe(1_000_000);
      expectSameResult(actual, expected, options);
    });

    it('leaves its inputs unchanged', async () => {
      const layout = randomLayout(13, 5);
      const { primary, mirror } = randomMatrices(layout, 64, 6);
      const before = [new Uint8Array(primary.slice().buffer), new Uint8Array(mirror.slice().buffer)];
      await get().compare(primary, mirror, layout);
      expect(new Uint8Array(primary.buffer)).toEqual(before[0]);
      expect(new Uint8Array(mirror.buffer)).toEqual(before[1]);
    });

    it('does not read padding columns or rows outside the range', async () => {
      const layout = randomLayout(6, 11);
      const { primary, mirror } = randomMatrices(layout, 10, 12);
      const expected = await get().compare(primary, mirror, layout, { rowStart: 3, rowCount: 4 });
      const p2 = primary.slice();
      const m2 = mirror.slice();
      for (let r = 0; r < 10; r++) {
        for (let j = 0; j < layout.stride; j++) {
          if (j >= layout.fieldCount || r < 3 || r >= 7) {
            p2[r * layout.stride + j] = Number.NaN;
            m2[r * layout.stride + j] = Number.POSITIVE_INFINITY;
          }
        }
      }
      expectSameResult(await get().compare(p2, m2, layout, { rowStart: 3, rowCount: 4 }), expected);
    });

    it('returns a fresh result per call (a later call does not overwrite an earlier result)', async () => {
      const layout = randomLayout(9, 21);
      const a = randomMatrices(layout, 8, 22);
      const b = randomMatrices(layout, 8, 23);
      const first = await get().compare(a.primary, a.mirror, layout);
      const firstCopy = { ...first, deviation: first.deviation.slice(), affected: first.affected.slice() };
      await get().compare(b.primary, b.mirror, layout);
      expectSameResult(first, firstCopy);
    });

    it('writes into caller-provided output arrays, overwriting every element of the range and nothing past it', async () => {
      const layout = randomLayout(37, 77);
      const { primary, mirror } = randomMatrices(layout, 50, 78);
      const maskWords = maskWordsFor(layout.fieldCount);
      const output = {
        deviation: new Float64Array(60).fill(Number.NaN),
        affected: new Uint32Array(60 * maskWords).fill(0xdeadbeef),
      };
      const result = await get().compare(primary, mirror, layout, { rowStart: 5, rowCount: 40, output });
      expectSameResult(result, compareRowsSync(primary, mirror, layout, { rowStart: 5, rowCount: 40 }), options);
      expect(result.deviation.buffer).toBe(output.deviation.buffer);
      expect(result.affected.buffer).toBe(output.affected.buffer);
      expect(Number.isNaN(output.deviation[40]!)).toBe(true);
      expect(output.affected[40 * maskWords]).toBe(0xdeadbeef);
    });

    it('refuses an output array that is too small', async () => {
      const layout = randomLayout(4, 1);
      const { primary, mirror } = randomMatrices(layout, 10, 2);
      const output = { deviation: new Float64Array(9), affected: new Uint32Array(10) };
      await expect(get().compare(primary, mirror, layout, { output })).rejects.toBeInstanceOf(ComparisonInputError);
    });

    for (const c of invalidCases()) {
      it(`rejects invalid input: ${c.label}`, async () => {
        await expect(get().compare(c.primary, c.mirror, c.layout, c.options)).rejects.toBeInstanceOf(ComparisonInputError);
      });
    }

    it('matches the oracle on random layouts and rows (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 70 }),
          fc.integer({ min: 0, max: 40 }),
          fc.integer(),
          fc.option(fc.double({ min: 0, max: 1e9, noNaN: true }), { nil: undefined }),
          async (fields, rows, seed, missingWeight) => {
            const layout = randomLayout(fields, seed);
            const { primary, mirror } = randomMatrices(layout, rows, seed ^ 0x5bd1e995);
            const compareOptions: CompareOptions = missingWeight === undefined ? {} : { missingWeight };
            expect(maskWordsFor(fields)).toBe(Math.max(1, Math.ceil(fields / 32)));
            const expected = compareRowsSync(primary, mirror, layout, compareOptions);
            expectSameResult(await get().compare(primary, mirror, layout, compareOptions), expected, options);
          },
        ),
        { numRuns: 60 },
      );
    });
  });
}
