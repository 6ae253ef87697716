/**
 * Resident fleets of the webgpu backend: matrices kept on the device, deltas applied by the scatter
 * shader, and compareOverThreshold returning exactly the oracle's rows over the threshold
 * (complete, in any order) through atomic compaction. A host copy of each matrix, kept in step
 * with the same uploads and deltas, gives the oracle's answer.
 *
 * Skipped without a WebGPU adapter (reason in the title) unless WFMIRROR_REQUIRE_WEBGPU=1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCarried } from '../../ts/compare/backends/f32-pair.js';
import { GPU_DEVIATION_RELATIVE_BOUND } from '../../ts/compare/backends/gpu-precision.js';
import { compareRowsSync } from '../../ts/compare/backends/js.js';
import {
  createWebGpuComparator,
  type OverThresholdResult,
  type ResidentFleet,
  type ResidentFleetOptions,
  type ResidentSide,
  type WebGpuComparator,
  webgpuBackend,
} from '../../ts/compare/backends/webgpu.js';
import type { ComparisonLayout } from '../../ts/compare/comparator.js';
import { maskWordsFor } from '../../ts/compare/comparator.js';
import { ComparisonInputError } from '../../ts/compare/errors.js';
import { makeLayout, prng, randomLayout, randomMatrices, SPECIAL_VALUES } from './conformance.js';

const probe = await webgpuBackend.probe();
const required = process.env['WFMIRROR_REQUIRE_WEBGPU'] === '1';
const skip = !probe.available && !required;
const where = probe.available ? `on ${probe.detail}` : `${required ? 'REQUIRED, MISSING' : 'SKIPPED'}: ${probe.reason}`;

/** A resident fleet and its host twin, changed together. */
class Twin {
  readonly primary: Float64Array;
  readonly mirror: Float64Array;
  readonly fleet: ResidentFleet;

  constructor(
    comparator: WebGpuComparator,
    readonly layout: ComparisonLayout,
    readonly capacity: number,
    options?: ResidentFleetOptions,
  ) {
    this.primary = new Float64Array(capacity * layout.stride);
    this.mirror = new Float64Array(capacity * layout.stride);
    this.fleet = comparator.createResidentFleet(layout, capacity, options);
  }

  host(side: ResidentSide): Float64Array {
    return side === 'primary' ? this.primary : this.mirror;
  }

  upload(side: ResidentSide, rowStart: number, rows: Float64Array): void {
    this.fleet.upload(side, rowStart, rows);
    this.host(side).set(rows, rowStart * this.layout.stride);
  }

  applyDeltas(side: ResidentSide, rowIndex: Uint32Array, fieldIndex: Uint32Array, values: Float64Array): void {
    this.fleet.applyDeltas(side, rowIndex, fieldIndex, values);
    const matrix = this.host(side);
    for (let i = 0; i < values.length; i++) matrix[rowIndex[i]! * this.layout.stride + fieldIndex[i]!] = values[i]!;
  }

  /** compareOverThreshold, checked against the oracle on the host twin. */
  async check(
    threshold: number,
    options: { rowStart?: number; rowCount?: number; missingWeight?: number } = {},
  ): Promise<OverThresholdResult> {
    const actual = await this.fleet.compareOverThreshold(threshold, options);
    expectOracleRows(this, actual, threshold, options);
    return actual;
  }
}

/**
 * Asserts that `actual` holds exactly the oracle's rows over `threshold`. Synchronous on purpose:
 * long loops stay out of resumed async frames (see takeChunk in ts/compare/backends/webgpu-comparator.ts).
 */
function expectOracleRows(
  twin: Twin,
  actual: OverThresholdResult,
  threshold: number,
  options: { rowStart?: number; rowCount?: number; missingWeight?: number },
): void {
  const rowStart = options.rowStart ?? 0;
  const rowCount = options.rowCount ?? twin.capacity - rowStart;
  const all = compareRowsSync(twin.primary, twin.mirror, twin.layout, {
    rowStart,
    rowCount,
    missingWeight: options.missingWeight,
  });
  const maskWords = maskWordsFor(twin.layout.fieldCount);
  const expectedRows: number[] = [];
  for (let i = 0; i < rowCount; i++) if (all.deviation[i]! > threshold) expectedRows.push(rowStart + i);
  expect(actual.maskWords).toBe(maskWords);
  expect(actual.rows.length).toBe(expectedRows.length);
  expect(actual.deviation.length).toBe(expectedRows.length);
  expect(actual.affected.length).toBe(expectedRows.length * maskWords);
  // Any order, but complete and without duplicates.
  const order = Array.from(actual.rows.keys()).sort((a, b) => actual.rows[a]! - actual.rows[b]!);
  expect(order.map((k) => actual.rows[k]!)).toEqual(expectedRows);
  order.forEach((k, n) => {
    const row = expectedRows[n]!;
    const e = all.deviation[row - rowStart]!;
    const a = actual.deviation[k]!;
    const close = Number.isFinite(e) ? Math.abs(a - e) <= GPU_DEVIATION_RELATIVE_BOUND * e : Object.is(a, e);
    if (!close) expect.fail(`row ${row}: deviation ${a}, oracle ${e}`);
    for (let w = 0; w < maskWords; w++) {
      const got = actual.affected[k * maskWords + w]!;
      const want = all.affected[(row - rowStart) * maskWords + w]!;
      if (got !== want) expect.fail(`row ${row}: mask word ${w} 0x${got.toString(16)}, oracle 0x${want.toString(16)}`);
    }
  });
}

