/**
 * Matrix deltas on the wire (schemas/delta.fbs, identifier WFDL). The delta is columnar in memory
 * and on the wire, so each of its vectors is one block copy either way; the bytes are a fixed
 * header plus 24 per changed row plus 10 per changed field (2 for the index, 8 for the value),
 * plus the UTF-8 ids of new rows.
 */
import { Builder, Encoding } from 'flatbuffers';
import { Delta } from '../generated/wfmirror/fb/delta.js';
import { CorruptBufferError, NotEncodableError, SchemaMismatchError } from '../serialization/errors.js';
import { verifyRoot } from '../serialization/verify.js';
import { SCHEMA_VERSION } from '../serialization/version.js';
import { deltaShapeProblem, type MatrixDelta } from './delta.js';
import type { FleetSchema } from './matrix-snapshot-layout.js';
import { checkRowIds, encodeRowIds, RowIdScratch, SnapshotRowIds } from './matrix-snapshot-row-ids.js';
import {
  copyFloat64,
  copyUint16,
  copyUint32,
  littleEndianBytes,
  placeVector,
  spanBytes,
  utf8Text,
  vectorSpan,
} from './matrix-snapshot-vectors.js';

/** Vtable slots of Delta's fields (4 + 2 * field id in schemas/delta.fbs). */
const SLOT_NEW_ROW_ID_BYTES = 16;
const SLOT_NEW_ROW_ID_ENDS = 18;
const SLOT_ROWS = 20;
const SLOT_FROM_SEQS = 22;
const SLOT_TO_SEQS = 24;
const SLOT_FIELD_ENDS = 26;
const SLOT_FIELDS = 28;
const SLOT_VALUES = 30;

/**
 * Encodes a delta (as a DeltaTracker produced it, or built by hand).
 * @throws NotEncodableError when the delta's parts disagree (see `deltaShapeProblem`), its version
 *   is not an unsigned 32-bit integer, or a new row id is not well-formed UTF-16.
 */
export function encodeDelta(delta: MatrixDelta): Uint8Array {
  const problem = deltaShapeProblem(delta);
  if (problem !== undefined) throw new NotEncodableError('a matrix delta', 'delta', problem);
  if (!Number.isInteger(delta.version) || delta.version < 0 || delta.version > 0xffff_ffff) {
    throw new NotEncodableError('a matrix delta', 'version', `must be an unsigned 32-bit integer, got ${String(delta.version)}`);
  }
  const ids = new RowIdScratch();
  const newRows = delta.newRowIds.length;
  const idBytes = encodeRowIds({ size: newRows, idOf: (r) => delta.newRowIds[r]! }, newRows, ids);
  const n = delta.rows.length;
  const m = delta.fields.length;
  const size =
    256 + 3 * (delta.workflowType.length + delta.fingerprint.length) + idBytes + newRows * 4 + n * 24 + m * 10 + 8 * 16;
  const builder = new Builder(Math.ceil(size / 8) * 8);
  const values = placeVector(builder, littleEndianBytes(delta.values), 8, m);
  const fromSeqs = placeVector(builder, littleEndianBytes(delta.fromSeqs), 8, n);
  const toSeqs = placeVector(builder, littleEndianBytes(delta.toSeqs), 8, n);
  const rows = placeVector(builder, littleEndianBytes(delta.rows), 4, n);
  const fieldEnds = placeVector(builder, littleEndianBytes(delta.fieldEnds), 4, n);
  const idEnds = placeVector(builder, littleEndianBytes(ids.ends.subarray(0, newRows)), 4, newRows);
  const fields = placeVector(builder, littleEndianBytes(delta.fields), 2, m);
  const idBlob = placeVector(builder, ids.bytes.subarray(0, idBytes), 1, idBytes);
  const workflowType = builder.createString(delta.workflowType);
  const fingerprint = builder.createString(delta.fingerprint);
  Delta.startDelta(builder);
  Delta.addSchemaVersion(builder, SCHEMA_VERSION);
  Delta.addWorkflowType(builder, workflowType);
  Delta.addVersion(builder, delta.version);
  Delta.addFingerprint(builder, fingerprint);
  Delta.addRowCountBefore(builder, delta.rowCountBefore);
  Delta.addRowCount(builder, delta.rowCount);
  Delta.addNewRowIdBytes(builder, idBlob);
  Delta.addNewRowIdEnds(builder, idEnds);
  Delta.addRows(builder, rows);
  Delta.addFromSeqs(builder, fromSeqs);
  Delta.addToSeqs(builder, toSeqs);
  Delta.addFieldEnds(builder, fieldEnds);
  Delta.addFields(builder, fields);
  Delta.addValues(builder, values);
  Delta.finishDeltaBuffer(builder, Delta.endDelta(builder));
  return builder.asUint8Array();
}

