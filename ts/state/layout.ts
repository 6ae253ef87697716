/**
 * Schema -> column layout: which column each state field occupies in a state vector, how a state
 * object is encoded into a row of float64 values, and how one value is decoded back for a report.
 *
 * Encoding (one column per field, schema key order; NaN means "missing"):
 * - `f64`: the number as is (NaN stays NaN, -0 stays -0, infinities stay).
 * - `i32`: `value | 0` (truncated and wrapped to int32); a non-finite number is NaN, because
 *   `NaN | 0` and `Infinity | 0` would silently turn into a present 0.
 * - `bool`: `false` -> 0, `true` -> 1.
 * - `enum`: the value's index in `field.values`; a string that is not a member is NaN.
 * - `str`: {@link stringHash} of the string.
 * - a value that is `undefined`, `null` or of the wrong type (e.g. the string `'1'` in an f64
 *   field, `1` in a bool field) is NaN: the comparison then reports the field as missing instead
 *   of comparing a made-up value.
 * Padding columns (`fieldCount <= j < stride`) are written as 0 and never read by comparators.
 */
import type { ComparisonLayout } from '../compare/comparator.js';
import type { AnyFieldSpec, FieldKind, StateSchema } from '../workflow/fields.js';
import { FieldOutOfRangeError, LayoutError } from './errors.js';
import { stringHash } from './string-hash.js';

/** Most fields a layout may have; wider schemas are a design smell and a bitmask of 32 words. */
export const MAX_FIELDS = 1024;

/** A decoded column value, as shown in anomaly reports. `str` fields decode to their hash. */
export type DecodedValue = number | boolean | string | null;

/** The column layout of one state schema, plus its encoder and decoder. Treat every array as read-only. */
export interface StateLayout extends ComparisonLayout {
  /** Field names in column order (the schema's key order). */
  readonly names: readonly string[];
  /** Field kinds in column order. */
  readonly kinds: readonly FieldKind[];
  /** Per field: 1 when the field is marked `critical`. */
  readonly critical: Uint8Array;
  /** Field name -> column. */
  readonly index: ReadonlyMap<string, number>;
  /**
   * Encodes `state` into `out[offset .. offset + stride)`: value columns per the module rules,
   * padding columns 0. Allocates nothing; `offset + stride` must fit in `out` (not checked here:
   * this is the hot path; `StateMatrix.writeState` checks the row).
   */
  encode(state: Readonly<Record<string, unknown>>, out: Float64Array, offset: number): void;
  /**
   * Decodes one column value: NaN -> null; bool -> boolean (any non-zero is true); enum -> the
   * value string, or null when the code is not a valid index; str -> the hash (strings cannot be
   * recovered from it); f64 and i32 -> the number.
   * @throws FieldOutOfRangeError when `field` is not a column of this layout.
   */
  decodeField(field: number, value: number): DecodedValue;
  /** A fresh state object holding every field's initial value, in column order. */
  initialState(): Record<string, unknown>;
}

// Kind codes for the encoder's switch: small integers compare faster than strings in a hot loop.
const KIND_F64 = 0;
const KIND_I32 = 1;
const KIND_BOOL = 2;
const KIND_ENUM = 3;
const KIND_STR = 4;
const KIND_CODES: Readonly<Record<FieldKind, number>> = {
  f64: KIND_F64,
  i32: KIND_I32,
  bool: KIND_BOOL,
  enum: KIND_ENUM,
  str: KIND_STR,
};

/** Options of {@link layoutFor}. */
export interface LayoutOptions {
  /**
   * Compile a per-schema encoder with `new Function` (default true). It reads each field by a
   * literal property name, which V8's inline caches make about 5x faster than a keyed lookup in a
   * loop (measured ~23 ns vs ~115 ns for 8 fields). Set false where code generation from strings
   * is forbidden; that is also detected (an EvalError) and falls back to the generic loop. Schemas
   * wider than {@link MAX_COMPILED_FIELDS} always use the generic loop.
   */
  readonly compileEncoder?: boolean;
}

/** Widest schema that gets a compiled encoder: past this the generated function is too large for the optimizing compiler to pay off. */
export const MAX_COMPILED_FIELDS = 256;

