import fc from 'fast-check';
import { Builder, ByteBuffer } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { Delta } from '../../ts/generated/wfmirror/fb/delta.js';
import { CorruptBufferError, SchemaMismatchError, SerializationError } from '../../ts/serialization/errors.js';
import { SCHEMA_VERSION } from '../../ts/serialization/version.js';
import type { MatrixDelta } from '../../ts/state/delta.js';
import { applyDelta } from '../../ts/state/delta-apply.js';
import { decodeDelta, encodeDelta } from '../../ts/state/delta-codec.js';
import { DeltaBaseMismatchError, DeltaShapeError } from '../../ts/state/delta-errors.js';
import { DeltaTracker } from '../../ts/state/delta-tracker.js';
import { decodeMatrixSnapshot, encodeMatrixSnapshot } from '../../ts/state/matrix-snapshot-codec.js';
import { RowIndex } from '../../ts/state/row-index.js';
import { StateMatrix } from '../../ts/state/state-matrix.js';
import { bits, fromWords, MIXED, matrixBits, misaligned, schemaOf, valueArb, WIDE } from './snapshot-fixtures.js';

const QUIET_NAN = Number.NaN;
const PAYLOAD_NAN = fromWords(0x1234, 0x7ff8_0000);

/** A matrix of `schema` with `rows` rows "r0", "r1"..., every field j of row r = r + j/10, seq 1. */
function fleet(schema = MIXED, rows = 3) {
  const matrix = new StateMatrix(schema.layout, 4);
  const index = new RowIndex();
  for (let r = 0; r < rows; r++) addRow(matrix, index, `r${r}`);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < schema.layout.fieldCount; j++) matrix.set(r, j, r + j / 10);
    matrix.setSeq(r, 1);
  }
  return { matrix, index };
}

function addRow(matrix: StateMatrix, index: RowIndex, id: string): number {
  const r = index.rowFor(id);
  matrix.ensureRows(r + 1);
  return r;
}

/** A copy of a matrix and its index, through a snapshot (what a receiver starts from). */
function copyOf(matrix: StateMatrix, index: RowIndex, schema = MIXED) {
  const decoded = decodeMatrixSnapshot(encodeMatrixSnapshot(matrix, index, schema), schema);
  return { matrix: decoded.matrix, index: decoded.rowIds.toRowIndex() };
}

function entries(delta: MatrixDelta): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  let k = 0;
  for (let i = 0; i < delta.rows.length; i++) {
    for (; k < delta.fieldEnds[i]!; k++) out.push([delta.rows[i]!, delta.fields[k]!, delta.fromSeqs[i]!, delta.toSeqs[i]!]);
  }
  return out;
}

