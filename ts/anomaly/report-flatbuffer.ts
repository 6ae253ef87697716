/**
 * Anomaly reports as FlatBuffers `AnomalyReport` (schemas/anomaly-report.fbs), for transports
 * and sinks that carry binary. Unlike the JSON codec (codec.ts), numbers need no string stand-ins:
 * deviation, threshold, contribution, share and numeric field values travel as doubles, NaN,
 * infinities and -0 included, and read back as exactly what was written.
 *
 * The enums' codes are matched to the report's words by name at load (`state-written-outside-
 * handler` <-> `StateWrittenOutsideHandler`), so reordering either side fails loudly, not silently.
 */
import type * as flatbuffers from 'flatbuffers';
import { ENUMS } from '../generated/schema-descriptors.js';
import { AffectedField as AffectedFieldTable } from '../generated/wfmirror/fb/affected-field.js';
import { AnomalyReport as AnomalyReportTable } from '../generated/wfmirror/fb/anomaly-report.js';
import { DecodedKind } from '../generated/wfmirror/fb/decoded-kind.js';
import { DecodedValue } from '../generated/wfmirror/fb/decoded-value.js';
import { addDoubleField } from '../serialization/doubles.js';
import { CorruptBufferError, NotEncodableError } from '../serialization/errors.js';
import { buildBuffer } from '../serialization/shared-builder.js';
import { createString } from '../serialization/strings.js';
import { fieldIdOf, fieldPosition, slotOf } from '../serialization/table-access.js';
import { isWellFormed } from '../serialization/utf8.js';
import { verifyRoot } from '../serialization/verify.js';
import { SCHEMA_VERSION } from '../serialization/version.js';
import {
  type AffectedField,
  ANOMALY_CAUSES,
  type AnomalyCause,
  type AnomalyReport,
  type FieldReason,
  SEVERITIES,
  type Severity,
} from './report.js';

const FIELD_REASONS: readonly FieldReason[] = ['numeric', 'categorical', 'missing'];

/** word -> code and code -> word for one enum, matched by name (`lost-event` <-> `LostEvent`). */
function enumCodes<W extends string>(
  words: readonly W[],
  enumName: string,
): { code: ReadonlyMap<string, number>; word: readonly W[] } {
  const values = ENUMS[enumName]!.values;
  const word: W[] = [];
  const code = new Map<string, number>();
  for (const w of words) {
    const pascal = w.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) => c.toUpperCase());
    const c = values[pascal];
    if (c === undefined) throw new Error(`schema: enum ${enumName} has no member ${pascal} for '${w}'`);
    code.set(w, c);
    word[c] = w;
  }
  if (word.length !== Object.keys(values).length || word.includes(undefined as never)) {
    throw new Error(`schema: enum ${enumName} and [${words.join(', ')}] do not match one to one`);
  }
  return { code, word };
}

const SEVERITY = enumCodes<Severity>(SEVERITIES, 'Severity');
const CAUSE = enumCodes<AnomalyCause>(ANOMALY_CAUSES, 'AnomalyCause');
const REASON = enumCodes<FieldReason>(FIELD_REASONS, 'FieldReason');

const ID = {
  seq: fieldIdOf('AnomalyReport', 'seq'),
  deviation: fieldIdOf('AnomalyReport', 'deviation'),
  threshold: fieldIdOf('AnomalyReport', 'threshold'),
  detectedAt: fieldIdOf('AnomalyReport', 'detected_at'),
  contribution: fieldIdOf('AffectedField', 'contribution'),
  share: fieldIdOf('AffectedField', 'share'),
  number: fieldIdOf('DecodedValue', 'number'),
};
const SLOT = {
  id: slotOf('AnomalyReport', 'id'),
  seq: slotOf('AnomalyReport', 'seq'),
  detectedAt: slotOf('AnomalyReport', 'detected_at'),
  kind: slotOf('DecodedValue', 'kind'),
};

