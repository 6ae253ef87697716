/**
 * A fleet's whole state matrix as one FlatBuffer (schemas/matrix-snapshot.fbs, identifier WFMS):
 * layout, row count, the values row-major, the per-row seqs, and the row ids as one UTF-8 blob
 * with end offsets. Both directions move whole columns as typed-array blocks and allocate nothing
 * per value (and, reading, nothing per row: ids become strings when asked for).
 *
 * Why the builder is pre-sized: flatbuffers' Builder grows by doubling and copying everything
 * written so far, so a 280 MB snapshot built from a small builder is copied about nine times. The
 * size of every part is known up front, so the buffer is allocated once at its final size and the
 * big vectors are copied in with one `set` each (`placeVector`). A {@link MatrixSnapshotWriter}
 * also keeps that buffer between snapshots: on this kind of VM the first write to fresh memory
 * costs more than the copy itself (page faults), so periodic snapshots should reuse one writer.
 */
import { Builder } from 'flatbuffers';
import { HEAP_STORAGE, type MatrixStorage } from '../compare/matrix-storage.js';
import { MatrixSnapshot } from '../generated/wfmirror/fb/matrix-snapshot.js';
import { CorruptBufferError, NotEncodableError, SchemaMismatchError } from '../serialization/errors.js';
import { verifyRoot } from '../serialization/verify.js';
import { SCHEMA_VERSION } from '../serialization/version.js';
import type { StateLayout } from './layout.js';
import { checkLayout, type FingerprintPolicy, type FleetSchema, layoutSizeBound, writeLayout } from './matrix-snapshot-layout.js';
import { checkRowIds, encodeRowIds, RowIdScratch, type RowIdSource, SnapshotRowIds } from './matrix-snapshot-row-ids.js';
import {
  copyUint32,
  float64View,
  littleEndianBytes,
  placeVector,
  spanBytes,
  type VectorSpan,
  vectorSpan,
} from './matrix-snapshot-vectors.js';
import { StateMatrix } from './state-matrix.js';

/** Vtable slots of MatrixSnapshot's vectors (4 + 2 * field id in schemas/matrix-snapshot.fbs). */
const SLOT_VALUES = 10;
const SLOT_SEQS = 12;
const SLOT_ROW_ID_BYTES = 14;
const SLOT_ROW_ID_ENDS = 16;

/** FlatBuffers offsets are signed 32-bit: no buffer may reach 2 GiB. */
const MAX_BUFFER_BYTES = 0x7fff_fff8;

/**
 * Writes matrix snapshots, reusing one buffer. The bytes returned by {@link encode} are a view of
 * that buffer: valid until the next `encode` on this writer; copy them (`slice()`) to keep them
 * longer. Use {@link encodeMatrixSnapshot} for a one-off snapshot that owns its bytes.
 */
export class MatrixSnapshotWriter {
  #builder: Builder | undefined;
  readonly #ids = new RowIdScratch();