describe('DeltaTracker', () => {
  it('lists only rows whose seq moved, only their fields whose bits changed', () => {
    const { matrix, index } = fleet();
    const tracker = new DeltaTracker(matrix, index, MIXED);
    tracker.mark();
    matrix.set(1, 0, 99);
    matrix.set(1, 3, 1 + 3 / 10); // same value written again: not a change
    matrix.setSeq(1, 2);
    matrix.set(2, 4, 7); // no seq move: not seen by default
    const delta = tracker.take();
    expect(entries(delta)).toEqual([[1, 0, 1, 2]]);
    expect(Array.from(delta.values)).toEqual([99]);
    expect([delta.rowCountBefore, delta.rowCount, delta.newRowIds]).toEqual([3, 3, []]);
    expect([delta.workflowType, delta.fingerprint, delta.version]).toEqual(['test', 'fp-1', 1]);
  });

  it('compares bits: NaN payloads and -0 vs +0 are changes, a NaN rewritten as the same NaN is not', () => {
    const { matrix, index } = fleet(MIXED, 1);
    matrix.set(0, 0, 0);
    matrix.set(0, 1, QUIET_NAN);
    matrix.set(0, 2, PAYLOAD_NAN);
    const tracker = new DeltaTracker(matrix, index, MIXED);
    tracker.mark();
    matrix.set(0, 0, -0);
    matrix.set(0, 1, PAYLOAD_NAN);
    matrix.set(0, 2, PAYLOAD_NAN);
    matrix.setSeq(0, 5);
    const delta = tracker.take();
    expect(Array.from(delta.fields)).toEqual([0, 1]);
    expect(bits(delta.values)).toEqual(bits(new Float64Array([-0, PAYLOAD_NAN])));
  });

  it('a row whose seq moved with no field change is listed with no fields (its seq must move on the target)', () => {
    const { matrix, index } = fleet();
    const tracker = new DeltaTracker(matrix, index, MIXED);
    tracker.mark();
    matrix.setSeq(0, 9);
    const delta = tracker.take();
    expect(Array.from(delta.rows)).toEqual([0]);
    expect(Array.from(delta.fieldEnds)).toEqual([0]);
  });

  it('new rows come with their ids; untouched new rows are not listed, written ones only with fields that left NaN', () => {
    const { matrix, index } = fleet();
    const tracker = new DeltaTracker(matrix, index, MIXED);
    tracker.mark();
    addRow(matrix, index, 'fresh');
    const written = addRow(matrix, index, 'written');
    matrix.set(written, 2, 1);
    matrix.setSeq(written, 1);
    const delta = tracker.take();
    expect([delta.rowCountBefore, delta.rowCount]).toEqual([3, 5]);
    expect(delta.newRowIds).toEqual(['fresh', 'written']);
    expect(entries(delta)).toEqual([[4, 2, 0, 1]]);
  });

  it('the mark moves: the next delta holds only what changed after it', () => {
    const { matrix, index } = fleet();
    const tracker = new DeltaTracker(matrix, index, MIXED);
    tracker.mark();
    matrix.set(0, 0, 5);
    matrix.setSeq(0, 2);
    tracker.take();
    expect(tracker.take().rows.length).toBe(0);
    matrix.set(0, 1, 6);
    matrix.setSeq(0, 3);
    expect(entries(tracker.take())).toEqual([[0, 1, 2, 3]]);
  });

  it('before any mark, the first delta holds every row (from an empty matrix)', () => {
    const { matrix, index } = fleet();
    const delta = new DeltaTracker(matrix, index, MIXED).take();
    expect([delta.rowCountBefore, delta.rowCount, delta.newRowIds]).toEqual([0, 3, ['r0', 'r1', 'r2']]);
    const target = new StateMatrix(MIXED.layout);
    const targetIndex = new RowIndex();
    applyDelta(target, targetIndex, delta, MIXED);
    expect(matrixBits(target)).toEqual(matrixBits(matrix));
  });

  it('allRows finds writes that did not move a seq', () => {
    const { matrix, index } = fleet();
    const tracker = new DeltaTracker(matrix, index, MIXED);
    tracker.mark();
    matrix.set(2, 4, 7);
    expect(entries(tracker.take({ allRows: true }))).toEqual([[2, 4, 1, 1]]);
  });

  it('diffFields: false sends every field of a row whose seq moved, and keeps only seqs', () => {
    const { matrix, index } = fleet();
    const tracker = new DeltaTracker(matrix, index, MIXED, { diffFields: false });
    tracker.mark();
    matrix.set(1, 0, 42);
    matrix.setSeq(1, 2);
    matrix.set(2, 0, 42); // seq unchanged: not sent
    const delta = tracker.take();
    expect(entries(delta).map(([r, j]) => [r, j])).toEqual([0, 1, 2, 3, 4].map((j) => [1, j]));
  });

  it('a matrix reloaded with fewer rows than the mark: DeltaBaseMismatchError', () => {
    const { matrix, index } = fleet();
    const tracker = new DeltaTracker(matrix, index, MIXED);
    tracker.mark();
    matrix.loadRows(1, matrix.data.slice(0, 8), new Float64Array([1]));
    expect(() => tracker.take()).toThrow(DeltaBaseMismatchError);
  });
});

/** Random edits of a matrix: new rows, field writes (any bits), seq moves. */
const editsArb = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('add' as const) }),
    fc.record({ op: fc.constant('set' as const), row: fc.nat(), field: fc.nat(), value: valueArb, seq: fc.nat({ max: 1000 }) }),
    fc.record({ op: fc.constant('seq' as const), row: fc.nat(), seq: fc.nat({ max: 1000 }) }),
    fc.record({ op: fc.constant('take' as const) }),
  ),
  { maxLength: 60 },
);