/**
 * Builds the column layout of `schema`.
 * @throws LayoutError when the schema is not an object, has no fields, has more than
 *   {@link MAX_FIELDS} fields, or holds something that is not a valid field spec.
 */
export function layoutFor(schema: StateSchema, options: LayoutOptions = {}): StateLayout {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new LayoutError(`a state schema must be an object of field specs, got ${describe(schema)}`);
  }
  // Object.keys gives insertion order, except that integer-like keys ('0', '17') come first in
  // ascending order: that is JavaScript's property order, and it is the column order here.
  const names = Object.keys(schema);
  if (names.length === 0) {
    throw new LayoutError('a state schema must have at least one field, got an empty schema');
  }
  if (names.length > MAX_FIELDS) {
    throw new LayoutError(`a state schema may have at most ${MAX_FIELDS} fields, got ${names.length}`);
  }
  const specs = names.map((name) => checkFieldSpec(name, schema[name]));
  return new SchemaLayout(names, specs, options.compileEncoder ?? true);
}

const KINDS: readonly FieldKind[] = ['f64', 'i32', 'bool', 'enum', 'str'];

/** Validates one field spec (it may be hand-made rather than built by `f64()` etc.) and returns it typed. */
function checkFieldSpec(name: string, spec: unknown): AnyFieldSpec {
  if (typeof spec !== 'object' || spec === null) {
    throw new LayoutError(
      `field '${name}': expected a field spec (from f64(), i32(), bool(), enumOf(), str()), got ${describe(spec)}`,
      name,
    );
  }
  const s = spec as Partial<Record<keyof AnyFieldSpec, unknown>>;
  const kind = s.kind;
  if (typeof kind !== 'string' || !KINDS.includes(kind as FieldKind)) {
    throw new LayoutError(`field '${name}': kind must be one of ${KINDS.join(', ')}, got ${describe(kind)}`, name);
  }
  if (typeof s.weight !== 'number' || !Number.isFinite(s.weight) || s.weight < 0) {
    throw new LayoutError(`field '${name}': weight must be a finite number >= 0, got ${describe(s.weight)}`, name);
  }
  if (typeof s.tolerance !== 'number' || !Number.isFinite(s.tolerance) || s.tolerance < 0) {
    throw new LayoutError(`field '${name}': tolerance must be a finite number >= 0, got ${describe(s.tolerance)}`, name);
  }
  if (typeof s.critical !== 'boolean') {
    throw new LayoutError(`field '${name}': critical must be a boolean, got ${describe(s.critical)}`, name);
  }
  const values = s.values;
  if (!Array.isArray(values) || !values.every((v): v is string => typeof v === 'string')) {
    throw new LayoutError(`field '${name}': values must be an array of strings, got ${describe(values)}`, name);
  }
  if (kind === 'enum' && (values.length === 0 || new Set(values).size !== values.length)) {
    throw new LayoutError(
      `field '${name}': an enum needs at least one value and distinct values, got ${JSON.stringify(values)}`,
      name,
    );
  }
  const initial = s.initial;
  const initialOk =
    kind === 'f64' || kind === 'i32'
      ? typeof initial === 'number'
      : kind === 'bool'
        ? typeof initial === 'boolean'
        : kind === 'enum'
          ? typeof initial === 'string' && values.includes(initial)
          : typeof initial === 'string';
  if (!initialOk) {
    throw new LayoutError(`field '${name}': initial value ${describe(initial)} does not fit a ${kind} field`, name);
  }
  return spec as AnyFieldSpec;
}

/** A short description of a value for error messages (never the whole value). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** The one implementation of {@link StateLayout}; all per-field data is precomputed into arrays. */
class SchemaLayout implements StateLayout {
  readonly names: readonly string[];
  readonly kinds: readonly FieldKind[];
  readonly critical: Uint8Array;
  readonly index: ReadonlyMap<string, number>;
  readonly fieldCount: number;
  readonly stride: number;
  readonly weights: Float64Array;
  readonly tolerances: Float64Array;
  readonly categorical: Uint8Array;
  readonly encode: (state: Readonly<Record<string, unknown>>, out: Float64Array, offset: number) => void;

