/**
 * Anomaly reports through FlatBuffers: every field round-trips, numbers exactly (NaN, infinities
 * and -0 included, which JSON cannot carry), and bad reports or buffers are refused.
 */
import fc from 'fast-check';
import * as flatbuffers from 'flatbuffers';
import { describe, expect, test } from 'vitest';
import { decodeReport, encodeReport } from '../../ts/anomaly/codec.js';
import { ANOMALY_CAUSES, type AnomalyReport, SEVERITIES } from '../../ts/anomaly/report.js';
import { decodeAnomalyReport, encodeAnomalyReport } from '../../ts/anomaly/report-flatbuffer.js';
import { AffectedField } from '../../ts/generated/wfmirror/fb/affected-field.js';
import { AnomalyReport as AnomalyReportTable } from '../../ts/generated/wfmirror/fb/anomaly-report.js';
import { DecodedKind } from '../../ts/generated/wfmirror/fb/decoded-kind.js';
import { DecodedValue } from '../../ts/generated/wfmirror/fb/decoded-value.js';
import { CorruptBufferError, NotEncodableError } from '../../ts/serialization/index.js';
import { sampleReports } from '../serialization/samples.js';

const text = (min = 0) => fc.string({ unit: 'grapheme', minLength: min, maxLength: 20 });
const anyNumber = fc.oneof(fc.double(), fc.constantFrom(Number.NaN, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY));
const fieldValue = fc.oneof(fc.constant(null), anyNumber, fc.boolean(), text());
const anyReport: fc.Arbitrary<AnomalyReport> = fc.record({
  id: text(1),
  workflowId: text(),
  workflowType: text(),
  seq: fc.maxSafeNat(),
  deviation: anyNumber,
  threshold: anyNumber,
  severity: fc.constantFrom(...SEVERITIES),
  cause: fc.constantFrom(...ANOMALY_CAUSES),
  detail: text(),
  fields: fc.array(
    fc.record({
      name: text(),
      primary: fieldValue,
      mirror: fieldValue,
      contribution: anyNumber,
      share: anyNumber,
      reason: fc.constantFrom('numeric', 'categorical', 'missing'),
    }),
    { maxLength: 6 },
  ),
  detectedAt: fc.double({ noNaN: true, noDefaultInfinity: true }),
});

describe('round trips', () => {
  test('any report decodes to the same report, numbers compared with Object.is', () => {
    fc.assert(
      fc.property(anyReport, (report) => {
        // toEqual compares numbers with Object.is: NaN equals NaN, -0 differs from 0.
        expect(decodeAnomalyReport(encodeAnomalyReport(report))).toEqual(report);
      }),
      { numRuns: 500 },
    );
  });

  test('the samples round-trip, -0 and NaN included', () => {
    for (const report of sampleReports()) expect(decodeAnomalyReport(encodeAnomalyReport(report))).toEqual(report);
    const decoded = decodeAnomalyReport(encodeAnomalyReport(sampleReports()[1]!));
    expect(Object.is(decoded.deviation, -0)).toBe(true);
    expect(Object.is(decoded.detectedAt, -0)).toBe(true);
  });

  test('every severity and cause survives (matched to the schema enums by name)', () => {
    const base = sampleReports()[0]!;
    for (const severity of SEVERITIES) {
      for (const cause of ANOMALY_CAUSES) {
        expect(decodeAnomalyReport(encodeAnomalyReport({ ...base, severity, cause }))).toMatchObject({ severity, cause });
      }
    }
  });

  test('agrees with the JSON codec on what JSON can hold', () => {
    const report = { ...sampleReports()[0]!, deviation: 3.5, fields: sampleReports()[0]!.fields.slice(1) };
    expect(decodeAnomalyReport(encodeAnomalyReport(report))).toEqual(decodeReport(encodeReport(report)));
  });
});

