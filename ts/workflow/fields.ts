/**
 * Field builders for a workflow's state schema. Each field knows how it maps to one column of the
 * state vector (DESIGN.md section 6): numeric fields (f64, i32) keep their value and are compared
 * with a tolerance dead-band; categorical fields (bool, enum, str) become a code and are compared
 * for equality.
 */

/** The five kinds of state field. */
export type FieldKind = 'f64' | 'i32' | 'bool' | 'enum' | 'str';

/** Options shared by every field. */
export interface FieldOptions<T> {
  /** Multiplies this field's contribution to the deviation. Default 1. */
  readonly weight?: number;
  /** Numeric fields only: a difference up to this much counts as no deviation. Default 0. */
  readonly tolerance?: number;
  /** A deviation on a critical field raises the report to `critical`. Default false. */
  readonly critical?: boolean;
  /** Value a new instance starts with. Defaults: 0, 0, false, the first enum value, ''. */
  readonly initial?: T;
}

/** A declared state field. `T` is the value type handlers see; it exists for typing only. */
export interface FieldSpec<T> {
  readonly kind: FieldKind;
  readonly weight: number;
  readonly tolerance: number;
  readonly critical: boolean;
  readonly initial: T;
  /** The allowed values of an enum field, in code order; empty for other kinds. */
  readonly values: readonly string[];
  /** Phantom member carrying the value type; never present at run time. */
  readonly __type?: T;
}

/** Any field spec, whatever its value type. */
// biome-ignore lint/suspicious/noExplicitAny: the value type is erased on purpose here
export type AnyFieldSpec = FieldSpec<any>;

/** A state schema: field name to field spec. Key order is the vector's column order. */
export type StateSchema = Readonly<Record<string, AnyFieldSpec>>;

/** The state object handlers read and write, typed from the schema. */
export type StateOf<S extends StateSchema> = { -readonly [K in keyof S]: S[K] extends FieldSpec<infer T> ? T : never };

function checkedOptions<T>(
  kind: FieldKind,
  options: FieldOptions<T>,
  fallbackInitial: T,
  values: readonly string[] = [],
): FieldSpec<T> {
  const weight = options.weight ?? 1;
  const tolerance = options.tolerance ?? 0;
  if (!Number.isFinite(weight) || weight < 0) {
    throw new TypeError(`${kind} field: options.weight must be a finite number >= 0, got ${String(weight)}`);
  }
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new TypeError(`${kind} field: options.tolerance must be a finite number >= 0, got ${String(tolerance)}`);
  }
  return Object.freeze({
    kind,
    weight,
    tolerance,
    critical: options.critical ?? false,
    initial: options.initial ?? fallbackInitial,
    values: Object.freeze([...values]),
  });
}

/** A 64-bit float field. NaN in a vector means "missing". */
export function f64(options: FieldOptions<number> = {}): FieldSpec<number> {
  return checkedOptions('f64', options, 0);
}

/** A 32-bit integer field; values are truncated to int32 when encoded. */
export function i32(options: FieldOptions<number> = {}): FieldSpec<number> {
  return checkedOptions('i32', options, 0);
}

/** A boolean field, categorical: encoded as 0 or 1. */
export function bool(options: FieldOptions<boolean> = {}): FieldSpec<boolean> {
  return checkedOptions('bool', options, false);
}

/** An enumeration field, categorical: encoded as the value's index. Assigning any other string is a type error. */
export function enumOf<const V extends readonly [string, ...string[]]>(
  values: V,
  options: FieldOptions<V[number]> = {},
): FieldSpec<V[number]> {
  if (new Set(values).size !== values.length) {
    throw new TypeError(`enumOf: values must be distinct, got ${JSON.stringify(values)}`);
  }
  if (options.initial !== undefined && !values.includes(options.initial)) {
    throw new TypeError(`enumOf: options.initial ${JSON.stringify(options.initial)} is not one of ${JSON.stringify(values)}`);
  }
  return checkedOptions('enum', options, values[0], values);
}

/** A string field, categorical: kept whole in state, encoded in the vector as a 32-bit hash. */
export function str(options: FieldOptions<string> = {}): FieldSpec<string> {
  return checkedOptions('str', options, '');
}

/** True for kinds compared by equality rather than distance. */
export function isCategorical(kind: FieldKind): boolean {
  return kind === 'bool' || kind === 'enum' || kind === 'str';
}
