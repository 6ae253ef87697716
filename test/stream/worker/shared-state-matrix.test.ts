import { describe, expect, it } from 'vitest';
import { SharedMatrixError, SharedMatrixFullError } from '../../../ts/stream/worker/errors.js';
import { SharedStateMatrix } from '../../../ts/stream/worker/shared-state-matrix.js';

const SHAPE = { stride: 4, fieldCount: 3 };

describe('SharedStateMatrix', () => {
  it('adds rows as a StateMatrix does: fields NaN, padding 0, seq 0', () => {
    const m = SharedStateMatrix.create('t', SHAPE, 64);
    m.ensureRows(3);
    expect(m.rowCount).toBe(3);
    for (let r = 0; r < 3; r++) {
      expect(Array.from(m.data.subarray(r * 4, r * 4 + 4))).toEqual([Number.NaN, Number.NaN, Number.NaN, 0]);
      expect(m.seqOf(r)).toBe(0);
    }
  });

  it('grows in place: the same views (and an attached copy) see the new rows, old rows keep their bytes', () => {
    const m = SharedStateMatrix.create('t', SHAPE, 10_000);
    const other = SharedStateMatrix.attach(m.handle);
    m.ensureRows(2);
    const source = new Float64Array([1.5, -0, Number.NaN, 0]);
    other.writeRow(1, source, 0, 7);
    const view = m.data;
    const capacityBefore = m.capacity;
    m.ensureRows(5_000);
    expect(m.capacity).toBeGreaterThan(capacityBefore);
    expect(m.data).toBe(view); // never replaced
    expect(view.length).toBe(m.capacity * 4);
    expect(other.data.length).toBe(m.capacity * 4);
    expect(Object.is(view[5], -0)).toBe(true);
    expect(view[4]).toBe(1.5);
    expect(other.seqOf(1)).toBe(7);
    expect(other.rowCount).toBe(5_000);
    expect(Number.isNaN(other.data[4_999 * 4]!)).toBe(true);
  });

  it('refuses rows past maxRows with a typed error and keeps what it had', () => {
    const m = SharedStateMatrix.create('orders', SHAPE, 8);
    m.ensureRows(8);
    expect(() => m.ensureRows(9)).toThrow(SharedMatrixFullError);
    expect(() => m.ensureRows(9)).toThrow(expect.objectContaining({ code: 'SHARED_MATRIX_FULL', maxRows: 8 }));
    expect(m.rowCount).toBe(8);
  });

  it('refuses bad shapes and handles whose buffers do not fit', () => {
    expect(() => SharedStateMatrix.create('t', { stride: 2, fieldCount: 3 })).toThrow(SharedMatrixError);
    expect(() => SharedStateMatrix.create('t', SHAPE, 0)).toThrow(SharedMatrixError);
    const m = SharedStateMatrix.create('t', SHAPE, 16);
    expect(() => SharedStateMatrix.attach({ ...m.handle, maxRows: 32 })).toThrow(SharedMatrixError);
    expect(() => SharedStateMatrix.attach({ ...m.handle, values: new SharedArrayBuffer(512) })).toThrow(SharedMatrixError);
  });

  it('readRow returns one consistent state with its seq; a row left mid-write by a dead writer is healed by the next write', () => {
    const m = SharedStateMatrix.create('t', SHAPE, 16);
    m.ensureRows(1);
    m.writeRow(0, new Float64Array([1, 2, 3, 0]), 0, 4);
    const out = new Float64Array(4);
    expect(m.readRow(0, out)).toBe(4);
    expect(Array.from(out)).toEqual([1, 2, 3, 0]);
    // A writer that died between its two version stores leaves the version odd.
    Atomics.add(m.versions, 0, 1);
    expect(m.versions[0]! & 1).toBe(1);
    m.writeRow(0, new Float64Array([9, 8, 7, 0]), 0, 5);
    expect(m.versions[0]! & 1).toBe(0);
    expect(m.readRow(0, out)).toBe(5);
    expect(Array.from(out)).toEqual([9, 8, 7, 0]);
  });
});
