import fc from 'fast-check';
import { ByteBuffer } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { MatrixSnapshot } from '../../ts/generated/wfmirror/fb/matrix-snapshot.js';
import {
  CorruptBufferError,
  NotEncodableError,
  SchemaMismatchError,
  SerializationError,
  UnsupportedSchemaVersionError,
  WrongBufferTypeError,
} from '../../ts/serialization/errors.js';
import { decodeMatrixSnapshot, encodeMatrixSnapshot, MatrixSnapshotWriter } from '../../ts/state/matrix-snapshot-codec.js';
import { FREE_ROW_ID, RowIndex } from '../../ts/state/row-index.js';
import { StateMatrix } from '../../ts/state/state-matrix.js';
import { recordingStorage } from '../support/recording-storage.js';
import {
  bits,
  filledMatrix,
  MIXED,
  MIXED_VARIANTS,
  matrixBits,
  misaligned,
  NARROW,
  rawSnapshot,
  rowIdsArb,
  SPECIAL_VALUES,
  schemaOf,
  validRaw,
  valueArb,
  WIDE,
} from './snapshot-fixtures.js';

const SCHEMAS = [MIXED, WIDE, NARROW];

/** Encodes, decodes (aligned and not) and checks rows, seqs and ids bit for bit. */
function expectRoundTrip(schemaIndex: number, ids: readonly string[], values: readonly number[], seqs: readonly number[]) {
  const schema = SCHEMAS[schemaIndex]!;
  const { matrix, index } = filledMatrix(schema, ids, values, seqs);
  const bytes = encodeMatrixSnapshot(matrix, index, schema);
  expect(bytes.byteOffset % 8).toBe(0);
  for (const input of [bytes, misaligned(bytes, 1), misaligned(bytes, 4)]) {
    const decoded = decodeMatrixSnapshot(input, schema);
    expect(decoded.matrix.rowCount).toBe(ids.length);
    expect(matrixBits(decoded.matrix)).toEqual(matrixBits(matrix));
    expect(Array.from({ length: ids.length }, (_, r) => decoded.rowIds.idOf(r))).toEqual(ids);
    expect(decoded.fingerprintMatches).toBe(true);
    const rebuilt = decoded.rowIds.toRowIndex();
    expect(rebuilt.size).toBe(ids.length);
    for (let r = 0; r < ids.length; r++) {
      // The empty id names a free row (an evicted instance's): free again after the round trip.
      if (ids[r] === FREE_ROW_ID) expect(rebuilt.idOf(r)).toBe(FREE_ROW_ID);
      else expect(rebuilt.get(ids[r]!)).toBe(r);
    }
  }
}