/**
 * Decodes a Delta. Verifies the buffer, copies every vector out (the delta does not alias
 * `bytes`; values bit for bit, at any alignment) and checks its consistency. With `expected`,
 * also checks that it is that workflow's delta under that fingerprint and that every field is a
 * column of its layout; `applyDelta` checks the same against its target in any case.
 * @throws CorruptBufferError, WrongBufferTypeError, UnsupportedSchemaVersionError for bytes that
 *   are no valid delta (see `deltaShapeProblem` for the consistency rules).
 * @throws SchemaMismatchError when it is another workflow type's or fingerprint's than `expected`.
 */
export function decodeDelta(bytes: Uint8Array, expected?: FleetSchema): MatrixDelta {
  const bb = verifyRoot(bytes, 'Delta');
  const root = Delta.getRootAsDelta(bb);
  const table = root.bb_pos;
  const workflowType = utf8Text(root.workflowType(Encoding.UTF8_BYTES));
  const fingerprint = utf8Text(root.fingerprint(Encoding.UTF8_BYTES));
  if (expected !== undefined) {
    if (workflowType !== expected.workflowType) {
      throw new SchemaMismatchError(`the delta is of workflow "${workflowType}", expected "${expected.workflowType}"`);
    }
    if (fingerprint !== expected.fingerprint) {
      throw new SchemaMismatchError(`the delta was taken under fingerprint ${fingerprint}, expected ${expected.fingerprint}`);
    }
  }
  const blobSpan = vectorSpan(bb, table, SLOT_NEW_ROW_ID_BYTES);
  const blob = spanBytes(bb, blobSpan, 1).slice();
  const ends = copyUint32(spanBytes(bb, vectorSpan(bb, table, SLOT_NEW_ROW_ID_ENDS), 4));
  const text = checkRowIds(blob, ends, blobSpan.start, 'delta');
  const ids = new SnapshotRowIds(blob, ends, text);
  const newRowIds: string[] = [];
  for (let r = 0; r < ids.size; r++) newRowIds.push(ids.idOf(r));
  const delta: MatrixDelta = {
    workflowType,
    version: root.version(),
    fingerprint,
    rowCountBefore: root.rowCountBefore(),
    rowCount: root.rowCount(),
    newRowIds,
    rows: copyUint32(spanBytes(bb, vectorSpan(bb, table, SLOT_ROWS), 4)),
    fromSeqs: copyFloat64(spanBytes(bb, vectorSpan(bb, table, SLOT_FROM_SEQS), 8)),
    toSeqs: copyFloat64(spanBytes(bb, vectorSpan(bb, table, SLOT_TO_SEQS), 8)),
    fieldEnds: copyUint32(spanBytes(bb, vectorSpan(bb, table, SLOT_FIELD_ENDS), 4)),
    fields: copyUint16(spanBytes(bb, vectorSpan(bb, table, SLOT_FIELDS), 2)),
    values: copyFloat64(spanBytes(bb, vectorSpan(bb, table, SLOT_VALUES), 8)),
  };
  const problem = deltaShapeProblem(delta, expected?.layout.fieldCount);
  if (problem !== undefined) throw new CorruptBufferError(`delta: ${problem}`, table);
  return delta;
}
