/**
 * JSON carried in a `Value` table (schemas/common.fbs) as UTF-8 text: how event payloads travel.
 * Reading is as strict as the verifier: the bytes must be UTF-8, the text must parse, and the
 * value must be JSON the library accepts (finite numbers, nesting within a limit), so a hostile
 * buffer ends in a CorruptBufferError, not in an Infinity or a stack overflow further on.
 */
import type * as flatbuffers from 'flatbuffers';
import { Value } from '../generated/wfmirror/fb/value.js';
import { ValueEncoding } from '../generated/wfmirror/fb/value-encoding.js';
import { BytesCache } from './bytes-cache.js';
import { CorruptBufferError } from './errors.js';
import { createUtf8Vector } from './strings.js';
import { fieldPosition, slotOf } from './table-access.js';

const VALUE_DATA = slotOf('Value', 'data');
const VALUE_ENCODING = slotOf('Value', 'encoding');
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Writes JSON text `json` as a Value of encoding Json; returns the Value's offset. */
export function createJsonValue(builder: flatbuffers.Builder, json: string): flatbuffers.Offset {
  const data = createUtf8Vector(builder, json);
  Value.startValue(builder);
  // Json is the default (0) and so is omitted by the builder; readers check it all the same.
  Value.addEncoding(builder, ValueEncoding.Json);
  Value.addData(builder, data);
  return Value.endValue(builder);
}

/**
 * Reads the JSON held by a verified `Value`, deeply frozen. `label` names it in errors (e.g.
 * `WorkflowStartedPayload.input`); nesting deeper than `maxDepth` is refused.
 * @throws CorruptBufferError for Raw encoding, missing data, invalid UTF-8 or JSON, a
 *   non-finite number (`1e999` parses as Infinity), or too deep a nesting
 */
export function readJsonValue(value: Value, label: string, maxDepth: number): unknown {
  if (value.encoding() !== ValueEncoding.Json) {
    throw new CorruptBufferError(
      `${label}: encoding ${ValueEncoding[value.encoding()]} is not allowed here (only Json)`,
      fieldPosition(value, VALUE_ENCODING),
    );
  }
  const data = value.dataArray();
  if (data === null) throw new CorruptBufferError(`${label}: the Value has no data`, fieldPosition(value, VALUE_DATA));
  // A cached value was checked under some depth limit; text of up to 64 bytes nests at most 32
  // deep, so any limit of 32 or more gives it the same verdict.
  if (data.length > MAX_CACHED_BYTES || maxDepth < CACHED_DEPTH) return parseChecked(data, value, label, maxDepth);
  return SMALL_VALUES.get(data, parseChecked, value, label);
}

/**
 * The JSON values of up to 64 bytes, parsed once (bytes-cache.ts): a fleet's activity inputs and
 * results repeat (`{"reserved":true}`, `{"carrier":"ups"}`), and a parsed value is deeply frozen,
 * so one object can stand for every copy. 1,024 slots, 64 KiB of keys.
 */
const MAX_CACHED_BYTES = 64;
const SMALL_VALUES = new BytesCache<unknown>(1024, MAX_CACHED_BYTES);
/** The deepest nesting 64 bytes of JSON text can hold: every limit from here up judges them alike. */
const CACHED_DEPTH = MAX_CACHED_BYTES / 2;

/** Parses and checks `data` (the bytes of `value`); the default limit is the cache's (see above). */
function parseChecked(data: Uint8Array, value: Value, label: string, maxDepth = CACHED_DEPTH): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(strict.decode(data));
  } catch (cause) {
    const why = cause instanceof SyntaxError ? `is not valid JSON (${cause.message})` : 'is not valid UTF-8';
    throw new CorruptBufferError(`${label} ${why}`, fieldPosition(value, VALUE_DATA), { cause });
  }
  const problem = freezeChecked(parsed, 0, maxDepth);
  if (problem !== undefined) throw new CorruptBufferError(`${label}: ${problem}`, fieldPosition(value, VALUE_DATA));
  return parsed;
}

/** Freezes a freshly parsed value in place; returns what is wrong with it, if anything. */
function freezeChecked(value: unknown, depth: number, maxDepth: number): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `holds a number out of range (${value})`;
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= maxDepth) return `is nested deeper than ${maxDepth} levels`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = freezeChecked(value[i], depth + 1, maxDepth);
      if (problem !== undefined) return problem;
    }
  } else {
    const record = value as Record<string, unknown>;
    for (const key in record) {
      const problem = freezeChecked(record[key], depth + 1, maxDepth);
      if (problem !== undefined) return problem;
    }
  }
  Object.freeze(value);
  return undefined;
}