/** `n` random deltas on few rows (so fields are often hit twice in a batch), some special values. */
function randomDeltas(rand: () => number, n: number, fieldCount: number): [Uint32Array, Uint32Array, Float64Array] {
  const specials = [...SPECIAL_VALUES, -0, 2 ** 70, 1e-25];
  const rows = new Uint32Array(n);
  const fields = new Uint32Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    rows[i] = Math.floor(rand() * 300) * 6;
    fields[i] = Math.floor(rand() * fieldCount);
    values[i] = rand() < 0.2 ? specials[Math.floor(rand() * specials.length)]! : (rand() - 0.5) * 1e3;
  }
  return [rows, fields, values];
}

/** Deltas that set every field of the twin's primary to its value, carried ones only (others become 1). */
function carriedCopyOfPrimary(twin: Twin): [Uint32Array, Uint32Array, Float64Array] {
  const { layout, capacity } = twin;
  const rows = new Uint32Array(capacity * layout.fieldCount);
  const fields = new Uint32Array(rows.length);
  const values = new Float64Array(rows.length);
  for (let r = 0, i = 0; r < capacity; r++) {
    for (let j = 0; j < layout.fieldCount; j++, i++) {
      rows[i] = r;
      fields[i] = j;
      const value = twin.primary[r * layout.stride + j]!;
      values[i] = isCarried(value) ? value : 1;
    }
  }
  return [rows, fields, values];
}