describe("deltas: a receiver that applies every delta holds the sender's matrix, bit for bit", () => {
  it('property: random edits, deltas taken at random points, each through bytes (aligned or not)', () => {
    fc.assert(
      fc.property(editsArb, fc.boolean(), fc.boolean(), (edits, diffFields, shifted) => {
        const schema = MIXED;
        const sender = fleet(schema, 2);
        const receiver = copyOf(sender.matrix, sender.index);
        const tracker = new DeltaTracker(sender.matrix, sender.index, schema, { diffFields });
        tracker.mark();
        let ids = 2;
        const ship = () => {
          const bytes = encodeDelta(tracker.take());
          applyDelta(receiver.matrix, receiver.index, decodeDelta(shifted ? misaligned(bytes) : bytes, schema), schema);
        };
        for (const edit of edits) {
          const rows = sender.matrix.rowCount;
          if (edit.op === 'add') addRow(sender.matrix, sender.index, `n${ids++}`);
          else if (edit.op === 'take') ship();
          else {
            const row = edit.row % rows;
            if (edit.op === 'set') sender.matrix.set(row, edit.field % schema.layout.fieldCount, edit.value);
            // Engines move a row's seq with every write; the tracker relies on that.
            sender.matrix.setSeq(row, sender.matrix.seqOf(row) + 1 + edit.seq);
          }
        }
        ship();
        expect(matrixBits(receiver.matrix)).toEqual(matrixBits(sender.matrix));
        expect(receiver.index.size).toBe(sender.index.size);
        for (let r = 0; r < sender.index.size; r++) expect(receiver.index.idOf(r)).toBe(sender.index.idOf(r));
      }),
      { numRuns: 200 },
    );
  });
});

