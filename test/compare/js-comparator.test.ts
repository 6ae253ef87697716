import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkComparisonInput,
  compareRowsSync,
  createJsComparator,
  fieldContribution,
  fieldReason,
} from '../../ts/compare/backends/js.js';
import type { ComparisonLayout, ComparisonResult } from '../../ts/compare/comparator.js';
import { DEFAULT_MISSING_WEIGHT } from '../../ts/compare/comparator.js';
import { ComparisonInputError } from '../../ts/compare/errors.js';
import { layoutFor } from '../../ts/state/layout.js';
import { RowIndex } from '../../ts/state/row-index.js';
import { StateMatrix } from '../../ts/state/state-matrix.js';
import { stringHash } from '../../ts/state/string-hash.js';
import { bool, enumOf, f64, i32, str } from '../../ts/workflow/fields.js';
import { makeLayout, makeRows } from './conformance.js';

const INF = Number.POSITIVE_INFINITY;
const NAN = Number.NaN;

/** Compares one row of one-field-per-case values and returns [deviation, affected word 0]. */
function one(
  p: number,
  m: number,
  weight: number,
  tolerance: number,
  categorical: boolean,
  missingWeight?: number,
): [number, number] {
  const layout = makeLayout([weight], [tolerance], [categorical]);
  const result = compareRowsSync(
    makeRows(layout, [[p]]),
    makeRows(layout, [[m]]),
    layout,
    missingWeight === undefined ? {} : { missingWeight },
  );
  return [result.deviation[0]!, result.affected[0]!];
}