describe.skipIf(skip)(`webgpu resident fleets (${where})`, () => {
  let comparator: WebGpuComparator;
  beforeAll(async () => {
    comparator = await createWebGpuComparator();
  });
  afterAll(() => {
    comparator?.dispose();
  });

  it('returns exactly the rows over the threshold after uploads (special values included)', async () => {
    const layout = randomLayout(11, 101);
    const capacity = 3000;
    const twin = new Twin(comparator, layout, capacity);
    const { primary, mirror } = randomMatrices(layout, capacity, 102);
    twin.upload('primary', 0, primary);
    twin.upload('mirror', 0, mirror.subarray(0, 1000 * layout.stride));
    twin.upload('mirror', 1000, mirror.subarray(1000 * layout.stride));
    for (const threshold of [0, 1, 100, 1e6, 1e300]) await twin.check(threshold);
    await twin.check(10, { rowStart: 17, rowCount: 1234, missingWeight: 3 });
    twin.fleet.dispose();
  });

  it('applies deltas with the scatter shader (last delta wins, held values come and go)', async () => {
    const layout = randomLayout(37, 103);
    const capacity = 2000;
    const twin = new Twin(comparator, layout, capacity);
    const { primary } = randomMatrices(layout, capacity, 104);
    twin.upload('primary', 0, primary);
    twin.upload('mirror', 0, primary);
    await twin.check(0);
    const rand = prng(105);
    for (let round = 0; round < 4; round++) {
      const [rows, fields, values] = randomDeltas(rand, 5000, layout.fieldCount);
      twin.applyDeltas(round % 2 === 0 ? 'mirror' : 'primary', rows, fields, values);
      await twin.check(0);
      await twin.check(50);
    }
    // Held values overwritten by ordinary ones: the rows go back to the device.
    const [rows, fields, values] = carriedCopyOfPrimary(twin);
    twin.applyDeltas('primary', rows, fields, values);
    twin.applyDeltas('mirror', rows, fields, values);
    const clean = await twin.check(0);
    expect(clean.rows.length).toBe(0);
    expect(clean.rechecked).toBe(0);
    twin.fleet.dispose();
  });

  it('compacts complete results when many rows qualify (atomic counter past the initial capacity)', async () => {
    const layout = makeLayout([1, 2, 3, 4, 5, 6, 7, 8], new Array<number>(8).fill(0), new Array<boolean>(8).fill(false));
    const capacity = 50_000;
    const twin = new Twin(comparator, layout, capacity);
    const primary = new Float64Array(capacity * layout.stride);
    const mirror = new Float64Array(capacity * layout.stride);
    for (let i = 0; i < primary.length; i++) {
      primary[i] = i * 0.5;
      mirror[i] = i * 0.5 + 0.25;
    }
    twin.upload('primary', 0, primary);
    twin.upload('mirror', 0, mirror);
    const all = await twin.check(0);
    expect(all.rows.length).toBe(capacity);
    expect(new Set(all.rows).size).toBe(capacity);
    // And again at the grown capacity, then with nothing over.
    expect((await twin.check(0)).rows.length).toBe(capacity);
    expect((await twin.check(1e9)).rows.length).toBe(0);
    twin.fleet.dispose();
  });

  it('rechecks many rows on the host when many hold values the device does not carry', async () => {
    const layout = makeLayout([1, 1, 1, 1], [0, 0, 0, 0], [false, false, false, false]);
    const capacity = 5000;
    const twin = new Twin(comparator, layout, capacity);
    const primary = new Float64Array(capacity * layout.stride);
    const mirror = new Float64Array(capacity * layout.stride);
    for (let r = 0; r < capacity; r++) {
      primary.set([r, r % 3 === 0 ? Number.POSITIVE_INFINITY : 1, 1e300, 2], r * layout.stride);
      mirror.set([r + 1, r % 2 === 0 ? Number.POSITIVE_INFINITY : 1, 1e300, r % 5 === 0 ? 1e-300 : 2], r * layout.stride);
    }
    twin.upload('primary', 0, primary);
    twin.upload('mirror', 0, mirror);
    const before = comparator.stats.hostValueRows;
    const result = await twin.check(1.5);
    expect(result.rechecked).toBe(capacity);
    expect(comparator.stats.hostValueRows - before).toBe(capacity);
    twin.fleet.dispose();
  });

  it('decides rows at the threshold exactly (close calls go to the host)', async () => {
    const layout = makeLayout([1, 1], [0, 0], [false, false]);
    const capacity = 400;
    const twin = new Twin(comparator, layout, capacity);
    const primary = new Float64Array(capacity * layout.stride);
    const mirror = new Float64Array(capacity * layout.stride);
    const threshold = 0.30000000000000004;
    for (let r = 0; r < capacity; r++) {
      // Deviations of 0.1 + 0.2 give exactly the threshold, its neighbours, or far from it.
      const k = (r % 5) - 2;
      primary.set([0.1, 0.2 + k * 2 ** -54 * (r % 2 === 0 ? 1 : 1e6)], r * layout.stride);
      mirror.set([0, 0], r * layout.stride);
    }
    twin.upload('primary', 0, primary);
    twin.upload('mirror', 0, mirror);
    const result = await twin.check(threshold);
    expect(result.rechecked).toBeGreaterThan(0);
    twin.fleet.dispose();
  });

  it('spans several device segments (uploads, deltas and ranges across their edges)', async () => {
    const layout = randomLayout(9, 107);
    const capacity = 3500;
    const twin = new Twin(comparator, layout, capacity, { segmentRows: 1000 });
    const { primary, mirror } = randomMatrices(layout, capacity, 108);
    twin.upload('primary', 0, primary);
    twin.upload('mirror', 500, mirror.subarray(500 * layout.stride, 2700 * layout.stride));
    const rand = prng(109);
    const n = 3000;
    const rows = Uint32Array.from({ length: n }, () => Math.floor(rand() * capacity));
    const fields = Uint32Array.from({ length: n }, () => Math.floor(rand() * layout.fieldCount));
    const values = Float64Array.from({ length: n }, () => (rand() - 0.5) * 100);
    twin.applyDeltas('mirror', rows, fields, values);
    await twin.check(0);
    await twin.check(5, { rowStart: 999, rowCount: 1002 });
    await twin.check(5, { rowStart: 2999, rowCount: 501 });
    twin.fleet.dispose();
  });

  it('rejects bad input with ComparisonInputError, and use after dispose with WEBGPU_DISPOSED', async () => {
    const layout = randomLayout(5, 110);
    const fleet = comparator.createResidentFleet(layout, 10);
    expect(() => fleet.upload('primary', 9, new Float64Array(layout.stride * 2))).toThrow(ComparisonInputError);
    expect(() => fleet.upload('primary', 0, new Float64Array(3))).toThrow(ComparisonInputError);
    expect(() => fleet.upload('neither' as ResidentSide, 0, new Float64Array(layout.stride))).toThrow(ComparisonInputError);
    expect(() => fleet.applyDeltas('mirror', Uint32Array.of(10), Uint32Array.of(0), Float64Array.of(1))).toThrow(
      ComparisonInputError,
    );
    expect(() => fleet.applyDeltas('mirror', Uint32Array.of(0), Uint32Array.of(5), Float64Array.of(1))).toThrow(
      ComparisonInputError,
    );
    expect(() => fleet.applyDeltas('mirror', Uint32Array.of(0, 1), Uint32Array.of(0), Float64Array.of(1))).toThrow(
      ComparisonInputError,
    );
    await expect(fleet.compareOverThreshold(-1)).rejects.toBeInstanceOf(ComparisonInputError);
    await expect(fleet.compareOverThreshold(Number.NaN)).rejects.toBeInstanceOf(ComparisonInputError);
    await expect(fleet.compareOverThreshold(1, { rowStart: 5, rowCount: 6 })).rejects.toBeInstanceOf(ComparisonInputError);
    expect(() => comparator.createResidentFleet(layout, 0)).toThrow(ComparisonInputError);
    fleet.dispose();
    await expect(fleet.compareOverThreshold(1)).rejects.toMatchObject({ code: 'WEBGPU_DISPOSED' });
    expect(() => fleet.upload('primary', 0, new Float64Array(layout.stride))).toThrow(
      expect.objectContaining({ code: 'WEBGPU_DISPOSED' }),
    );
  });
});
