/**
 * Checking and (de)serializing anomaly reports. Every sink that writes reports somewhere they
 * can be read back (JSONL file, SQLite) goes through here, so what is written can always be read.
 *
 * JSON has no Infinity or NaN (`JSON.stringify` turns them into `null`, which would read back as
 * "missing"), yet a deviation or a numeric field value can be infinite. Non-finite numbers in
 * number-only places are therefore written as the strings `"Infinity"`, `"-Infinity"`, `"NaN"`;
 * a field's `primary` / `mirror` is decoded from such a string only when its `reason` is
 * `numeric` (a categorical value may legitimately be the string "Infinity").
 */
import { InvalidAnomalyReportError } from './errors.js';
import { type AffectedField, ANOMALY_CAUSES, type AnomalyCause, type AnomalyReport, type FieldReason } from './report.js';
import { isSeverity } from './severity.js';

const FIELD_REASONS: readonly FieldReason[] = ['numeric', 'categorical', 'missing'];
// A Map, not an object literal: a lookup of "toString" must not find Object.prototype's.
const NON_FINITE: ReadonlyMap<string, number> = new Map([
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['NaN', Number.NaN],
]);

/** True when `value` is one of {@link ANOMALY_CAUSES}. */
export function isAnomalyCause(value: unknown): value is AnomalyCause {
  return typeof value === 'string' && (ANOMALY_CAUSES as readonly string[]).includes(value);
}

/** Replacer for `JSON.stringify` that keeps non-finite numbers (see the module comment). */
function keepNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/** One report as one line of JSON (no newline inside, none at the end). */
export function encodeReport(report: AnomalyReport): string {
  return JSON.stringify(report, keepNonFinite);
}

/** The affected fields alone as JSON: what the SQLite store keeps in its `fields` column. */
export function encodeFields(fields: readonly AffectedField[]): string {
  return JSON.stringify(fields, keepNonFinite);
}

/** Parses one JSON line into a checked report; throws {@link InvalidAnomalyReportError} or `SyntaxError`. */
export function decodeReport(json: string): AnomalyReport {
  return parseReport(JSON.parse(json));
}

/**
 * Checks a value decoded from JSON (or assembled from a database row) and returns it as a
 * report; non-finite numbers written by {@link encodeReport} are restored. Unknown extra
 * properties are dropped, so what comes back has exactly the report's shape.
 */
export function parseReport(value: unknown): AnomalyReport {
  const o = asObject(value, '');
  const severity = o['severity'];
  if (!isSeverity(severity)) throw new InvalidAnomalyReportError('severity', `is not a known severity: ${show(severity)}`);
  const cause = o['cause'];
  if (!isAnomalyCause(cause)) throw new InvalidAnomalyReportError('cause', `is not a known cause: ${show(cause)}`);
  const seq = o['seq'];
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    throw new InvalidAnomalyReportError('seq', `must be an integer >= 0, got ${show(seq)}`);
  }
  const detectedAt = o['detectedAt'];
  if (typeof detectedAt !== 'number' || !Number.isFinite(detectedAt)) {
    throw new InvalidAnomalyReportError('detectedAt', `must be a finite number, got ${show(detectedAt)}`);
  }
  return {
    id: nonEmptyString(o['id'], 'id'),
    workflowId: str(o['workflowId'], 'workflowId'),
    workflowType: str(o['workflowType'], 'workflowType'),
    seq,
    deviation: num(o['deviation'], 'deviation', false),
    threshold: num(o['threshold'], 'threshold', false),
    severity,
    cause,
    detail: str(o['detail'], 'detail'),
    fields: parseFields(o['fields'], 'fields'),
    detectedAt,
  };
}

/** Checks the `fields` array of a report; `path` prefixes error paths. */
export function parseFields(value: unknown, path = 'fields'): AffectedField[] {
  if (!Array.isArray(value)) throw new InvalidAnomalyReportError(path, `must be an array, got ${show(value)}`);
  return value.map((item: unknown, i) => parseField(item, `${path}[${i}]`));
}

function parseField(value: unknown, path: string): AffectedField {
  const o = asObject(value, path);
  const reason = o['reason'];
  if (typeof reason !== 'string' || !(FIELD_REASONS as readonly string[]).includes(reason)) {
    throw new InvalidAnomalyReportError(`${path}.reason`, `must be one of ${FIELD_REASONS.join(', ')}, got ${show(reason)}`);
  }
  const r = reason as FieldReason;
  return {
    name: str(o['name'], `${path}.name`),
    primary: fieldValue(o['primary'], `${path}.primary`, r),
    mirror: fieldValue(o['mirror'], `${path}.mirror`, r),
    contribution: num(o['contribution'], `${path}.contribution`, false),
    share: num(o['share'], `${path}.share`, true),
    reason: r,
  };
}

function fieldValue(value: unknown, path: string, reason: FieldReason): number | boolean | string | null {
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'string') {
    const restored = reason === 'numeric' ? NON_FINITE.get(value) : undefined;
    return restored ?? value;
  }
  throw new InvalidAnomalyReportError(path, `must be a number, boolean, string or null, got ${show(value)}`);
}

/**
 * A number that may have been written as "Infinity"/"-Infinity". NaN is refused unless
 * `allowNaN`: a NaN deviation, threshold or contribution means a broken comparison, not an
 * anomaly to keep; a NaN share is tolerated (0 / 0 when a report has a deviation of 0).
 */
function num(value: unknown, path: string, allowNaN: boolean): number {
  const n = typeof value === 'string' ? NON_FINITE.get(value) : value;
  if (typeof n !== 'number' || (!allowNaN && Number.isNaN(n))) {
    throw new InvalidAnomalyReportError(path, `must be a number, got ${show(value)}`);
  }
  return n;
}

function str(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new InvalidAnomalyReportError(path, `must be a string, got ${show(value)}`);
  return value;
}

function nonEmptyString(value: unknown, path: string): string {
  const s = str(value, path);
  if (s === '') throw new InvalidAnomalyReportError(path, 'must not be empty');
  return s;
}

function asObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidAnomalyReportError(path, `must be an object, got ${show(value)}`);
  }
  return value as Record<string, unknown>;
}

/** A short rendering of a bad value for an error message. */
function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