describe('compareRowsSync: each field kind, hand-computed', () => {
  it('numeric: weight * |p - m| past the tolerance', () => {
    expect(one(1, 1.5, 10, 0.01, false)).toEqual([5, 1]);
    expect(one(1.5, 1, 10, 0.01, false)).toEqual([5, 1]);
    expect(one(3, 7, 2, 0, false)).toEqual([8, 1]); // an i32 field is numeric too
    expect(one(-4, 4, 0.5, 1, false)).toEqual([4, 1]);
  });

  it('numeric: the dead-band is closed (d == tolerance -> 0), the next double above counts', () => {
    expect(one(1, 1.25, 3, 0.25, false)).toEqual([0, 0]);
    const above = 1.2500000000000002; // 1.25 + 2^-52
    expect(one(1, above, 3, 0.25, false)).toEqual([3 * (above - 1), 1]);
    expect(one(1, 1.2, 3, 0.25, false)).toEqual([0, 0]);
  });

  it('numeric: large values with a small difference are still seen', () => {
    const [deviation, word] = one(1e12, 1e12 + 0.01, 1, 0.001, false);
    expect(word).toBe(1);
    expect(deviation).toBe(Math.abs(1e12 - (1e12 + 0.01)));
    expect(deviation).toBeCloseTo(0.01, 3);
  });

  it('categorical: any difference contributes the weight, whatever its size', () => {
    expect(one(1, 3, 100, 5, true)).toEqual([100, 1]); // the tolerance is ignored
    expect(one(2, 2, 100, 0, true)).toEqual([0, 0]);
    expect(one(0, 1, 4, 0, true)).toEqual([4, 1]); // bool
    expect(one(stringHash('a'), stringHash('b'), 7, 0, true)).toEqual([7, 1]); // str
    expect(one(stringHash('same'), stringHash('same'), 7, 0, true)).toEqual([0, 0]);
  });

  it('-0 and +0 are equal, numeric and categorical', () => {
    expect(one(-0, 0, 5, 0, false)).toEqual([0, 0]);
    expect(one(0, -0, 5, 0, true)).toEqual([0, 0]);
    expect(Object.is(one(-0, 0, 5, 0, false)[0], 0)).toBe(true); // never a -0 deviation
  });

  it('missing: one side NaN costs missingWeight, both NaN cost nothing', () => {
    expect(one(NAN, 1, 10, 0, false)).toEqual([DEFAULT_MISSING_WEIGHT, 1]);
    expect(one(1, NAN, 10, 0, true)).toEqual([1e6, 1]);
    expect(one(NAN, 1, 10, 0, false, 7)).toEqual([7, 1]);
    expect(one(NAN, NAN, 10, 0, false)).toEqual([0, 0]);
    expect(one(NAN, NAN, 10, 0, true)).toEqual([0, 0]);
    expect(one(NAN, INF, 10, 0, false)).toEqual([1e6, 1]);
  });

  it('missing with missingWeight 0 or weight 0 is still affected', () => {
    expect(one(NAN, 1, 10, 0, false, 0)).toEqual([0, 1]);
    expect(one(NAN, 1, 0, 0, false)).toEqual([1e6, 1]);
    expect(one(1, NAN, 0, 0, true, 3)).toEqual([3, 1]);
  });

  it('infinities: equal ones contribute 0, any other pair Infinity', () => {
    expect(one(INF, INF, 2, 0, false)).toEqual([0, 0]);
    expect(one(-INF, -INF, 2, 0, false)).toEqual([0, 0]);
    expect(one(INF, -INF, 2, 0, false)).toEqual([INF, 1]);
    expect(one(INF, 5, 2, 1e9, false)).toEqual([INF, 1]);
    expect(one(-1e300, -INF, 2, 0, false)).toEqual([INF, 1]);
    expect(one(Number.MAX_VALUE, -Number.MAX_VALUE, 1, 0, false)).toEqual([INF, 1]); // p - m overflows
    expect(one(INF, 5, 2, 0, true)).toEqual([2, 1]); // categorical: just unequal
  });

  it('weight 0: a value difference neither contributes nor marks the field (no 0 * Infinity = NaN)', () => {
    expect(one(1, 100, 0, 0, false)).toEqual([0, 0]);
    expect(one(INF, 5, 0, 0, false)).toEqual([0, 0]);
    expect(one(INF, -INF, 0, 0, false)).toEqual([0, 0]);
    expect(one(1, 2, 0, 0, true)).toEqual([0, 0]);
  });

  it('affected is decided by the comparison, not the product: an underflowing weight * d still marks the field', () => {
    expect(one(0, 1e-300, 1e-300, 0, false)).toEqual([0, 1]);
  });

  it('sums fields in order into the row deviation', () => {
    // f64 w10 t0.01 | i32 w1 | enum w100 | bool w3 | str w0
    const layout = makeLayout([10, 1, 100, 3, 0], [0.01, 0, 0, 0, 0], [false, false, true, true, true]);
    const primary = makeRows(layout, [
      [99.5, 3, 1, 0, stringHash('x')],
      [99.5, 3, 1, 0, stringHash('x')],
      [NAN, 3, 1, 1, stringHash('x')],
    ]);
    const mirror = makeRows(layout, [
      [99.5, 3, 1, 0, stringHash('x')],
      [99.0, 5, 2, 1, stringHash('y')],
      [NAN, 3, NAN, 1, stringHash('x')],
    ]);
    const result = compareRowsSync(primary, mirror, layout);
    expect(Array.from(result.deviation)).toEqual([0, 10 * 0.5 + 2 + 100 + 3, 1e6]);
    expect(Array.from(result.affected)).toEqual([0, 0b01111, 0b00100]);
    expect(result.maskWords).toBe(1);
  });
});

