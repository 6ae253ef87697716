import { describe, expect, it } from 'vitest';
import { FieldOutOfRangeError, InvalidSeqError, MatrixCapacityError, RowOutOfRangeError } from '../../ts/state/errors.js';
import { layoutFor } from '../../ts/state/layout.js';
import { RowIndex } from '../../ts/state/row-index.js';
import { StateMatrix } from '../../ts/state/state-matrix.js';
import { stringHash } from '../../ts/state/string-hash.js';
import { bool, enumOf, f64, i32, str } from '../../ts/workflow/fields.js';
import { recordingStorage } from '../support/recording-storage.js';

const NAN = Number.NaN;

// 5 fields -> stride 8: columns 5, 6, 7 are padding.
const layout = layoutFor({
  total: f64({ weight: 10 }),
  items: i32(),
  status: enumOf(['new', 'paid']),
  shipped: bool(),
  note: str(),
});

/** Bits of a float64 array (NaN payloads and -0 included). */
function bits(values: Float64Array): bigint[] {
  return Array.from(new BigUint64Array(values.slice().buffer));
}

describe('StateMatrix: rows', () => {
  it('starts empty with the requested capacity', () => {
    const m = new StateMatrix(layout);
    expect([m.rowCount, m.capacity, m.data.length]).toEqual([0, 64, 64 * 8]);
    const small = new StateMatrix(layout, 3);
    expect([small.capacity, small.data.length]).toEqual([3, 24]);
    expect(new StateMatrix(layout, 0).capacity).toBe(0);
  });

  it('adds rows densely: NaN (missing) in value columns, 0 in padding, seq 0', () => {
    const m = new StateMatrix(layout, 4);
    m.data.fill(42); // stale contents must not leak into a new row
    expect([m.addRow(), m.addRow(), m.addRow()]).toEqual([0, 1, 2]);
    expect(m.rowCount).toBe(3);
    for (let r = 0; r < 3; r++) {
      expect(Array.from(m.row(r))).toEqual([NAN, NAN, NAN, NAN, NAN, 0, 0, 0]);
      expect(m.seqOf(r)).toBe(0);
    }
  });

  it('gives row views over the data, and get/set address field j of row r', () => {
    const m = new StateMatrix(layout, 4);
    m.ensureRows(2);
    m.set(1, 2, 7);
    expect(m.get(1, 2)).toBe(7);
    expect(m.data[1 * 8 + 2]).toBe(7);
    const view = m.row(1);
    expect(view.length).toBe(8);
    view[0] = 3.5;
    expect(m.get(1, 0)).toBe(3.5);
    expect(m.get(0, 0)).toBeNaN();
  });

  it('writeState encodes into one row and touches no other', () => {
    const m = new StateMatrix(layout, 4);
    m.ensureRows(3);
    const before = bits(m.data);
    m.writeState(1, { total: 99.5, items: 3, status: 'paid', shipped: true, note: 'x' });
    expect(Array.from(m.row(1))).toEqual([99.5, 3, 1, 1, stringHash('x'), 0, 0, 0]);
    const after = bits(m.data);
    expect(after.slice(0, 8)).toEqual(before.slice(0, 8));
    expect(after.slice(16)).toEqual(before.slice(16));
    m.writeState(1, { total: 'oops', items: 3 });
    expect(Array.from(m.row(1))).toEqual([NAN, 3, NAN, NAN, NAN, 0, 0, 0]);
  });

  it('rejects rows and fields out of range with typed errors', () => {
    const m = new StateMatrix(layout, 4);
    m.ensureRows(2);
    for (const r of [-1, 2, 3, 1.5, NAN]) {
      expect(() => m.get(r, 0)).toThrow(RowOutOfRangeError);
      expect(() => m.row(r)).toThrow(RowOutOfRangeError);
      expect(() => m.writeState(r, {})).toThrow(RowOutOfRangeError);
      expect(() => m.seqOf(r)).toThrow(RowOutOfRangeError);
    }
    // Row 2 is within capacity (4) but not in use: still out of range.
    expect(() => m.set(2, 0, 1)).toThrow(/row 2 is out of range: there are 2 rows/);
    for (const j of [-1, 5, 7, 0.5]) {
      expect(() => m.get(0, j)).toThrow(FieldOutOfRangeError);
      expect(() => m.set(0, j, 1)).toThrow(FieldOutOfRangeError); // padding cannot be set
    }
  });
});

