/**
 * Shared pieces of the snapshot and delta tests: schemas, matrices filled from raw bit patterns
 * (so NaN payloads, -0 and infinities all occur), bit-level comparison, and a way to write
 * MatrixSnapshot buffers with any content (to hand decoders hostile but well-formed buffers).
 */
import fc from 'fast-check';
import { Builder } from 'flatbuffers';
import { MatrixSnapshot } from '../../ts/generated/wfmirror/fb/matrix-snapshot.js';
import { SCHEMA_VERSION } from '../../ts/serialization/version.js';
import { layoutFor } from '../../ts/state/layout.js';
import type { FleetSchema } from '../../ts/state/matrix-snapshot-layout.js';
import { writeLayout } from '../../ts/state/matrix-snapshot-layout.js';
import { FREE_ROW_ID, RowIndex } from '../../ts/state/row-index.js';
import { StateMatrix } from '../../ts/state/state-matrix.js';
import { bool, enumOf, f64, i32, type StateSchema, str } from '../../ts/workflow/fields.js';

/** A FleetSchema for `state`. */
export function schemaOf(state: StateSchema, workflowType = 'test', fingerprint = 'fp-1', version = 1): FleetSchema {
  return { workflowType, version, fingerprint, state, layout: layoutFor(state) };
}

/** 5 fields of every kind -> stride 8 (3 padding columns). */
export const MIXED = schemaOf({
  total: f64({ weight: 10, tolerance: 0.01, critical: true }),
  items: i32(),
  status: enumOf(['new', 'paid', 'shipped']),
  shipped: bool(),
  note: str(),
});

/** 32 f64 fields -> stride 32, no padding (the benchmark's shape). */
export const WIDE = schemaOf(Object.fromEntries(Array.from({ length: 32 }, (_, j) => [`f${j}`, f64()])));

/** One field -> stride 4. */
export const NARROW = schemaOf({ x: f64() });

/** The bits of a float64 array, as bigints (NaN payloads and -0 visible). */
export function bits(values: Float64Array): bigint[] {
  return Array.from(new BigUint64Array(values.slice().buffer));
}

/** Bits of rows [0, rows) of a matrix and of its seqs. */
export function matrixBits(matrix: StateMatrix): { values: bigint[]; seqs: bigint[] } {
  const stride = matrix.layout.stride;
  return {
    values: bits(matrix.data.subarray(0, matrix.rowCount * stride)),
    seqs: bits(matrix.seqs.subarray(0, matrix.rowCount)),
  };
}

/** A float64 from its two 32-bit halves (any pattern: NaN payloads included). */
export function fromWords(lo: number, hi: number): number {
  const words = new Uint32Array([lo, hi]);
  return new Float64Array(words.buffer)[0]!;
}

/** Special values every property should meet. */
export const SPECIAL_VALUES = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-308, -1.5, 2 ** 53];

/** A value column entry: a special value, a plain double, or a raw bit pattern (NaN payloads). */
export const valueArb: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(...SPECIAL_VALUES),
  fc.double(),
  fc.tuple(fc.nat({ max: 0xffff_ffff }), fc.nat({ max: 0xffff_ffff })).map(([lo, hi]) => fromWords(lo, hi)),
);

/** Row ids: distinct, possibly empty, non-ASCII (well-formed UTF-16), now and then long. */
export function rowIdsArb(maxRows: number): fc.Arbitrary<string[]> {
  const id = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'grapheme', maxLength: 6 }),
    fc.constantFrom('', '\uFEFFbom-first', 'ß', '日本', '😀'),
    fc.nat({ max: 5000 }).map((n) => `long-${'x'.repeat(n)}`),
  );
  return fc.uniqueArray(id, { maxLength: maxRows });
}