describe('compareRowsSync: affected bitmask', () => {
  const fields = 40;
  const layout = makeLayout(
    new Array<number>(fields).fill(1),
    new Array<number>(fields).fill(0),
    new Array<boolean>(fields).fill(false),
  );
  const rowWith = (changed: readonly number[], base: number): number[] =>
    Array.from({ length: fields }, (_, j) => (changed.includes(j) ? base + 1 : base));

  it('sets bit (j & 31) of word (j >> 5) for fields 0, 31, 32, 33 of a 40-field layout', () => {
    expect(layout.stride).toBe(40);
    const primary = makeRows(layout, [rowWith([], 0), rowWith([], 0), rowWith([], 0)]);
    const mirror = makeRows(layout, [rowWith([0, 31, 32, 33], 0), rowWith([39], 0), rowWith([31], 0)]);
    const result = compareRowsSync(primary, mirror, layout);
    expect(result.maskWords).toBe(2);
    expect(Array.from(result.affected)).toEqual([0x80000001, 0b11, 0, 1 << 7, 0x80000000, 0]);
    expect(Array.from(result.deviation)).toEqual([4, 1, 1]);
  });

  it('leaves bits past fieldCount at 0 and uses ceil(fieldCount / 32) words', () => {
    for (const n of [1, 31, 32, 33, 64, 65]) {
      const all = makeLayout(new Array<number>(n).fill(1), new Array<number>(n).fill(0), new Array<boolean>(n).fill(true));
      const result = compareRowsSync(
        makeRows(all, [new Array<number>(n).fill(0)]),
        makeRows(all, [new Array<number>(n).fill(1)]),
        all,
      );
      const words = Math.ceil(n / 32);
      expect(result.maskWords).toBe(words);
      const expected = Array.from({ length: words }, (_, w) => (n - w * 32 >= 32 ? 0xffffffff : 2 ** (n - w * 32) - 1));
      expect(Array.from(result.affected)).toEqual(expected);
      expect(result.deviation[0]).toBe(n);
    }
  });
});

describe('compareRowsSync: row ranges and padding', () => {
  const layout = makeLayout([1, 2], [0, 0], [false, false]); // stride 4: columns 2 and 3 are padding
  const primary = makeRows(layout, [
    [0, 0],
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 4],
  ]);
  const mirror = makeRows(layout, [
    [0, 0],
    [1, 2],
    [3, 2],
    [3, 5],
    [4, 4],
  ]);

  it('compares every row by default', () => {
    const result = compareRowsSync(primary, mirror, layout);
    expect([result.rowStart, result.rowCount]).toEqual([0, 5]);
    expect(Array.from(result.deviation)).toEqual([0, 2, 1, 4, 0]);
  });

  it('compares only rowStart .. rowStart + rowCount - 1, indexing results from 0', () => {
    const result = compareRowsSync(primary, mirror, layout, { rowStart: 1, rowCount: 3 });
    expect([result.rowStart, result.rowCount]).toEqual([1, 3]);
    expect(Array.from(result.deviation)).toEqual([2, 1, 4]);
    expect(Array.from(result.affected)).toEqual([0b10, 0b01, 0b10]);
  });

  it('defaults rowCount to the rest of the matrices, and allows an empty range at the end', () => {
    expect(Array.from(compareRowsSync(primary, mirror, layout, { rowStart: 3 }).deviation)).toEqual([4, 0]);
    const empty = compareRowsSync(primary, mirror, layout, { rowStart: 5 });
    expect([empty.rowCount, empty.deviation.length, empty.affected.length]).toEqual([0, 0, 0]);
  });

  it('compares matrices of different lengths when rowCount says how many rows', () => {
    const longer = new Float64Array(mirror.length + 4 * layout.stride);
    longer.set(mirror);
    expect(Array.from(compareRowsSync(primary, longer, layout, { rowCount: 5 }).deviation)).toEqual([0, 2, 1, 4, 0]);
  });

  it('never reads padding columns', () => {
    const noisy = mirror.slice();
    for (let r = 0; r < 5; r++) {
      noisy[r * 4 + 2] = NAN;
      noisy[r * 4 + 3] = INF;
    }
    expect(compareRowsSync(primary, noisy, layout)).toEqual(compareRowsSync(primary, mirror, layout));
  });
});