describe('encode refuses bad reports', () => {
  const base = sampleReports()[0]!;
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown severity', { severity: 'fatal' }, /severity must be one of/],
    ['an unknown cause', { cause: 'gremlins' }, /cause must be one of/],
    ['an empty id', { id: '' }, /id must not be empty/],
    ['a fractional seq', { seq: 1.5 }, /seq must be a safe integer >= 0/],
    ['a NaN detectedAt', { detectedAt: Number.NaN }, /detectedAt must be a finite number/],
    ['a string deviation', { deviation: '1' }, /deviation must be a number/],
    ['a lone surrogate in detail', { detail: '\ud800' }, /detail must be a well-formed string/],
    [
      'an object field value',
      { fields: [{ ...base.fields[0]!, primary: { x: 1 } }] },
      /fields\[0\]\.primary must be a well-formed string/,
    ],
    ['an unknown reason', { fields: [{ ...base.fields[0]!, reason: 'vibes' }] }, /fields\[0\]\.reason must be one of/],
  ];
  test.each(bad)('%s', (_, change, message) => {
    const report = { ...base, ...change } as AnomalyReport;
    expect(() => encodeAnomalyReport(report)).toThrow(NotEncodableError);
    expect(() => encodeAnomalyReport(report)).toThrow(message);
  });
});

/** A report buffer written with the generated builder: `id`, `seq`, `detectedAt` and one field's primary value as given. */
function rawReport(o: { id?: string; seq?: number; detectedAt?: number; primaryKind?: number }): Uint8Array {
  const b = new flatbuffers.Builder(256);
  const s = (x: string) => b.createString(x);
  const id = s(o.id ?? 'r');
  const wid = s('w');
  const wtype = s('t');
  const detail = s('d');
  const name = s('f');
  const value = (kind: number) => {
    DecodedValue.startDecodedValue(b);
    DecodedValue.addKind(b, kind);
    return DecodedValue.endDecodedValue(b);
  };
  const primary = value(o.primaryKind ?? DecodedKind.Null);
  const mirror = value(DecodedKind.Null);
  AffectedField.startAffectedField(b);
  AffectedField.addName(b, name);
  AffectedField.addPrimary(b, primary);
  AffectedField.addMirror(b, mirror);
  const field = AffectedField.endAffectedField(b);
  const fields = AnomalyReportTable.createFieldsVector(b, [field]);
  AnomalyReportTable.startAnomalyReport(b);
  AnomalyReportTable.addSchemaVersion(b, 1);
  AnomalyReportTable.addId(b, id);
  AnomalyReportTable.addWorkflowId(b, wid);
  AnomalyReportTable.addWorkflowType(b, wtype);
  b.addFieldFloat64(4, o.seq ?? 1, null);
  AnomalyReportTable.addDetail(b, detail);
  AnomalyReportTable.addFields(b, fields);
  b.addFieldFloat64(11, o.detectedAt ?? 0, null);
  AnomalyReportTable.finishAnomalyReportBuffer(b, AnomalyReportTable.endAnomalyReport(b));
  return b.asUint8Array().slice();
}

describe('decode refuses what no report holds', () => {
  test('the hand-built report itself decodes', () => {
    expect(decodeAnomalyReport(rawReport({}))).toMatchObject({
      id: 'r',
      severity: 'info',
      cause: 'non-determinism',
      fields: [{ primary: null }],
    });
  });

  const bad: [string, Parameters<typeof rawReport>[0], RegExp][] = [
    ['an empty id', { id: '' }, /AnomalyReport\.id is empty/],
    ['a negative seq', { seq: -1 }, /AnomalyReport\.seq must be a safe integer >= 0/],
    ['a fractional seq', { seq: 0.25 }, /AnomalyReport\.seq must be a safe integer >= 0/],
    ['an infinite detectedAt', { detectedAt: Number.NEGATIVE_INFINITY }, /AnomalyReport\.detected_at must be finite/],
    ['a Text value without text', { primaryKind: DecodedKind.Text }, /fields\[0\]\.primary: a Text value without text/],
  ];
  test.each(bad)('%s', (_, raw, message) => {
    const bytes = rawReport(raw);
    expect(() => decodeAnomalyReport(bytes)).toThrow(CorruptBufferError);
    expect(() => decodeAnomalyReport(bytes)).toThrow(message);
  });
});