describe('delta codec', () => {
  it('round-trips every part; the generated accessors read the same', () => {
    const { matrix, index } = fleet();
    const tracker = new DeltaTracker(matrix, index, MIXED);
    tracker.mark();
    matrix.set(0, 1, PAYLOAD_NAN);
    matrix.set(0, 3, -0);
    matrix.setSeq(0, 7);
    addRow(matrix, index, '新しい');
    const delta = tracker.take();
    const bytes = encodeDelta(delta);
    const back = decodeDelta(bytes, MIXED);
    expect({ ...back, values: bits(back.values) }).toEqual({ ...delta, values: bits(delta.values) });
    const root = Delta.getRootAsDelta(new ByteBuffer(bytes));
    expect([root.workflowType(), root.rowCountBefore(), root.rowCount(), root.rowsLength(), root.fieldsLength()]).toEqual([
      'test',
      3,
      4,
      1,
      2,
    ]);
    expect(Array.from(root.fieldsArray()!)).toEqual([1, 3]);
    expect(new TextDecoder().decode(root.newRowIdBytesArray()!)).toBe('新しい');
  });

  it('bytes grow with the number of changed fields: 10 per field, 24 per changed row, nothing per unchanged row', () => {
    const schema = WIDE;
    const sizeFor = (rows: number, fieldsPerRow: number, fleetRows: number) => {
      const { matrix, index } = fleet(schema, fleetRows);
      const tracker = new DeltaTracker(matrix, index, schema);
      tracker.mark();
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < fieldsPerRow; j++) matrix.set(r, j, -1 - j);
        matrix.setSeq(r, 2);
      }
      return encodeDelta(tracker.take()).length;
    };
    const base = sizeFor(0, 0, 1000);
    expect(sizeFor(0, 0, 10)).toBe(base); // fleet size does not matter
    for (const [rows, fields] of [
      [1, 1],
      [1, 32],
      [10, 4],
      [100, 16],
      [500, 32],
    ] as const) {
      const predicted = base + rows * 24 + rows * fields * 10;
      const size = sizeFor(rows, fields, 1000);
      expect(Math.abs(size - predicted), `${rows} rows x ${fields} fields: ${size} vs ${predicted}`).toBeLessThanOrEqual(24);
    }
  });

  it('refuses to encode a delta whose parts disagree', () => {
    const { matrix, index } = fleet();
    const delta = new DeltaTracker(matrix, index, MIXED).take();
    expect(() => encodeDelta({ ...delta, toSeqs: new Float64Array(0) })).toThrow(SerializationError);
  });

  it('every truncation and flipped bit: a SerializationError or a valid delta', () => {
    const { matrix, index } = fleet();
    const tracker = new DeltaTracker(matrix, index, MIXED);
    tracker.mark();
    matrix.set(1, 2, 2);
    matrix.setSeq(1, 3);
    addRow(matrix, index, 'x');
    const bytes = encodeDelta(tracker.take());
    for (let n = 0; n < bytes.length; n++) expect(() => decodeDelta(bytes.subarray(0, n))).toThrow(SerializationError);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const flipped = bytes.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      try {
        const delta = decodeDelta(flipped);
        // Whatever decodes is self-consistent: it encodes again.
        encodeDelta(delta);
      } catch (error) {
        expect(error, `bit ${bit}`).toBeInstanceOf(SerializationError);
      }
    }
  });

  it('another workflow or fingerprint than expected: SchemaMismatchError; a field past the layout: CorruptBufferError', () => {
    const { matrix, index } = fleet();
    const bytes = encodeDelta(new DeltaTracker(matrix, index, MIXED).take());
    expect(() => decodeDelta(bytes, schemaOf(MIXED.state, 'other'))).toThrow(SchemaMismatchError);
    expect(() => decodeDelta(bytes, schemaOf(MIXED.state, 'test', 'fp-2'))).toThrow(SchemaMismatchError);
    const narrow = schemaOf({ a: MIXED.state.total! });
    const wide = fleet(schemaOf({ a: MIXED.state.total!, b: MIXED.state.total! }), 1);
    const withField1 = encodeDelta(
      new DeltaTracker(wide.matrix, wide.index, schemaOf({ a: MIXED.state.total!, b: MIXED.state.total! })).take(),
    );
    expect(() => decodeDelta(withField1, narrow)).toThrow(CorruptBufferError);
  });

  const rawDelta = (
    parts: Partial<Record<'rows' | 'from' | 'to' | 'ends' | 'fields' | 'values' | 'idEnds', number[]>> & {
      before?: number;
      count?: number;
      ids?: string;
    },
  ) => {
    const b = new Builder(256);
    const rows = Delta.createRowsVector(b, Uint32Array.from(parts.rows ?? [0]));
    const from = Delta.createFromSeqsVector(b, Float64Array.from(parts.from ?? [1]));
    const to = Delta.createToSeqsVector(b, Float64Array.from(parts.to ?? [2]));
    const ends = Delta.createFieldEndsVector(b, Uint32Array.from(parts.ends ?? [1]));
    const fields = Delta.createFieldsVector(b, Uint16Array.from(parts.fields ?? [0]));
    const values = Delta.createValuesVector(b, Float64Array.from(parts.values ?? [5]));
    const idBytes = Delta.createNewRowIdBytesVector(b, new TextEncoder().encode(parts.ids ?? ''));
    const idEnds = Delta.createNewRowIdEndsVector(b, Uint32Array.from(parts.idEnds ?? []));
    const type = b.createString('test');
    const fp = b.createString('fp-1');
    Delta.startDelta(b);
    Delta.addSchemaVersion(b, SCHEMA_VERSION);
    Delta.addWorkflowType(b, type);
    Delta.addFingerprint(b, fp);
    Delta.addVersion(b, 1);
    Delta.addRowCountBefore(b, parts.before ?? 3);
    Delta.addRowCount(b, parts.count ?? 3);
    Delta.addNewRowIdBytes(b, idBytes);
    Delta.addNewRowIdEnds(b, idEnds);
    Delta.addRows(b, rows);
    Delta.addFromSeqs(b, from);
    Delta.addToSeqs(b, to);
    Delta.addFieldEnds(b, ends);
    Delta.addFields(b, fields);
    Delta.addValues(b, values);
    Delta.finishDeltaBuffer(b, Delta.endDelta(b));
    return b.asUint8Array().slice();
  };

  it('a hand-written valid raw delta decodes (the spoiled ones below fail for their one reason)', () => {
    expect(entries(decodeDelta(rawDelta({}), MIXED))).toEqual([[0, 0, 1, 2]]);
  });

  const spoiled: Record<string, Parameters<typeof rawDelta>[0]> = {
    'rows not increasing': { rows: [1, 1], from: [1, 1], to: [2, 2], ends: [1, 1] },
    'a row past row_count': { rows: [3] },
    'from_seqs shorter than rows': { from: [] },
    'a NaN to_seq': { to: [Number.NaN] },
    'a negative from_seq': { from: [-1] },
    'field ends decreasing': { rows: [0, 1], from: [1, 1], to: [2, 2], ends: [1, 0] },
    'field ends short of the fields': { ends: [0] },
    'fields not increasing within a row': { fields: [2, 1], values: [1, 2], ends: [2] },
    'values shorter than fields': { values: [] },
    'row_count below row_count_before': { before: 3, count: 2 },
    'new rows without ids': { before: 3, count: 4 },
    'ids for rows that are not new': { ids: 'a', idEnds: [1] },
    'a new row with from_seq 1': { before: 0, count: 1, ids: 'a', idEnds: [1] },
    'id ends past the id bytes': { before: 3, count: 4, ids: 'a', idEnds: [2] },
    'a field past the layout': { fields: [5] },
  };
  for (const [what, parts] of Object.entries(spoiled)) {
    it(`${what}: CorruptBufferError`, () => {
      expect(() => decodeDelta(rawDelta(parts), MIXED)).toThrow(CorruptBufferError);
    });
  }
});

