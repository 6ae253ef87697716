/**
 * The `Layout` table that snapshots carry (schemas/common.fbs): what a matrix's columns mean.
 * Written from a {@link FleetSchema}; checked against the schema the reader expects before a single
 * value is read, so a snapshot never lands in a matrix whose columns mean something else.
 *
 * What must match (else SchemaMismatchError): the workflow type, the stride, and per column the
 * field name, kind and (enum fields) value list, i.e. everything that gives a stored number its
 * meaning. Weights, tolerances, `critical` and the version only steer comparisons; they are all
 * part of the fingerprint, so a difference there shows up as a fingerprint mismatch, which the
 * caller decides about (see `FingerprintPolicy`).
 */
import { type Builder, Encoding, type Offset } from 'flatbuffers';
import { FieldKind } from '../generated/wfmirror/fb/field-kind.js';
import { FieldSpec } from '../generated/wfmirror/fb/field-spec.js';
import { Layout } from '../generated/wfmirror/fb/layout.js';
import { NotEncodableError, SchemaMismatchError } from '../serialization/errors.js';
import type { FieldKind as StateFieldKind, StateSchema } from '../workflow/fields.js';
import type { StateLayout } from './layout.js';
import { utf8Text } from './matrix-snapshot-vectors.js';

/**
 * What a matrix's rows are instances of: the definition's name, version, fingerprint, state schema
 * and its column layout. `Fleet.schema` builds one from a compiled definition.
 */
export interface FleetSchema {
  /** The definition name (the workflow type). */
  readonly workflowType: string;
  /** The definition version (an unsigned 32-bit integer on the wire). */
  readonly version: number;
  /** Hash of schema and handler code (`fingerprintOf`). */
  readonly fingerprint: string;
  /** The state schema `layout` was built from (weights, tolerances, enum values). */
  readonly state: StateSchema;
  /** The column layout (`layoutFor(state)`). */
  readonly layout: StateLayout;
}

/**
 * What a reader does when a buffer's fingerprint differs from the expected schema's while the
 * layout matches: `'flag'` reads it and says so (`fingerprintMatches: false`); `'reject'` throws
 * SchemaMismatchError. Values keep their meaning across a code change that leaves the layout alone,
 * so reading is safe; whether mixing them with the new code's results is wanted is the caller's call.
 */
export type FingerprintPolicy = 'flag' | 'reject';

const KIND_CODES: Readonly<Record<StateFieldKind, FieldKind>> = {
  f64: FieldKind.F64,
  i32: FieldKind.I32,
  bool: FieldKind.Bool,
  enum: FieldKind.Enum,
  str: FieldKind.Str,
};
const KIND_NAMES: readonly StateFieldKind[] = ['f64', 'i32', 'bool', 'enum', 'str'];

/**
 * Bytes the Layout table of `schema` takes at most (strings counted at 3 UTF-8 bytes per UTF-16
 * unit, every table and vector with its worst-case padding): used to pre-size a builder.
 */
export function layoutSizeBound(schema: FleetSchema): number {
  let size = 128 + 3 * (schema.workflowType.length + schema.fingerprint.length);
  for (const name of schema.layout.names) {
    size += 96 + 3 * name.length;
    for (const value of schema.state[name]?.values ?? []) size += 16 + 3 * value.length;
  }
  return size;
}

/**
 * Writes the Layout table of `schema` into `builder` and returns its offset.
 * @throws NotEncodableError when the version is not an unsigned 32-bit integer.
 */