/**
 * Encodes a report (identifier WFAR).
 * @throws NotEncodableError for an unknown severity, cause or reason, an empty id, a seq that is
 *   not a safe integer >= 0, a non-finite detectedAt, a non-number where a number belongs, a
 *   field value that is not a number, boolean, string or null, or a string with a lone surrogate
 */
export function encodeAnomalyReport(report: AnomalyReport): Uint8Array {
  checkReport(report);
  return buildBuffer((b) => {
    const id = createString(b, report.id);
    const workflowId = createString(b, report.workflowId);
    const workflowType = createString(b, report.workflowType);
    const detail = createString(b, report.detail);
    const fields = AnomalyReportTable.createFieldsVector(
      b,
      report.fields.map((f) => writeField(b, f)),
    );
    AnomalyReportTable.startAnomalyReport(b);
    AnomalyReportTable.addSchemaVersion(b, SCHEMA_VERSION);
    AnomalyReportTable.addId(b, id);
    AnomalyReportTable.addWorkflowId(b, workflowId);
    AnomalyReportTable.addWorkflowType(b, workflowType);
    addDoubleField(b, ID.seq, report.seq);
    addDoubleField(b, ID.deviation, report.deviation);
    addDoubleField(b, ID.threshold, report.threshold);
    AnomalyReportTable.addSeverity(b, SEVERITY.code.get(report.severity)!);
    AnomalyReportTable.addCause(b, CAUSE.code.get(report.cause)!);
    AnomalyReportTable.addDetail(b, detail);
    AnomalyReportTable.addFields(b, fields);
    addDoubleField(b, ID.detectedAt, report.detectedAt);
    AnomalyReportTable.finishAnomalyReportBuffer(b, AnomalyReportTable.endAnomalyReport(b));
  });
}

/**
 * Decodes an `AnomalyReport` buffer.
 * @throws SerializationError; CorruptBufferError also for an empty id, a seq that is not a safe
 *   integer >= 0, a non-finite detectedAt, or a Text value without text
 */
export function decodeAnomalyReport(bytes: Uint8Array): AnomalyReport {
  const r = AnomalyReportTable.getRootAsAnomalyReport(verifyRoot(bytes, 'AnomalyReport'));
  const id = r.id()!;
  if (id === '') throw new CorruptBufferError('AnomalyReport.id is empty', fieldPosition(r, SLOT.id));
  const seq = r.seq();
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new CorruptBufferError(`AnomalyReport.seq must be a safe integer >= 0, got ${seq}`, fieldPosition(r, SLOT.seq));
  }
  const detectedAt = r.detectedAt();
  if (!Number.isFinite(detectedAt)) {
    throw new CorruptBufferError(
      `AnomalyReport.detected_at must be finite, got ${detectedAt}`,
      fieldPosition(r, SLOT.detectedAt),
    );
  }
  const fields: AffectedField[] = new Array(r.fieldsLength());
  const table = new AffectedFieldTable();
  for (let i = 0; i < fields.length; i++) {
    const f = r.fields(i, table)!;
    fields[i] = {
      name: f.name()!,
      primary: readValue(f.primary()!, `fields[${i}].primary`),
      mirror: readValue(f.mirror()!, `fields[${i}].mirror`),
      contribution: f.contribution(),
      share: f.share(),
      reason: REASON.word[f.reason()]!,
    };
  }
  return {
    id,
    workflowId: r.workflowId()!,
    workflowType: r.workflowType()!,
    seq,
    deviation: r.deviation(),
    threshold: r.threshold(),
    severity: SEVERITY.word[r.severity()]!,
    cause: CAUSE.word[r.cause()]!,
    detail: r.detail()!,
    fields,
    detectedAt,
  };
}