describe('applyDelta: all or nothing', () => {
  function setup() {
    const sender = fleet();
    const receiver = copyOf(sender.matrix, sender.index);
    const tracker = new DeltaTracker(sender.matrix, sender.index, MIXED);
    tracker.mark();
    sender.matrix.set(0, 0, 10);
    sender.matrix.setSeq(0, 2);
    sender.matrix.set(2, 4, 30);
    sender.matrix.setSeq(2, 2);
    addRow(sender.matrix, sender.index, 'new');
    sender.matrix.setSeq(3, 1);
    return { sender, receiver, delta: tracker.take() };
  }

  /** Asserts that `apply` throws `error` and leaves the receiver exactly as it was. */
  function expectUntouched(receiver: ReturnType<typeof copyOf>, apply: () => void, error: new (...args: never[]) => Error) {
    const before = matrixBits(receiver.matrix);
    const size = receiver.index.size;
    expect(apply).toThrow(error);
    expect(matrixBits(receiver.matrix)).toEqual(before);
    expect(receiver.index.size).toBe(size);
  }

  it('applies a fitting delta', () => {
    const { sender, receiver, delta } = setup();
    applyDelta(receiver.matrix, receiver.index, delta, MIXED);
    expect(matrixBits(receiver.matrix)).toEqual(matrixBits(sender.matrix));
    expect(receiver.index.get('new')).toBe(3);
  });

  it("a from_seq that is not the target's (the last changed row's): nothing written", () => {
    const { receiver, delta } = setup();
    receiver.matrix.setSeq(2, 5);
    expectUntouched(receiver, () => applyDelta(receiver.matrix, receiver.index, delta, MIXED), DeltaBaseMismatchError);
  });

  it('applied twice: refused the second time', () => {
    const { receiver, delta } = setup();
    applyDelta(receiver.matrix, receiver.index, delta, MIXED);
    expectUntouched(receiver, () => applyDelta(receiver.matrix, receiver.index, delta, MIXED), DeltaBaseMismatchError);
  });

  it('another row count, a new id already at another row, a repeated new id', () => {
    const { receiver, delta } = setup();
    const grown = copyOf(receiver.matrix, receiver.index);
    addRow(grown.matrix, grown.index, 'other');
    expectUntouched(grown, () => applyDelta(grown.matrix, grown.index, delta, MIXED), DeltaBaseMismatchError);
    const clash = { ...delta, newRowIds: ['r1'] };
    expectUntouched(receiver, () => applyDelta(receiver.matrix, receiver.index, clash, MIXED), DeltaBaseMismatchError);
    const twice = { ...delta, rowCount: 5, newRowIds: ['new', 'new'] };
    expectUntouched(receiver, () => applyDelta(receiver.matrix, receiver.index, twice, MIXED), DeltaBaseMismatchError);
  });

  it("a shared index that already holds the new row at the same place is fine (a fleet's other matrix added it)", () => {
    const { sender, receiver, delta } = setup();
    receiver.index.rowFor('new');
    applyDelta(receiver.matrix, receiver.index, delta, MIXED);
    expect(matrixBits(receiver.matrix)).toEqual(matrixBits(sender.matrix));
  });

  it('another workflow, fingerprint or layout: SchemaMismatchError; inconsistent parts: DeltaShapeError', () => {
    const { receiver, delta } = setup();
    const apply =
      (d: MatrixDelta, schema = MIXED, matrix = receiver.matrix) =>
      () =>
        applyDelta(matrix, receiver.index, d, schema);
    expectUntouched(receiver, apply({ ...delta, workflowType: 'other' }), SchemaMismatchError);
    expectUntouched(receiver, apply({ ...delta, fingerprint: 'fp-9' }), SchemaMismatchError);
    expectUntouched(receiver, apply(delta, WIDE), SchemaMismatchError);
    expectUntouched(receiver, apply({ ...delta, rows: Uint32Array.from([2, 0, 3]) }), DeltaShapeError);
    expectUntouched(receiver, apply({ ...delta, fields: Uint16Array.from([0, 9, 0]) }), DeltaShapeError);
  });
});
