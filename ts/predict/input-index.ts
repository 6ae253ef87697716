/**
 * A map from activity inputs (JSON values) to what is kept per input, compared by value. The
 * common inputs, scalars and flat objects of a few scalar fields (`{ items: 3 }`), are found
 * through nested maps, one level per field name and per value, so that a lookup builds no key
 * string: lead mode looks an input up on every schedule, and `JSON.stringify` there was the
 * largest single cost it added to a replay. Other inputs are keyed by their JSON, up to a length
 * limit (flat objects are kept whatever their JSON's length: at most 8 fields of 64 characters).
 * Two inputs are the same key exactly when their JSON texts are equal (field order included).
 */
import type { Json } from '../history/events.js';

/** Inputs whose JSON is longer than this are not kept (their statistics would rarely fill). */
export const MAX_INPUT_KEY_LENGTH = 256;
/** Flat objects with more fields than this go through their JSON. */
const MAX_INDEXED_FIELDS = 8;
/** Flat objects with a longer string value go through their JSON (which may then be too long). */
const MAX_INDEXED_STRING = 64;

type Scalar = string | number | boolean | null;

/** One level of the index: after some fields, by the next field's name, then by its value. */
interface Level<V> {
  /** The value of the input whose fields end here. */
  value: V | undefined;
  next: Map<string, Map<Scalar, Level<V>>> | undefined;
}

export class InputIndex<V> {
  private readonly scalars = new Map<Scalar, V>();
  private readonly flat: Level<V> = { value: undefined, next: undefined };
  private readonly byJson = new Map<string, V>();
  /** Inputs kept. */
  size = 0;

  /**
   * What is kept for `input`; `make` (when given) creates it on first sight from the number of
   * inputs kept so far, unless it returns undefined (a cap) or the input is too long to keep.
   */
  get(input: Json, make?: (size: number) => V | undefined): V | undefined {
    if (isScalar(input)) {
      // A scalar's JSON is short unless it is a long string.
      if (typeof input === 'string' && input.length + 2 > MAX_INPUT_KEY_LENGTH) return this.viaJson(input, make);
      let value = this.scalars.get(input);
      if (value === undefined && make !== undefined) {
        value = make(this.size);
        if (value !== undefined) {
          this.scalars.set(input, value);
          this.size++;
        }
      }
      return value;
    }
    if (!isFlat(input)) return this.viaJson(input, make);
    let level = this.flat;
    for (const field in input) {
      const value = input[field] as Scalar;
      let byValue = level.next?.get(field);
      let below = byValue?.get(value);
      if (below === undefined) {
        if (make === undefined) return undefined;
        below = { value: undefined, next: undefined };
        level.next ??= new Map();
        if (byValue === undefined) {
          byValue = new Map();
          level.next.set(field, byValue);
        }
        byValue.set(value, below);
      }
      level = below;
    }
    if (level.value === undefined && make !== undefined) {
      level.value = make(this.size);
      if (level.value !== undefined) this.size++;
    }
    return level.value;
  }

  private viaJson(input: Json, make: ((size: number) => V | undefined) | undefined): V | undefined {
    const key = JSON.stringify(input);
    if (key.length > MAX_INPUT_KEY_LENGTH) return undefined;
    let value = this.byJson.get(key);
    if (value === undefined && make !== undefined) {
      value = make(this.size);
      if (value !== undefined) {
        this.byJson.set(key, value);
        this.size++;
      }
    }
    return value;
  }
}

function isScalar(value: Json): value is Scalar {
  return value === null || typeof value !== 'object';
}

/**
 * A plain object of at most a few fields whose values are short strings, finite numbers, booleans
 * or null: what the nested maps take (map keys compare as JSON texts do for these; -0 and 0 too).
 */
function isFlat(input: Json): input is { [key: string]: Scalar } {
  if (Array.isArray(input)) return false;
  let fields = 0;
  for (const field in input as { [key: string]: Json }) {
    const value = (input as { [key: string]: Json })[field]!;
    if (++fields > MAX_INDEXED_FIELDS) return false;
    if (typeof value === 'string') {
      if (value.length > MAX_INDEXED_STRING) return false;
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return false;
    } else if (typeof value === 'object' && value !== null) {
      return false;
    }
  }
  return true;
}