describe('compareRowsSync: input validation', () => {
  const layout = makeLayout([1, 1], [0, 0], [false, false]);
  const rows = (n: number): Float64Array => new Float64Array(n * 4);
  const cases: [string, () => unknown, RegExp][] = [
    [
      'mismatched lengths',
      () => compareRowsSync(rows(2), rows(3), layout),
      /primary holds 2 rows and mirror 3.*pass options\.rowCount/,
    ],
    [
      'too-short primary',
      () => compareRowsSync(rows(2), rows(5), layout, { rowCount: 3 }),
      /rows 0\.\.2 are requested but primary holds only 2 rows/,
    ],
    [
      'too-short mirror',
      () => compareRowsSync(rows(5), rows(2), layout, { rowStart: 1, rowCount: 2 }),
      /rows 1\.\.2 are requested but mirror holds only 2 rows/,
    ],
    [
      'length not a multiple of stride',
      () => compareRowsSync(new Float64Array(6), rows(2), layout),
      /primary\.length \(6\) is not a multiple of layout\.stride \(4\)/,
    ],
    [
      'stride not a multiple of 4',
      () => compareRowsSync(rows(1), rows(1), { ...layout, stride: 6 }),
      /layout\.stride must be a multiple of 4 and >= fieldCount \(2\), got 6/,
    ],
    [
      'stride below fieldCount',
      () =>
        compareRowsSync(rows(1), rows(1), {
          ...makeLayout([1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [false, false, false, false, false]),
          stride: 4,
        }),
      /got 4/,
    ],
    [
      'fieldCount 0',
      () => compareRowsSync(rows(1), rows(1), { ...layout, fieldCount: 0 }),
      /layout\.fieldCount must be an integer >= 1, got 0/,
    ],
    [
      'weights of the wrong length',
      () => compareRowsSync(rows(1), rows(1), { ...layout, weights: new Float64Array(3) }),
      /layout\.weights must be a Float64Array of fieldCount \(2\) values, got Float64Array of length 3/,
    ],
    [
      'negative weight',
      () => compareRowsSync(rows(1), rows(1), { ...layout, weights: Float64Array.of(1, -2) }),
      /layout\.weights\[1\] must be a finite number >= 0, got -2/,
    ],
    [
      'infinite tolerance',
      () => compareRowsSync(rows(1), rows(1), { ...layout, tolerances: Float64Array.of(INF, 0) }),
      /layout\.tolerances\[0\]/,
    ],
    [
      'categorical flag 2',
      () => compareRowsSync(rows(1), rows(1), { ...layout, categorical: Uint8Array.of(0, 2) }),
      /layout\.categorical\[1\] must be 0 or 1, got 2/,
    ],
    [
      'categorical not a Uint8Array',
      () => compareRowsSync(rows(1), rows(1), { ...layout, categorical: new Float64Array(2) as unknown as Uint8Array }),
      /layout\.categorical must be a Uint8Array/,
    ],
    [
      'rowStart past the end',
      () => compareRowsSync(rows(2), rows(2), layout, { rowStart: 3 }),
      /options\.rowStart \(3\) is past the end of the matrices \(2 rows\)/,
    ],
    [
      'negative rowStart',
      () => compareRowsSync(rows(2), rows(2), layout, { rowStart: -1 }),
      /options\.rowStart must be a non-negative integer, got -1/,
    ],
    [
      'fractional rowCount',
      () => compareRowsSync(rows(2), rows(2), layout, { rowCount: 1.5 }),
      /options\.rowCount must be a non-negative integer, got 1\.5/,
    ],
    [
      'NaN missingWeight',
      () => compareRowsSync(rows(2), rows(2), layout, { missingWeight: NAN }),
      /options\.missingWeight must be a finite number >= 0, got NaN/,
    ],
    ['infinite missingWeight', () => compareRowsSync(rows(2), rows(2), layout, { missingWeight: INF }), /options\.missingWeight/],
    [
      'primary not a Float64Array',
      () => compareRowsSync([0, 0, 0, 0] as unknown as Float64Array, rows(1), layout),
      /primary must be a Float64Array/,
    ],
  ];
  for (const [label, run, message] of cases) {
    it(`throws ComparisonInputError for ${label}`, () => {
      let error: unknown;
      try {
        run();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ComparisonInputError);
      expect((error as ComparisonInputError).code).toBe('INVALID_COMPARISON_INPUT');
      expect((error as Error).message).toMatch(message);
    });
  }

  it('resolves defaults in checkComparisonInput', () => {
    expect(checkComparisonInput(rows(3), rows(3), layout)).toEqual({
      rowStart: 0,
      rowCount: 3,
      missingWeight: 1e6,
      maskWords: 1,
    });
  });
});

describe('compareRowsSync: caller-owned output', () => {
  const layout = makeLayout(new Array<number>(40).fill(1), new Array<number>(40).fill(0), new Array<boolean>(40).fill(false));
  const primary = makeRows(layout, [new Array<number>(40).fill(0), new Array<number>(40).fill(0), new Array<number>(40).fill(0)]);
  const mirror = makeRows(layout, [
    new Array<number>(40).fill(0),
    Array.from({ length: 40 }, (_, j) => (j === 33 ? 1 : 0)),
    new Array<number>(40).fill(0),
  ]);

  it('writes into the given arrays, overwriting stale contents, and returns views of them', () => {
    const output = { deviation: new Float64Array(5).fill(NAN), affected: new Uint32Array(10).fill(0xffffffff) };
    const result = compareRowsSync(primary, mirror, layout, { rowStart: 1, rowCount: 2 }, output);
    expect(result.deviation.buffer).toBe(output.deviation.buffer);
    expect(result.affected.buffer).toBe(output.affected.buffer);
    expect(Array.from(result.deviation)).toEqual([1, 0]);
    expect(Array.from(result.affected)).toEqual([0, 2, 0, 0]);
    expect(result).toEqual(compareRowsSync(primary, mirror, layout, { rowStart: 1, rowCount: 2 }));
    expect(output.deviation[2]).toBeNaN(); // past rowCount: untouched
  });

  it('rejects output arrays that are too small', () => {
    expect(() =>
      compareRowsSync(primary, mirror, layout, {}, { deviation: new Float64Array(2), affected: new Uint32Array(6) }),
    ).toThrow(/output\.deviation must be a Float64Array of at least 3 values, got Float64Array of length 2/);
    expect(() =>
      compareRowsSync(primary, mirror, layout, {}, { deviation: new Float64Array(3), affected: new Uint32Array(5) }),
    ).toThrow(/output\.affected must be a Uint32Array of at least 6 words \(3 rows x 2\), got Uint32Array of length 5/);
  });
});

describe('fieldContribution and fieldReason', () => {
  it('follow the same rule as the matrix comparison', () => {
    expect(fieldContribution(1, 1.5, 10, 0.01, 0)).toBe(5);
    expect(fieldContribution(1, 1.25, 3, 0.25, false)).toBe(0);
    expect(fieldContribution(1, 3, 100, 5, 1)).toBe(100);
    expect(fieldContribution(NAN, 3, 100, 5, 1)).toBe(DEFAULT_MISSING_WEIGHT);
    expect(fieldContribution(NAN, 3, 100, 5, 1, 2)).toBe(2);
    expect(fieldContribution(NAN, NAN, 100, 5, 1)).toBe(0);
    expect(fieldContribution(INF, INF, 1, 0, 0)).toBe(0);
    expect(fieldContribution(INF, 0, 1, 0, 0)).toBe(INF);
    expect(fieldContribution(INF, 0, 0, 0, 0)).toBe(0);
    expect(fieldReason(NAN, 3, 0, 0, 0)).toBe('missing');
    expect(fieldReason(NAN, NAN, 1, 0, 0)).toBeNull();
    expect(fieldReason(1, 2, 1, 0, 0)).toBe('numeric');
    expect(fieldReason(1, 2, 1, 1, 0)).toBeNull();
    expect(fieldReason(1, 2, 1, 5, true)).toBe('categorical');
    expect(fieldReason(1, 2, 0, 0, true)).toBeNull();
    expect(fieldReason(-0, 0, 1, 0, false)).toBeNull();
  });
});

describe('createJsComparator', () => {
  it('is named js and resolves to the synchronous result', async () => {
    const comparator = createJsComparator();
    const layout = makeLayout([2], [0], [false]);
    const primary = makeRows(layout, [[1], [2]]);
    const mirror = makeRows(layout, [[4], [2]]);
    expect(comparator.name).toBe('js');
    expect(await comparator.compare(primary, mirror, layout)).toEqual(compareRowsSync(primary, mirror, layout));
    comparator.dispose();
    comparator.dispose(); // idempotent
  });

  it('rejects (never throws synchronously) on invalid input', async () => {
    const comparator = createJsComparator();
    const layout = makeLayout([2], [0], [false]);
    let promise: Promise<ComparisonResult> | undefined;
    expect(() => {
      promise = comparator.compare(new Float64Array(4), new Float64Array(8), layout);
    }).not.toThrow();
    await expect(promise).rejects.toBeInstanceOf(ComparisonInputError);
  });
});

describe('end to end: schema -> layout -> matrices with a shared RowIndex -> comparison', () => {
  it('finds the deviating instance and the fields that differ, and decodes them', () => {
    const layout = layoutFor({
      total: f64({ weight: 10, tolerance: 0.01, critical: true }),
      items: i32({ weight: 1 }),
      status: enumOf(['new', 'charging', 'paid'], { weight: 100 }),
      shipped: bool({ weight: 5 }),
      note: str({ weight: 0 }),
    });
    const index = new RowIndex();
    const primary = new StateMatrix(layout, 1);
    const mirror = new StateMatrix(layout, 1);
    const put = (id: string, p: Record<string, unknown>, m: Record<string, unknown>): void => {
      const r = index.rowFor(id);
      primary.ensureRows(index.size);
      mirror.ensureRows(index.size);
      primary.writeState(r, p);
      mirror.writeState(r, m);
    };
    const base = { total: 99.5, items: 3, status: 'charging', shipped: false, note: 'x' };
    put('order-1', base, base);
    put('order-2', base, { ...base, total: 99.505, note: 'y' }); // within tolerance; note weight 0
    put('order-3', base, { ...base, total: 120, status: 'paid', items: undefined });
    const result = compareRowsSync(primary.data, mirror.data, layout, { rowCount: index.size });
    expect(Array.from(result.deviation)).toEqual([0, 0, 10 * (120 - 99.5) + 1e6 + 100]);
    const row = index.get('order-3')!;
    const affected = layout.names.filter((_, j) => (result.affected[row]! & (1 << j)) !== 0);
    expect(affected).toEqual(['total', 'items', 'status']);
    expect(layout.decodeField(2, mirror.get(row, 2))).toBe('paid');
    expect(layout.decodeField(1, mirror.get(row, 1))).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// Property: compareRowsSync equals an obviously-correct implementation over plain objects.

interface NaiveField {
  readonly weight: number;
  readonly tolerance: number;
  readonly categorical: boolean;
}

/** DESIGN.md section 6, one case at a time, with no typed arrays, flags or bit tricks. */
function naiveCompare(
  fields: readonly NaiveField[],
  rows: readonly { primary: readonly number[]; mirror: readonly number[] }[],
  missingWeight: number,
): { deviation: number[]; affected: number[][] } {
  const deviation: number[] = [];
  const affected: number[][] = [];
  for (const row of rows) {
    let sum = 0;
    const hit: number[] = [];
    fields.forEach((field, j) => {
      const p = row.primary[j]!;
      const m = row.mirror[j]!;
      let contribution = 0;
      let isAffected = false;
      if (Number.isNaN(p) && Number.isNaN(m)) {
        // both missing: nothing
      } else if (Number.isNaN(p) || Number.isNaN(m)) {
        contribution = missingWeight;
        isAffected = true;
      } else if (field.weight === 0) {
        // weight 0: only presence is compared
      } else if (field.categorical) {
        if (p !== m) {
          contribution = field.weight;
          isAffected = true;
        }
      } else if (p === Number.POSITIVE_INFINITY && m === Number.POSITIVE_INFINITY) {
        // equal infinities
      } else if (p === Number.NEGATIVE_INFINITY && m === Number.NEGATIVE_INFINITY) {
        // equal infinities
      } else {
        const d = Math.abs(p - m);
        if (d > field.tolerance) {
          contribution = field.weight * d;
          isAffected = true;
        }
      }
      sum += contribution;
      if (isAffected) hit.push(j);
    });
    deviation.push(sum);
    affected.push(hit);
  }
  return { deviation, affected };
}

const valueArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      NAN,
      0,
      -0,
      1,
      -1,
      INF,
      -INF,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      Number.MIN_VALUE,
      1e300,
      1e-300,
      1e12,
      1e12 + 0.01,
    ),
  },
  { weight: 3, arbitrary: fc.integer({ min: -3, max: 3 }) },
  { weight: 3, arbitrary: fc.double() }, // includes NaN, ±0, ±Infinity, subnormals
);
const fieldArb = fc.record({
  weight: fc.oneof(fc.constant(0), fc.constant(1e-300), fc.constant(1e300), fc.double({ min: 0, max: 1e6, noNaN: true })),
  tolerance: fc.oneof(fc.constant(0), fc.constantFrom(0.25, 1, 1e-12), fc.double({ min: 0, max: 10, noNaN: true })),
  categorical: fc.boolean(),
});
const caseArb = fc
  .record({
    fields: fc.array(fieldArb, { minLength: 1, maxLength: 70 }),
    rowCount: fc.integer({ min: 0, max: 6 }),
    missingWeight: fc.oneof(fc.constant(DEFAULT_MISSING_WEIGHT), fc.constant(0), fc.double({ min: 0, max: 1e9, noNaN: true })),
  })
  .chain(({ fields, rowCount, missingWeight }) =>
    fc.record({
      fields: fc.constant(fields),
      missingWeight: fc.constant(missingWeight),
      rows: fc.array(
        fc.record({
          primary: fc.array(valueArb, { minLength: fields.length, maxLength: fields.length }),
          // Half the mirror values copy the primary's, so equal and nearly-equal pairs are common.
          mirror: fc.array(fc.option(valueArb, { freq: 2, nil: undefined }), {
            minLength: fields.length,
            maxLength: fields.length,
          }),
        }),
        { minLength: rowCount, maxLength: rowCount },
      ),
    }),
  )
  .map(({ fields, missingWeight, rows }) => ({
    fields,
    missingWeight,
    rows: rows.map((r) => ({ primary: r.primary, mirror: r.mirror.map((m, j) => m ?? r.primary[j]!) })),
  }));

describe('compareRowsSync equals a naive implementation (property)', () => {
  it('on random layouts (1-70 fields) and rows with NaN, ±0, ±Infinity, huge and tiny values', () => {
    fc.assert(
      fc.property(caseArb, ({ fields, missingWeight, rows }) => {
        const layout: ComparisonLayout = makeLayout(
          fields.map((f) => f.weight),
          fields.map((f) => f.tolerance),
          fields.map((f) => f.categorical),
        );
        const primary = makeRows(
          layout,
          rows.map((r) => r.primary),
        );
        const mirror = makeRows(
          layout,
          rows.map((r) => r.mirror),
        );
        const result = compareRowsSync(primary, mirror, layout, { missingWeight });
        const naive = naiveCompare(fields, rows, missingWeight);
        expect(Array.from(result.deviation)).toEqual(naive.deviation);
        for (let r = 0; r < rows.length; r++) {
          const bits: number[] = [];
          for (let j = 0; j < fields.length; j++) {
            if (((result.affected[r * result.maskWords + (j >> 5)]! >>> (j & 31)) & 1) === 1) bits.push(j);
          }
          expect(bits).toEqual(naive.affected[r]);
          // The per-field helpers agree with the matrix comparison too.
          let sum = 0;
          for (let j = 0; j < fields.length; j++) {
            const f = fields[j]!;
            const p = rows[r]!.primary[j]!;
            const m = rows[r]!.mirror[j]!;
            sum += fieldContribution(p, m, f.weight, f.tolerance, f.categorical, missingWeight);
            expect(fieldReason(p, m, f.weight, f.tolerance, f.categorical) !== null).toBe(bits.includes(j));
          }
          expect(sum).toBe(result.deviation[r]);
          expect(result.deviation[r]! >= 0).toBe(true); // never NaN, never negative
        }
      }),
      { numRuns: 400 },
    );
  });
});