function checkReport(report: AnomalyReport): void {
  const refuse = (field: string, problem: string): never => {
    throw new NotEncodableError('an anomaly report', field, problem);
  };
  const text = (value: unknown, field: string): void => {
    if (typeof value !== 'string' || !isWellFormed(value)) refuse(field, 'must be a well-formed string');
  };
  const num = (value: unknown, field: string): void => {
    if (typeof value !== 'number') refuse(field, 'must be a number');
  };
  text(report.id, 'id');
  if (report.id === '') refuse('id', 'must not be empty');
  text(report.workflowId, 'workflowId');
  text(report.workflowType, 'workflowType');
  text(report.detail, 'detail');
  if (!Number.isSafeInteger(report.seq) || report.seq < 0)
    refuse('seq', `must be a safe integer >= 0, got ${String(report.seq)}`);
  num(report.deviation, 'deviation');
  num(report.threshold, 'threshold');
  if (!Number.isFinite(report.detectedAt)) refuse('detectedAt', `must be a finite number, got ${String(report.detectedAt)}`);
  if (!SEVERITY.code.has(report.severity)) refuse('severity', `must be one of ${SEVERITIES.join(', ')}`);
  if (!CAUSE.code.has(report.cause)) refuse('cause', `must be one of ${ANOMALY_CAUSES.join(', ')}`);
  if (!Array.isArray(report.fields)) refuse('fields', 'must be an array');
  report.fields.forEach((f, i) => {
    text(f.name, `fields[${i}].name`);
    num(f.contribution, `fields[${i}].contribution`);
    num(f.share, `fields[${i}].share`);
    if (!REASON.code.has(f.reason)) refuse(`fields[${i}].reason`, `must be one of ${FIELD_REASONS.join(', ')}`);
    for (const side of ['primary', 'mirror'] as const) {
      const v: unknown = f[side];
      if (v !== null && typeof v !== 'number' && typeof v !== 'boolean') text(v, `fields[${i}].${side}`);
    }
  });
}

function writeField(b: flatbuffers.Builder, f: AffectedField): flatbuffers.Offset {
  const name = createString(b, f.name);
  const primary = writeValue(b, f.primary);
  const mirror = writeValue(b, f.mirror);
  AffectedFieldTable.startAffectedField(b);
  AffectedFieldTable.addName(b, name);
  AffectedFieldTable.addPrimary(b, primary);
  AffectedFieldTable.addMirror(b, mirror);
  addDoubleField(b, ID.contribution, f.contribution);
  addDoubleField(b, ID.share, f.share);
  AffectedFieldTable.addReason(b, REASON.code.get(f.reason)!);
  return AffectedFieldTable.endAffectedField(b);
}

function writeValue(b: flatbuffers.Builder, value: AffectedField['primary']): flatbuffers.Offset {
  const text = typeof value === 'string' ? createString(b, value) : 0;
  DecodedValue.startDecodedValue(b);
  if (value === null) DecodedValue.addKind(b, DecodedKind.Null);
  else if (typeof value === 'number') {
    DecodedValue.addKind(b, DecodedKind.Number);
    addDoubleField(b, ID.number, value);
  } else if (typeof value === 'boolean') {
    DecodedValue.addKind(b, DecodedKind.Boolean);
    DecodedValue.addBoolean(b, value);
  } else {
    DecodedValue.addKind(b, DecodedKind.Text);
    DecodedValue.addText(b, text);
  }
  return DecodedValue.endDecodedValue(b);
}

function readValue(v: DecodedValue, label: string): AffectedField['primary'] {
  switch (v.kind()) {
    case DecodedKind.Null:
      return null;
    case DecodedKind.Number:
      return v.number();
    case DecodedKind.Boolean:
      return v.boolean();
    default: {
      // DecodedKind.Text (the verifier checked the enum's range)
      const text = v.text();
      if (text === null) throw new CorruptBufferError(`${label}: a Text value without text`, fieldPosition(v, SLOT.kind));
      return text;
    }
  }
}