  /** Kind code per field (KIND_*), read by the encoder's switch. */
  readonly #kindCodes: Uint8Array;
  /** Per enum field: value -> code; undefined for other kinds. */
  readonly #enumCodes: readonly (ReadonlyMap<string, number> | undefined)[];
  /** Per enum field: the values in code order; empty for other kinds. */
  readonly #enumValues: readonly (readonly string[])[];
  readonly #initials: readonly unknown[];
  /**
   * Per enum/str field: the last string encoded and its code. States of one definition mostly
   * carry the same strings from one handler to the next, so `===` on the cached string (a pointer
   * compare when it is the same string object) usually replaces a hash or a map lookup.
   */
  readonly #lastString: (string | undefined)[];
  readonly #lastCode: Float64Array;

  constructor(names: readonly string[], specs: readonly AnyFieldSpec[], compile: boolean) {
    const n = names.length;
    this.names = Object.freeze([...names]);
    this.kinds = Object.freeze(specs.map((s) => s.kind));
    this.fieldCount = n;
    // Rows padded to a multiple of 4 float64 values (32 bytes): SIMD kernels read 2 or 4 lanes at
    // a time without a scalar tail (DESIGN.md section 6, "Layout, measured here").
    this.stride = Math.max(4, Math.ceil(n / 4) * 4);
    this.weights = Float64Array.from(specs, (s) => s.weight);
    this.tolerances = Float64Array.from(specs, (s) => s.tolerance);
    this.categorical = Uint8Array.from(specs, (s) => (s.kind === 'bool' || s.kind === 'enum' || s.kind === 'str' ? 1 : 0));
    this.critical = Uint8Array.from(specs, (s) => (s.critical ? 1 : 0));
    this.index = new Map(names.map((name, j) => [name, j]));
    this.#kindCodes = Uint8Array.from(specs, (s) => KIND_CODES[s.kind]);
    this.#enumCodes = specs.map((s) => (s.kind === 'enum' ? new Map(s.values.map((v, code) => [v, code])) : undefined));
    this.#enumValues = specs.map((s) => (s.kind === 'enum' ? Object.freeze([...s.values]) : []));
    this.#initials = specs.map((s) => s.initial);
    this.#lastString = new Array<string | undefined>(n).fill(undefined);
    this.#lastCode = new Float64Array(n);
    const compiled = compile && n <= MAX_COMPILED_FIELDS ? this.#compileEncoder() : undefined;
    this.encode = compiled ?? ((state, out, offset) => this.#encodeGeneric(state, out, offset));
    this.#makeInitial =
      (compile && n <= MAX_COMPILED_FIELDS ? this.#compileInitial() : undefined) ?? (() => this.#initialGeneric());
  }

  readonly #makeInitial: () => Record<string, unknown>;

  /**
   * Generates the factory of a new instance's state: one object literal, so every state object of
   * a definition shares one hidden class from birth (handlers and the encoder stay monomorphic).
   * Names are JSON-quoted; a field named `__proto__` would set the prototype in a literal, so such
   * a schema uses the generic path.
   */
  #compileInitial(): (() => Record<string, unknown>) | undefined {
    if (this.names.includes('__proto__')) return undefined;
    const entries = this.names.map((name, j) => `${JSON.stringify(name)}: initials[${j}]`);
    try {
      const factory = new Function(
        'initials',
        `'use strict'; return function initialState() { return { ${entries.join(', ')} }; };`,
      ) as (initials: readonly unknown[]) => () => Record<string, unknown>;
      return factory(this.#initials);
    } catch (error) {
      if (error instanceof EvalError) return undefined;
      throw error;
    }
  }

  #initialGeneric(): Record<string, unknown> {
    // fromEntries defines own properties, so even a field named '__proto__' stays a plain field.
    return Object.fromEntries(this.names.map((name, j) => [name, this.#initials[j]]));
  }

  /** The code of an enum or str value that missed the last-string cache. */
  #codeOf(j: number, value: string): number {
    return this.#kindCodes[j] === KIND_STR ? stringHash(value) : (this.#enumCodes[j]!.get(value) ?? Number.NaN);
  }

  /**
   * Generates the encoder for this schema: the same rules as {@link #encodeGeneric}, unrolled, one
   * literal property read per field. Only JSON-quoted field names and integers are spliced into the
   * source, so no schema can inject code. Returns undefined when code generation is forbidden.
   */
  #compileEncoder(): SchemaLayout['encode'] | undefined {
    const lines: string[] = ['let v;', 'let x;'];
    for (let j = 0; j < this.fieldCount; j++) {
      lines.push(`v = state[${JSON.stringify(this.names[j])}];`);
      switch (this.#kindCodes[j]) {
        case KIND_F64:
          lines.push(`out[offset + ${j}] = typeof v === 'number' ? v : NaN;`);
          break;
        case KIND_I32:
          lines.push(`out[offset + ${j}] = typeof v === 'number' && Number.isFinite(v) ? v | 0 : NaN;`);
          break;
        case KIND_BOOL:
          lines.push(`out[offset + ${j}] = v === true ? 1 : v === false ? 0 : NaN;`);
          break;
        default: // KIND_ENUM, KIND_STR: cached code, else look it up and cache it
          lines.push(
            `if (typeof v !== 'string') x = NaN;`,
            `else if (v === lastString[${j}]) x = lastCode[${j}];`,
            `else { x = codeOf(${j}, v); lastString[${j}] = v; lastCode[${j}] = x; }`,
            `out[offset + ${j}] = x;`,
          );
      }
    }
    for (let j = this.fieldCount; j < this.stride; j++) lines.push(`out[offset + ${j}] = 0;`);
    const source = `'use strict'; return function encode(state, out, offset) {\n${lines.join('\n')}\n};`;
    try {
      const factory = new Function('lastString', 'lastCode', 'codeOf', source) as (
        lastString: (string | undefined)[],
        lastCode: Float64Array,
        codeOf: (j: number, value: string) => number,
      ) => SchemaLayout['encode'];
      return factory(this.#lastString, this.#lastCode, (j, value) => this.#codeOf(j, value));
    } catch (error) {
      // EvalError under --disallow-code-generation-from-strings or a CSP; anything else is a bug here.
      if (error instanceof EvalError) return undefined;
      throw error;
    }
  }

  /** The loop encoder: used when the compiled one is off, forbidden or too wide. Same rules. */
  #encodeGeneric(state: Readonly<Record<string, unknown>>, out: Float64Array, offset: number): void {
    const names = this.names;
    const kinds = this.#kindCodes;
    const n = this.fieldCount;
    for (let j = 0; j < n; j++) {
      const v = state[names[j]!];
      let x: number;
      switch (kinds[j]) {
        case KIND_F64:
          x = typeof v === 'number' ? v : Number.NaN;
          break;
        case KIND_I32:
          x = typeof v === 'number' && Number.isFinite(v) ? v | 0 : Number.NaN;
          break;
        case KIND_BOOL:
          x = v === true ? 1 : v === false ? 0 : Number.NaN;
          break;
        default: // KIND_ENUM, KIND_STR: cached code, else look it up and cache it
          if (typeof v !== 'string') x = Number.NaN;
          else if (v === this.#lastString[j]) x = this.#lastCode[j]!;
          else {
            x = this.#codeOf(j, v);
            this.#lastString[j] = v;
            this.#lastCode[j] = x;
          }
      }
      out[offset + j] = x;
    }
    for (let j = n; j < this.stride; j++) out[offset + j] = 0;
  }

  decodeField(field: number, value: number): DecodedValue {
    if (!Number.isInteger(field) || field < 0 || field >= this.fieldCount) {
      throw new FieldOutOfRangeError(field, this.fieldCount);
    }
    if (Number.isNaN(value)) return null;
    switch (this.#kindCodes[field]) {
      case KIND_BOOL:
        return value !== 0;
      case KIND_ENUM:
        return Number.isInteger(value) ? (this.#enumValues[field]![value] ?? null) : null;
      default: // f64, i32, and str (whose string cannot be recovered from its hash)
        return value;
    }
  }

  initialState(): Record<string, unknown> {
    return this.#makeInitial();
  }
}