/** A matrix of `schema` with one row per id: `values` cycled over the value columns, seqs as given. */
export function filledMatrix(
  schema: FleetSchema,
  ids: readonly string[],
  values: readonly number[],
  seqs: readonly number[],
): { matrix: StateMatrix; index: RowIndex } {
  const matrix = new StateMatrix(schema.layout, 2);
  const index = new RowIndex();
  const { fieldCount } = schema.layout;
  let k = 0;
  for (const id of ids) {
    // The empty id is how a snapshot names a free row (an evicted instance's): add it as one.
    const r = id === FREE_ROW_ID ? index.addFreeRow() : index.appendRow(id);
    matrix.ensureRows(r + 1);
    for (let j = 0; j < fieldCount; j++) {
      if (values.length > 0) matrix.set(r, j, values[k++ % values.length]!);
    }
    matrix.setSeq(r, seqs.length > 0 ? seqs[r % seqs.length]! : 0);
  }
  return { matrix, index };
}

/** The same bytes at a byte offset that is not a multiple of 8 (as if sliced from a socket buffer). */
export function misaligned(bytes: Uint8Array, shift = 3): Uint8Array {
  const copy = new Uint8Array(bytes.length + shift);
  copy.set(bytes, shift);
  return copy.subarray(shift);
}

/** Raw parts of a MatrixSnapshot, each free to disagree with the others. */
export interface RawSnapshot {
  readonly schema: FleetSchema;
  readonly rowCount: number;
  readonly values: readonly number[];
  readonly seqs: readonly number[];
  readonly idBytes: Uint8Array;
  readonly idEnds: readonly number[];
}

/** Writes a MatrixSnapshot exactly as given (well-formed FlatBuffers, content unchecked). */
export function rawSnapshot(raw: RawSnapshot): Uint8Array {
  const b = new Builder(1024);
  const values = MatrixSnapshot.createValuesVector(b, Float64Array.from(raw.values));
  const seqs = MatrixSnapshot.createSeqsVector(b, Float64Array.from(raw.seqs));
  const idBytes = MatrixSnapshot.createRowIdBytesVector(b, raw.idBytes);
  const idEnds = MatrixSnapshot.createRowIdEndsVector(b, Uint32Array.from(raw.idEnds));
  const layout = writeLayout(b, raw.schema);
  MatrixSnapshot.startMatrixSnapshot(b);
  MatrixSnapshot.addSchemaVersion(b, SCHEMA_VERSION);
  MatrixSnapshot.addLayout(b, layout);
  MatrixSnapshot.addRowCount(b, raw.rowCount);
  MatrixSnapshot.addValues(b, values);
  MatrixSnapshot.addSeqs(b, seqs);
  MatrixSnapshot.addRowIdBytes(b, idBytes);
  MatrixSnapshot.addRowIdEnds(b, idEnds);
  MatrixSnapshot.finishMatrixSnapshotBuffer(b, MatrixSnapshot.endMatrixSnapshot(b));
  return b.asUint8Array().slice();
}

/** A valid raw snapshot of MIXED with two rows ("a", "bc"), to be spoiled one part at a time. */
export function validRaw(): RawSnapshot {
  const row = [1.5, 2, 1, 0, 7, 0, 0, 0];
  return {
    schema: MIXED,
    rowCount: 2,
    values: [...row, ...row],
    seqs: [3, 4],
    idBytes: new TextEncoder().encode('abc'),
    idEnds: [1, 3],
  };
}

/** Schemas that differ from MIXED in one must-match respect each. */
export const MIXED_VARIANTS: Record<string, FleetSchema> = {
  'another workflow type': schemaOf(MIXED.state, 'other'),
  'a renamed field': schemaOf({ ...renamed(MIXED.state, 'note', 'memo') }),
  'a field of another kind': schemaOf({ ...MIXED.state, items: f64() }),
  'other enum values': schemaOf({ ...MIXED.state, status: enumOf(['new', 'paid', 'lost']) }),
  'one field more': schemaOf({ ...MIXED.state, extra: f64() }),
  'another stride': schemaOf({ ...MIXED.state, a: f64(), b: f64(), c: f64(), d: f64() }),
};

function renamed(state: StateSchema, from: string, to: string): StateSchema {
  return Object.fromEntries(Object.entries(state).map(([k, v]) => [k === from ? to : k, v]));
}