describe('matrix snapshot: round trip', () => {
  it('property: any rows, values (NaN payloads, -0, infinities), seqs and ids come back bit for bit', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2 }),
        rowIdsArb(12),
        fc.array(valueArb, { maxLength: 40 }),
        fc.array(fc.maxSafeNat(), { maxLength: 12 }),
        (schemaIndex, ids, values, seqs) => expectRoundTrip(schemaIndex, ids, values, seqs),
      ),
      { numRuns: 150 },
    );
  });

  it('0 rows: a valid snapshot that decodes to an empty matrix and no ids', () => {
    expectRoundTrip(0, [], [], []);
    const { matrix, index } = filledMatrix(MIXED, [], [], []);
    const decoded = decodeMatrixSnapshot(encodeMatrixSnapshot(matrix, index, MIXED), MIXED);
    expect(decoded.matrix.rowCount).toBe(0);
    expect(decoded.rowIds.size).toBe(0);
  });

  it('1 row holding every special value, an empty id, a huge id', () => {
    expectRoundTrip(1, ['only'], SPECIAL_VALUES, [Number.MAX_SAFE_INTEGER]);
    expectRoundTrip(0, [''], SPECIAL_VALUES, [0]);
    expectRoundTrip(2, ['x'.repeat(200_000), ''], [Number.NaN], [1, 2]);
  });

  it('the generated accessors read what the codec wrote (the format is the schema, not a private one)', () => {
    const { matrix, index } = filledMatrix(MIXED, ['a', 'bé'], [1, 2, 3], [5, 6]);
    const bytes = encodeMatrixSnapshot(matrix, index, MIXED);
    const snapshot = MatrixSnapshot.getRootAsMatrixSnapshot(new ByteBuffer(bytes));
    expect(snapshot.rowCount()).toBe(2);
    expect(snapshot.layout()!.workflowType()).toBe('test');
    expect(snapshot.layout()!.stride()).toBe(8);
    expect(snapshot.layout()!.fields(2)!.enumValues(1)).toBe('paid');
    expect(snapshot.valuesLength()).toBe(16);
    expect(Array.from(snapshot.seqsArray()!)).toEqual([5, 6]);
    expect(Array.from(snapshot.rowIdEndsArray()!)).toEqual([1, 4]);
    expect(new TextDecoder().decode(snapshot.rowIdBytesArray()!)).toBe('abé');
    expect(bits(snapshot.valuesArray()!)).toEqual(bits(matrix.data.subarray(0, 16)));
  });

  it('a writer reuses its buffer: each result is right until the next encode', () => {
    const writer = new MatrixSnapshotWriter();
    const a = filledMatrix(WIDE, ['a', 'b', 'c'], [1, 2, 3], [1]);
    const b = filledMatrix(WIDE, ['d'], [9], [2]);
    const first = writer.encode(a.matrix, a.index, WIDE).slice();
    const second = writer.encode(b.matrix, b.index, WIDE);
    expect(matrixBits(decodeMatrixSnapshot(first, WIDE).matrix)).toEqual(matrixBits(a.matrix));
    expect(matrixBits(decodeMatrixSnapshot(second, WIDE).matrix)).toEqual(matrixBits(b.matrix));
    const third = writer.encode(a.matrix, a.index, WIDE);
    expect(third.buffer).toBe(second.buffer);
    expect(Array.from(third)).toEqual(Array.from(first));
  });

  it('decodes into a given matrix (replacing its rows) or into storage it is given', () => {
    const { matrix, index } = filledMatrix(MIXED, ['a', 'b'], [4, 5], [7, 8]);
    const bytes = encodeMatrixSnapshot(matrix, index, MIXED);
    const into = new StateMatrix(MIXED.layout, 1);
    into.ensureRows(5);
    into.set(4, 0, 123);
    const decoded = decodeMatrixSnapshot(bytes, MIXED, { into });
    expect(decoded.matrix).toBe(into);
    expect(into.rowCount).toBe(2);
    expect(matrixBits(into)).toEqual(matrixBits(matrix));
    const { storage, allocated } = recordingStorage();
    const stored = decodeMatrixSnapshot(bytes, MIXED, { storage });
    expect(allocated).toContain(stored.matrix.data);
  });

  it('the values are copied: changing the bytes afterwards changes nothing', () => {
    const { matrix, index } = filledMatrix(NARROW, ['a', 'b'], [1, 2], [1]);
    const bytes = encodeMatrixSnapshot(matrix, index, NARROW);
    const decoded = decodeMatrixSnapshot(bytes, NARROW);
    bytes.fill(0);
    expect(matrixBits(decoded.matrix)).toEqual(matrixBits(matrix));
    expect(decoded.rowIds.idOf(1)).toBe('b');
  });

  it('1,000,000 rows round-trip, aligned and not', () => {
    const schema = schemaOf({ a: f64Spec(), b: f64Spec(), c: f64Spec(), d: f64Spec(), e: f64Spec() });
    const rows = 1_000_000;
    const matrix = new StateMatrix(schema.layout, rows);
    matrix.ensureRows(rows);
    const index = new RowIndex();
    for (let r = 0; r < rows; r++) {
      index.rowFor(`wf-${r}`);
      matrix.setSeq(r, r * 3);
    }
    const data = matrix.data;
    for (let r = 0; r < rows; r++) for (let j = 0; j < 5; j++) data[r * 8 + j] = r % 7 === 0 ? Number.NaN : r * 0.5 - j;
    const bytes = encodeMatrixSnapshot(matrix, index, schema);
    for (const input of [bytes, misaligned(bytes, 5)]) {
      const decoded = decodeMatrixSnapshot(input, schema);
      expect(decoded.matrix.rowCount).toBe(rows);
      expect(Buffer.compare(byteImage(decoded.matrix.data, rows * 8), byteImage(data, rows * 8))).toBe(0);
      expect(Buffer.compare(byteImage(decoded.matrix.seqs, rows), byteImage(matrix.seqs, rows))).toBe(0);
      expect(decoded.rowIds.idOf(999_999)).toBe('wf-999999');
    }
  });
});