describe('StateMatrix: growth', () => {
  it('doubles capacity and keeps existing rows bit-identical (NaN payloads and -0 included)', () => {
    const m = new StateMatrix(layout, 2);
    m.ensureRows(2);
    m.writeState(0, { total: -0, items: -5, status: 'new', shipped: false, note: 'a' });
    m.writeState(1, { total: 1e300, items: 2 ** 31 - 1, status: 'paid', shipped: true, note: 'b' });
    // A NaN with a payload: only a byte copy preserves it.
    new BigUint64Array(m.data.buffer)[1 * 8 + 3] = 0x7ff8_dead_beef_0001n;
    m.setSeq(0, 17);
    m.setSeq(1, 2 ** 40);
    const oldData = m.data;
    const before = bits(m.data.subarray(0, 16));

    expect(m.addRow()).toBe(2);
    expect(m.capacity).toBe(4);
    expect(m.data).not.toBe(oldData); // replaced on growth, as documented
    expect(bits(m.data.subarray(0, 16))).toEqual(before);
    expect([m.seqOf(0), m.seqOf(1), m.seqOf(2)]).toEqual([17, 2 ** 40, 0]);
    expect(Array.from(m.row(2))).toEqual([NAN, NAN, NAN, NAN, NAN, 0, 0, 0]);

    m.ensureRows(100);
    expect([m.rowCount, m.capacity]).toEqual([100, 128]);
    expect(bits(m.data.subarray(0, 16))).toEqual(before);
    expect(m.seqOf(1)).toBe(2 ** 40);
  });

  it('grows from capacity 0', () => {
    const m = new StateMatrix(layout, 0);
    expect(m.addRow()).toBe(0);
    expect(m.capacity).toBeGreaterThanOrEqual(1);
    expect(m.data.length).toBe(m.capacity * 8);
  });

  it('ensureRows never shrinks and rejects bad counts', () => {
    const m = new StateMatrix(layout, 4);
    m.ensureRows(3);
    m.ensureRows(1);
    expect(m.rowCount).toBe(3);
    for (const n of [-1, 1.5, NAN, Number.POSITIVE_INFINITY]) expect(() => m.ensureRows(n)).toThrow(MatrixCapacityError);
    for (const n of [-1, 2.5]) expect(() => new StateMatrix(layout, n)).toThrow(MatrixCapacityError);
  });

  it('turns an impossible allocation into a MatrixCapacityError', () => {
    const m = new StateMatrix(layout, 1);
    expect(() => m.ensureRows(2 ** 50)).toThrow(MatrixCapacityError);
    expect(m.rowCount).toBe(0); // unchanged
  });
});

describe('StateMatrix: seq', () => {
  it('records the seq per row and rejects invalid seqs', () => {
    const m = new StateMatrix(layout, 1);
    m.ensureRows(2);
    m.setSeq(1, 5);
    expect([m.seqOf(0), m.seqOf(1)]).toEqual([0, 5]);
    for (const s of [-1, 1.5, NAN, 2 ** 53]) expect(() => m.setSeq(0, s)).toThrow(InvalidSeqError);
  });
});

describe('RowIndex', () => {
  it('assigns rows densely on first sight and maps both ways', () => {
    const index = new RowIndex();
    expect(index.rowFor('a')).toBe(0);
    expect(index.rowFor('b')).toBe(1);
    expect(index.rowFor('a')).toBe(0);
    expect(index.size).toBe(2);
    expect(index.get('b')).toBe(1);
    expect(index.get('zzz')).toBeUndefined();
    expect([index.idOf(0), index.idOf(1)]).toEqual(['a', 'b']);
    for (const r of [2, -1, 0.5]) expect(() => index.idOf(r)).toThrow(RowOutOfRangeError);
  });

  it('shared by a primary and a mirror matrix, keeps each instance on the same row in both across growth', () => {
    const index = new RowIndex();
    const primary = new StateMatrix(layout, 1);
    const mirror = new StateMatrix(layout, 3); // different initial capacities on purpose
    const ids = Array.from({ length: 300 }, (_, i) => `order-${(i * 7919) % 1000}`);
    for (const [k, id] of ids.entries()) {
      const r = index.rowFor(id);
      primary.ensureRows(index.size);
      mirror.ensureRows(index.size);
      primary.writeState(r, { total: k, items: k, status: 'new', shipped: false, note: id });
      mirror.writeState(r, { total: k, items: k, status: 'paid', shipped: false, note: id });
      primary.setSeq(r, k + 1);
      mirror.setSeq(r, k + 1);
    }
    expect([primary.rowCount, mirror.rowCount, index.size]).toEqual([300, 300, 300]);
    for (const [k, id] of ids.entries()) {
      const r = index.get(id)!;
      expect(r).toBe(k);
      expect(index.idOf(r)).toBe(id);
      expect([primary.get(r, 0), mirror.get(r, 0)]).toEqual([k, k]);
      expect([primary.get(r, 4), mirror.get(r, 4)]).toEqual([stringHash(id), stringHash(id)]);
      expect([primary.seqOf(r), mirror.seqOf(r)]).toEqual([k + 1, k + 1]);
    }
  });
});

describe('StateMatrix: storage', () => {
  it('allocates its values from the given storage and releases the old array when it grows', () => {
    const { storage, allocated, released } = recordingStorage();
    const m = new StateMatrix(layout, 2, storage);
    expect(allocated).toHaveLength(1);
    expect(m.data).toBe(allocated[0]);
    m.addRow();
    m.set(0, 0, 42);
    m.addRow();
    const before = m.data;
    m.addRow(); // past capacity 2: grows
    expect(allocated).toHaveLength(2);
    expect(released).toEqual([before]);
    expect(m.data).toBe(allocated[1]);
    expect(m.get(0, 0)).toBe(42);
  });
});