  /**
   * Encodes rows `0 .. matrix.rowCount - 1` of `matrix`, named by `rowIds`, as a MatrixSnapshot of
   * `schema`. The bytes start 8-byte aligned in their ArrayBuffer, so a reader can view the values
   * in place.
   * @throws SchemaMismatchError when `matrix` does not have `schema`'s layout.
   * @throws NotEncodableError when `rowIds` names fewer rows than the matrix has, an id is not
   *   well-formed UTF-16, or the snapshot would reach the 2 GiB FlatBuffers limit.
   */
  encode(matrix: StateMatrix, rowIds: RowIdSource, schema: FleetSchema): Uint8Array {
    checkSameLayout(matrix.layout, schema, 'encode');
    const rowCount = matrix.rowCount;
    if (rowIds.size < rowCount) {
      throw new NotEncodableError('a matrix snapshot', 'rowIds', `names ${rowIds.size} rows, the matrix has ${rowCount}`);
    }
    const stride = matrix.layout.stride;
    const idBytes = encodeRowIds(rowIds, rowCount, this.#ids);
    // Every part with its length word and worst-case alignment padding, then the tables.
    const size = rowCount * stride * 8 + rowCount * 8 + idBytes + rowCount * 4 + 4 * 16 + layoutSizeBound(schema) + 256;
    if (size > MAX_BUFFER_BYTES) {
      throw new NotEncodableError('a matrix snapshot', 'rows', `would take ${size} bytes, past the 2 GiB FlatBuffers limit`);
    }
    const builder = this.#builderFor(size);
    const values = placeVector(builder, littleEndianBytes(matrix.data.subarray(0, rowCount * stride)), 8, rowCount * stride);
    const seqs = placeVector(builder, littleEndianBytes(matrix.seqs.subarray(0, rowCount)), 8, rowCount);
    const idBlob = placeVector(builder, this.#ids.bytes.subarray(0, idBytes), 1, idBytes);
    const idEnds = placeVector(builder, littleEndianBytes(this.#ids.ends.subarray(0, rowCount)), 4, rowCount);
    const layout = writeLayout(builder, schema);
    MatrixSnapshot.startMatrixSnapshot(builder);
    MatrixSnapshot.addSchemaVersion(builder, SCHEMA_VERSION);
    MatrixSnapshot.addLayout(builder, layout);
    MatrixSnapshot.addRowCount(builder, rowCount);
    MatrixSnapshot.addValues(builder, values);
    MatrixSnapshot.addSeqs(builder, seqs);
    MatrixSnapshot.addRowIdBytes(builder, idBlob);
    MatrixSnapshot.addRowIdEnds(builder, idEnds);
    MatrixSnapshot.finishMatrixSnapshotBuffer(builder, MatrixSnapshot.endMatrixSnapshot(builder));
    return builder.asUint8Array();
  }

  /** The kept builder, cleared, when it has room for `size` bytes; else a new one of that size. */
  #builderFor(size: number): Builder {
    // A multiple of 8, so that the finished buffer (which ends at the end of the builder's array and
    // is a multiple of 8 long) starts 8-byte aligned.
    const capacity = Math.ceil(size / 8) * 8;
    const kept = this.#builder;
    if (kept !== undefined && kept.dataBuffer().capacity() >= capacity) {
      kept.clear();
      return kept;
    }
    this.#builder = new Builder(capacity);
    return this.#builder;
  }
}

/**
 * Encodes `matrix` (rows named by `rowIds`) as a MatrixSnapshot that owns its bytes; see
 * {@link MatrixSnapshotWriter.encode} for the rules and errors.
 */
export function encodeMatrixSnapshot(matrix: StateMatrix, rowIds: RowIdSource, schema: FleetSchema): Uint8Array {
  return new MatrixSnapshotWriter().encode(matrix, rowIds, schema);
}

/** Options of {@link decodeMatrixSnapshot}. */
export interface MatrixSnapshotReadOptions {
  /** Where a new matrix's values are allocated (default the heap). Ignored with `into`. */
  readonly storage?: MatrixStorage;
  /**
   * Load the rows into this matrix (of the expected layout) instead of a new one: every row it had
   * is replaced. Reusing a matrix whose capacity suffices avoids allocating (and first touching)
   * fresh memory.
   */
  readonly into?: StateMatrix;
  /** A fingerprint other than the expected schema's: `'flag'` (default) or `'reject'`; see FingerprintPolicy. */
  readonly fingerprints?: FingerprintPolicy;
}

/** A decoded matrix snapshot. */
export interface DecodedMatrixSnapshot {
  /** The rows, values and seqs bit for bit as written. */
  readonly matrix: StateMatrix;
  /** The id of each row; {@link SnapshotRowIds.fillRowIndex} turns them into a RowIndex. */
  readonly rowIds: SnapshotRowIds;
  /** Fingerprint of the code that wrote the snapshot. */
  readonly fingerprint: string;
  /** Whether that is the expected schema's fingerprint (always true under `fingerprints: 'reject'`). */
  readonly fingerprintMatches: boolean;
  /** Definition version recorded in the snapshot. */
  readonly version: number;
}

/**
 * Decodes a MatrixSnapshot written for `expected`'s workflow. Verifies the buffer first
 * (`verifyRoot`), then its layout against `expected`, then every consistency rule below, and only
 * then copies the rows in, as blocks (a byte copy when the values are not 8-byte aligned).
 * @throws CorruptBufferError, WrongBufferTypeError, UnsupportedSchemaVersionError for a buffer
 *   that is not a valid snapshot: values not `row_count * stride` long, seqs or id ends not one
 *   per row, a seq that is not a non-negative safe integer, a padding column that is not +0, id
 *   ends that decrease or do not end at the blob's end, ids that are not UTF-8.
 * @throws SchemaMismatchError when the layout is not `expected`'s (see matrix-snapshot-layout.ts),
 *   when `into` has another layout, or on a fingerprint difference under `'reject'`.
 * @throws MatrixCapacityError when the rows cannot be allocated.
 * Duplicate row ids are found when the ids become a RowIndex (`rowIds.fillRowIndex`).
 */
export function decodeMatrixSnapshot(
  bytes: Uint8Array,
  expected: FleetSchema,
  options: MatrixSnapshotReadOptions = {},
): DecodedMatrixSnapshot {
  const bb = verifyRoot(bytes, 'MatrixSnapshot');
  const snapshot = MatrixSnapshot.getRootAsMatrixSnapshot(bb);
  const check = checkLayout(snapshot.layout()!, expected, options.fingerprints ?? 'flag', 'the matrix snapshot');
  if (options.into !== undefined) checkSameLayout(options.into.layout, expected, 'decode into');
  const layout = expected.layout;
  const stride = layout.stride;
  const rowCount = snapshot.rowCount();
  const table = snapshot.bb_pos;
  const valuesSpan = vectorSpan(bb, table, SLOT_VALUES);
  const seqsSpan = vectorSpan(bb, table, SLOT_SEQS);
  const blobSpan = vectorSpan(bb, table, SLOT_ROW_ID_BYTES);
  const endsSpan = vectorSpan(bb, table, SLOT_ROW_ID_ENDS);
  expectLength(valuesSpan, rowCount * stride, `values (row_count ${rowCount} x stride ${stride})`);
  expectLength(seqsSpan, rowCount, 'seqs (one per row)');
  expectLength(endsSpan, rowCount, 'row_id_ends (one per row)');

  const valueBytes = spanBytes(bb, valuesSpan, 8);
  const seqBytes = spanBytes(bb, seqsSpan, 8);
  const values = float64View(valueBytes);
  const seqs = float64View(seqBytes);
  checkSeqs(seqs ?? seqBytes, rowCount, seqsSpan.start);
  checkPadding(values ?? valueBytes, layout, rowCount, valuesSpan.start);
  // Copied out: the ids outlive `bytes`, which the caller may reuse (a socket buffer, a writer's).
  const blob = spanBytes(bb, blobSpan, 1).slice();
  const ends = copyUint32(spanBytes(bb, endsSpan, 4));
  const text = checkRowIds(blob, ends, blobSpan.start, 'matrix snapshot');

  const matrix = options.into ?? new StateMatrix(layout, rowCount, options.storage ?? HEAP_STORAGE);
  matrix.loadRows(rowCount, values ?? valueBytes, seqs ?? seqBytes);
  return {
    matrix,
    rowIds: new SnapshotRowIds(blob, ends, text),
    fingerprint: check.fingerprint,
    fingerprintMatches: check.fingerprintMatches,
    version: check.version,
  };
}

/** SchemaMismatchError unless `layout` has the columns of `schema.layout`. */
function checkSameLayout(layout: StateLayout, schema: FleetSchema, what: string): void {
  const expected = schema.layout;
  if (layout === expected) return;
  const same =
    layout.stride === expected.stride &&
    layout.fieldCount === expected.fieldCount &&
    layout.names.every((name, j) => name === expected.names[j] && layout.kinds[j] === expected.kinds[j]);
  if (!same) throw new SchemaMismatchError(`${what}: the matrix's layout is not the layout of workflow "${schema.workflowType}"`);
}

function expectLength(span: VectorSpan, length: number, what: string): void {
  if (span.length !== length) {
    throw new CorruptBufferError(`matrix snapshot: ${what} should hold ${length} elements, it holds ${span.length}`, span.start);
  }
}

/** CorruptBufferError for the first seq that is not a non-negative safe integer. */
function checkSeqs(seqs: Float64Array | Uint8Array, rowCount: number, at: number): void {
  if (seqs instanceof Float64Array) {
    for (let r = 0; r < rowCount; r++) {
      const seq = seqs[r]!;
      if (!(Number.isSafeInteger(seq) && seq >= 0)) throw badSeq(r, seq, at);
    }
    return;
  }
  const view = new DataView(seqs.buffer, seqs.byteOffset, seqs.length);
  for (let r = 0; r < rowCount; r++) {
    const seq = view.getFloat64(r * 8, true);
    if (!(Number.isSafeInteger(seq) && seq >= 0)) throw badSeq(r, seq, at);
  }
}

function badSeq(row: number, seq: number, at: number): CorruptBufferError {
  return new CorruptBufferError(
    `matrix snapshot: the seq of row ${row} is ${seq}, not a non-negative safe integer`,
    at + row * 8,
  );
}

/** CorruptBufferError unless every padding column holds +0 (all bits zero). */
function checkPadding(values: Float64Array | Uint8Array, layout: StateLayout, rowCount: number, at: number): void {
  const { fieldCount, stride } = layout;
  if (fieldCount === stride) return;
  if (values instanceof Float64Array) {
    for (let r = 0; r < rowCount; r++) {
      for (let i = r * stride + fieldCount; i < (r + 1) * stride; i++) {
        const v = values[i]!;
        // NaN fails `=== 0`; -0 passes it but has its sign bit set.
        if (v !== 0 || 1 / v < 0) throw badPadding(r, i - r * stride, at + i * 8);
      }
    }
    return;
  }
  for (let r = 0; r < rowCount; r++) {
    for (let b = (r * stride + fieldCount) * 8; b < (r + 1) * stride * 8; b++) {
      if (values[b] !== 0) throw badPadding(r, Math.floor(b / 8) - r * stride, at + b);
    }
  }
}

function badPadding(row: number, column: number, at: number): CorruptBufferError {
  return new CorruptBufferError(`matrix snapshot: padding column ${column} of row ${row} is not 0`, at);
}