function f64Spec() {
  return WIDE.state.f0!;
}

function byteImage(values: Float64Array, length: number): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, length * 8);
}

describe('matrix snapshot: encoding refuses', () => {
  it('a matrix of another layout, too few row ids, an id with a lone surrogate', () => {
    const { matrix, index } = filledMatrix(MIXED, ['a'], [1], [1]);
    expect(() => encodeMatrixSnapshot(matrix, index, WIDE)).toThrow(SchemaMismatchError);
    expect(() => encodeMatrixSnapshot(matrix, new RowIndex(), MIXED)).toThrow(NotEncodableError);
    const bad = filledMatrix(MIXED, ['ok', 'bad\uD800'], [1], [1]);
    expect(() => encodeMatrixSnapshot(bad.matrix, bad.index, MIXED)).toThrow(/lone surrogate/);
  });
});

describe('matrix snapshot: hostile and mismatched input', () => {
  const { matrix, index } = filledMatrix(MIXED, ['order-1', 'order-2', 'ördér-3'], [1.5, Number.NaN, -0], [3, 4, 5]);
  const good = encodeMatrixSnapshot(matrix, index, MIXED);

  it('every truncation is a SerializationError', () => {
    for (let n = 0; n < good.length; n++) {
      expect(() => decodeMatrixSnapshot(good.subarray(0, n), MIXED), `length ${n}`).toThrow(SerializationError);
    }
  });

  it('a flipped bit anywhere: the same content or a SerializationError, never a crash', () => {
    const expected = matrixBits(matrix);
    for (let bit = 0; bit < good.length * 8; bit += 3) {
      const bytes = good.slice();
      bytes[bit >> 3]! ^= 1 << (bit & 7);
      try {
        const decoded = decodeMatrixSnapshot(bytes, MIXED);
        // A flip in a value, a seq, an id byte or unused padding passes every check: it is data.
        expect(decoded.matrix.rowCount).toBe(3);
        expect(decoded.matrix.layout).toBe(MIXED.layout);
        void expected;
      } catch (error) {
        expect(error, `bit ${bit}`).toBeInstanceOf(SerializationError);
      }
    }
  });

  it('another buffer type, a newer schema version', () => {
    const other = good.slice();
    other.set(new TextEncoder().encode('WFDL'), 4);
    expect(() => decodeMatrixSnapshot(other, MIXED)).toThrow(WrongBufferTypeError);
    const text = new TextDecoder().decode(good.subarray(4, 8));
    expect(text).toBe('WFMS');
    // schema_version is the first field of the root table: find it through the vtable.
    const bb = new ByteBuffer(good.slice());
    const root = bb.readInt32(0);
    const at = root + bb.__offset(root, 4);
    bb.writeUint16(at, 999);
    expect(() => decodeMatrixSnapshot(bb.bytes(), MIXED)).toThrow(UnsupportedSchemaVersionError);
  });

  for (const [what, schema] of Object.entries(MIXED_VARIANTS)) {
    it(`a layout that differs by ${what}: SchemaMismatchError`, () => {
      expect(() => decodeMatrixSnapshot(good, schema)).toThrow(SchemaMismatchError);
    });
  }

  it('another fingerprint is flagged by default, refused on request; weights ride on the fingerprint', () => {
    const newer = schemaOf(MIXED.state, 'test', 'fp-2');
    const flagged = decodeMatrixSnapshot(good, newer);
    expect(flagged.fingerprintMatches).toBe(false);
    expect(flagged.fingerprint).toBe('fp-1');
    expect(matrixBits(flagged.matrix)).toEqual(matrixBits(matrix));
    expect(() => decodeMatrixSnapshot(good, newer, { fingerprints: 'reject' })).toThrow(/fingerprint fp-1/);
  });

  it('into a matrix of another layout: SchemaMismatchError, the matrix untouched', () => {
    const into = new StateMatrix(WIDE.layout, 1);
    expect(() => decodeMatrixSnapshot(good, MIXED, { into })).toThrow(SchemaMismatchError);
    expect(into.rowCount).toBe(0);
  });

  const spoiled: Record<string, (raw: ReturnType<typeof validRaw>) => ReturnType<typeof validRaw>> = {
    'values shorter than row_count x stride': (raw) => ({ ...raw, values: raw.values.slice(1) }),
    'values longer than row_count x stride': (raw) => ({ ...raw, values: [...raw.values, 0, 0, 0, 0, 0, 0, 0, 0] }),
    'one seq too few': (raw) => ({ ...raw, seqs: [3] }),
    'a NaN seq': (raw) => ({ ...raw, seqs: [3, Number.NaN] }),
    'a negative seq': (raw) => ({ ...raw, seqs: [-1, 4] }),
    'a fractional seq': (raw) => ({ ...raw, seqs: [1.5, 4] }),
    'a seq past 2^53': (raw) => ({ ...raw, seqs: [2 ** 53, 4] }),
    'a non-zero padding column': (raw) => ({ ...raw, values: raw.values.map((v, i) => (i === 13 ? 1 : v)) }),
    'a -0 padding column': (raw) => ({ ...raw, values: raw.values.map((v, i) => (i === 6 ? -0 : v)) }),
    'a NaN padding column': (raw) => ({ ...raw, values: raw.values.map((v, i) => (i === 7 ? Number.NaN : v)) }),
    'decreasing id ends': (raw) => ({ ...raw, idEnds: [2, 1] }),
    'id ends past the blob': (raw) => ({ ...raw, idEnds: [1, 9] }),
    'id ends short of the blob': (raw) => ({ ...raw, idEnds: [1, 2] }),
    'one id end too few': (raw) => ({ ...raw, idEnds: [3] }),
    'ids that are not UTF-8': (raw) => ({ ...raw, idBytes: Uint8Array.from([0x61, 0xff, 0x62]) }),
    'an id end inside a character': (raw) => ({ ...raw, idBytes: new TextEncoder().encode('aé'), idEnds: [2, 3] }),
    'a row_count with no rows behind it': (raw) => ({ ...raw, rowCount: 3 }),
  };
  for (const [what, spoil] of Object.entries(spoiled)) {
    it(`${what}: CorruptBufferError`, () => {
      const bytes = rawSnapshot(spoil(validRaw()));
      expect(() => decodeMatrixSnapshot(bytes, MIXED)).toThrow(CorruptBufferError);
      expect(() => decodeMatrixSnapshot(misaligned(bytes), MIXED)).toThrow(CorruptBufferError);
    });
  }

  it('the untouched raw snapshot decodes (the spoiled cases fail for their one reason)', () => {
    const decoded = decodeMatrixSnapshot(rawSnapshot(validRaw()), MIXED);
    expect(decoded.matrix.rowCount).toBe(2);
    expect([decoded.rowIds.idOf(0), decoded.rowIds.idOf(1)]).toEqual(['a', 'bc']);
  });

  it('duplicate row ids: decoding succeeds, building the RowIndex refuses', () => {
    const bytes = rawSnapshot({ ...validRaw(), idBytes: new TextEncoder().encode('abab'), idEnds: [2, 4] });
    const decoded = decodeMatrixSnapshot(bytes, MIXED);
    expect(() => decoded.rowIds.toRowIndex()).toThrow(/appears twice/);
  });

  it('filling an index that already holds other ids refuses', () => {
    const decoded = decodeMatrixSnapshot(rawSnapshot(validRaw()), MIXED);
    const index = new RowIndex();
    index.rowFor('zz');
    expect(() => decoded.rowIds.fillRowIndex(index)).toThrow(CorruptBufferError);
    const same = new RowIndex();
    same.rowFor('a');
    decoded.rowIds.fillRowIndex(same);
    expect(same.size).toBe(2);
  });
});