export function writeLayout(builder: Builder, schema: FleetSchema): Offset {
  if (!Number.isInteger(schema.version) || schema.version < 0 || schema.version > 0xffff_ffff) {
    throw new NotEncodableError('a layout', 'version', `must be an unsigned 32-bit integer, got ${String(schema.version)}`);
  }
  const layout = schema.layout;
  const fieldOffsets: Offset[] = [];
  for (let j = 0; j < layout.fieldCount; j++) {
    const name = layout.names[j]!;
    const spec = schema.state[name];
    const nameOffset = builder.createString(name);
    const values = spec?.values ?? [];
    const enumOffset =
      values.length > 0
        ? FieldSpec.createEnumValuesVector(
            builder,
            values.map((v) => builder.createString(v)),
          )
        : 0;
    FieldSpec.startFieldSpec(builder);
    FieldSpec.addName(builder, nameOffset);
    FieldSpec.addKind(builder, KIND_CODES[layout.kinds[j]!]);
    FieldSpec.addWeight(builder, layout.weights[j]!);
    FieldSpec.addTolerance(builder, layout.tolerances[j]!);
    FieldSpec.addCritical(builder, layout.critical[j] === 1);
    if (enumOffset !== 0) FieldSpec.addEnumValues(builder, enumOffset);
    fieldOffsets.push(FieldSpec.endFieldSpec(builder));
  }
  const fields = Layout.createFieldsVector(builder, fieldOffsets);
  const workflowType = builder.createString(schema.workflowType);
  const fingerprint = builder.createString(schema.fingerprint);
  return Layout.createLayout(builder, workflowType, schema.version, fingerprint, layout.stride, fields);
}

/** What {@link checkLayout} found beyond the must-match parts. */
export interface LayoutCheck {
  /** The buffer's fingerprint. */
  readonly fingerprint: string;
  /** The buffer's definition version. */
  readonly version: number;
  /** Whether the buffer's fingerprint is the expected schema's. */
  readonly fingerprintMatches: boolean;
}

/**
 * Checks a verified buffer's Layout against the schema the caller expects.
 * @param what names the buffer in messages ("matrix snapshot").
 * @throws SchemaMismatchError on any must-match difference (module doc), and on a fingerprint
 *   difference when `fingerprints` is `'reject'`.
 */
export function checkLayout(found: Layout, expected: FleetSchema, fingerprints: FingerprintPolicy, what: string): LayoutCheck {
  const mismatch = (detail: string) =>
    new SchemaMismatchError(`${what} does not fit workflow "${expected.workflowType}": ${detail}`);
  const workflowType = utf8Text(found.workflowType(Encoding.UTF8_BYTES));
  if (workflowType !== expected.workflowType) throw mismatch(`it holds workflow "${workflowType}"`);
  const layout = expected.layout;
  if (found.stride() !== layout.stride) throw mismatch(`its stride is ${found.stride()}, expected ${layout.stride}`);
  const count = found.fieldsLength();
  if (count !== layout.fieldCount) throw mismatch(`it has ${count} fields, expected ${layout.fieldCount}`);
  const spec = new FieldSpec();
  for (let j = 0; j < count; j++) {
    found.fields(j, spec);
    const name = utf8Text(spec.name(Encoding.UTF8_BYTES));
    const expectedName = layout.names[j]!;
    if (name !== expectedName) throw mismatch(`column ${j} is field "${name}", expected "${expectedName}"`);
    const kind = KIND_NAMES[spec.kind()] ?? 'unknown';
    if (kind !== layout.kinds[j]) throw mismatch(`field "${name}" is ${kind}, expected ${layout.kinds[j]}`);
    const values = expected.state[expectedName]?.values ?? [];
    const valueCount = spec.enumValuesLength();
    let same = valueCount === values.length;
    for (let k = 0; same && k < valueCount; k++) same = utf8Text(spec.enumValues(k, Encoding.UTF8_BYTES)) === values[k];
    if (!same) throw mismatch(`field "${name}" has other enum values than expected (${JSON.stringify(values)})`);
  }
  const fingerprint = utf8Text(found.fingerprint(Encoding.UTF8_BYTES));
  const fingerprintMatches = fingerprint === expected.fingerprint;
  if (!fingerprintMatches && fingerprints === 'reject') {
    throw mismatch(`it was written by code with fingerprint ${fingerprint}, this code's is ${expected.fingerprint}`);
  }
  return { fingerprint, version: found.version(), fingerprintMatches };
}
