import { describe, expect, it } from 'vitest';
import { InvalidSeqError, MatrixCapacityError } from '../../ts/state/errors.js';
import { StateMatrix } from '../../ts/state/state-matrix.js';
import { recordingStorage } from '../support/recording-storage.js';
import { bits, fromWords, MIXED, matrixBits, misaligned } from './snapshot-fixtures.js';

const PAYLOAD_NAN = fromWords(5, 0x7ff0_0001);

/** Two MIXED rows (stride 8, 3 padding columns), padding deliberately not 0 in the source. */
function rows(): Float64Array {
  return Float64Array.from([1, -0, PAYLOAD_NAN, 3, 4, 9, 9, 9, Number.NaN, 2, 0, 1, 5, 0, 0, 0]);
}

describe('StateMatrix.loadRows', () => {
  it('replaces every row with block copies, bit for bit, padding written 0', () => {
    const m = new StateMatrix(MIXED.layout, 1);
    m.ensureRows(1);
    m.loadRows(2, rows(), Float64Array.from([4, 7]));
    expect(m.rowCount).toBe(2);
    const expected = rows();
    expected.fill(0, 5, 8);
    expect(matrixBits(m)).toEqual({ values: bits(expected), seqs: bits(Float64Array.from([4, 7])) });
    expect(m.seqOf(1)).toBe(7);
  });

  it('reads little-endian bytes at any alignment the same way', () => {
    const fromArray = new StateMatrix(MIXED.layout);
    fromArray.loadRows(2, rows(), Float64Array.from([4, 7]));
    for (const shift of [1, 3, 5]) {
      const m = new StateMatrix(MIXED.layout);
      const values = misaligned(new Uint8Array(rows().buffer), shift);
      const seqs = misaligned(new Uint8Array(Float64Array.from([4, 7]).buffer), shift);
      m.loadRows(2, values, seqs);
      expect(matrixBits(m)).toEqual(matrixBits(fromArray));
    }
  });

  it('grows at most once, in the matrix storage, and may shrink the row count', () => {
    const { storage, allocated, released } = recordingStorage();
    const m = new StateMatrix(MIXED.layout, 1, storage);
    m.loadRows(2, rows(), Float64Array.from([1, 1]));
    expect([allocated.length, released.length]).toEqual([2, 1]);
    m.loadRows(0, new Float64Array(0), new Float64Array(0));
    expect(m.rowCount).toBe(0);
    expect(allocated.length).toBe(2);
  });

  it('refuses wrong lengths and bad seqs before writing anything', () => {
    const m = new StateMatrix(MIXED.layout);
    m.loadRows(2, rows(), Float64Array.from([1, 2]));
    const before = matrixBits(m);
    expect(() => m.loadRows(2, rows().subarray(1), Float64Array.from([1, 2]))).toThrow(MatrixCapacityError);
    expect(() => m.loadRows(2, rows(), Float64Array.from([1]))).toThrow(MatrixCapacityError);
    expect(() => m.loadRows(-1, rows(), Float64Array.from([1, 2]))).toThrow(MatrixCapacityError);
    for (const seq of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(() => m.loadRows(2, rows(), Float64Array.from([1, seq]))).toThrow(InvalidSeqError);
      expect(() => m.loadRows(2, rows(), misaligned(new Uint8Array(Float64Array.from([1, seq]).buffer)))).toThrow(
        InvalidSeqError,
      );
    }
    expect(matrixBits(m)).toEqual(before);
  });

  it('seqs is the seq column over the current rows', () => {
    const m = new StateMatrix(MIXED.layout, 2);
    m.ensureRows(2);
    m.setSeq(1, 9);
    expect(Array.from(m.seqs.subarray(0, 2))).toEqual([0, 9]);
  });
});
