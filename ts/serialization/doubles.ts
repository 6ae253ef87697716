/**
 * Doubles written and read bit for bit. State vectors use NaN for "missing" and may hold -0; a
 * comparison must see exactly what the primary had. Two traps: the builder's `addFieldFloat64`
 * skips a value equal (`==`) to the default, and -0 == 0, so a -0 would read back as 0; and
 * copying a NaN through a JS number is allowed to change its payload bits. So scalars go through
 * {@link addDoubleField} and vectors are copied as bytes.
 */
import type * as flatbuffers from 'flatbuffers';
import type { GeneratedTable } from './table-access.js';
import { vectorAt } from './table-access.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Adds a double field unless it is the default itself (`Object.is`, so -0 is written when the default is 0). */
export function addDoubleField(builder: flatbuffers.Builder, fieldId: number, value: number, defaultValue = 0): void {
  if (!Object.is(value, defaultValue)) builder.addFieldFloat64(fieldId, value, null);
}

/** Writes `values` as a `[double]` vector, byte for byte, and returns its offset. */
export function createDoubleVector(builder: flatbuffers.Builder, values: Float64Array): flatbuffers.Offset {
  const n = values.length;
  builder.startVector(8, n, 8);
  // pad() reserves the room (as zeros) through the public API; the bytes are then copied in.
  builder.pad(n * 8);
  const bb = builder.dataBuffer();
  const at = bb.capacity() - builder.offset();
  const src = new Uint8Array(values.buffer, values.byteOffset, n * 8);
  if (LITTLE_ENDIAN) bb.bytes().set(src, at);
  else copySwapped(src, 0, bb.bytes(), at, n);
  return builder.endVector();
}

/**
 * Copies the `[double]` vector at `slot` of a verified table into a new Float64Array, bit for
 * bit. A copy rather than a view: the buffer may sit at an offset that is not 8-aligned in its
 * ArrayBuffer (a Node Buffer slice, a SQLite blob), where a Float64Array view cannot be made.
 * An absent vector reads as empty.
 */
export function readDoubleVector(table: GeneratedTable, slot: number): Float64Array {
  const v = vectorAt(table, slot);
  if (v === undefined) return new Float64Array(0);
  const out = new Float64Array(v.length);
  const bytes = table.bb!.bytes();
  const dst = new Uint8Array(out.buffer);
  if (LITTLE_ENDIAN) dst.set(bytes.subarray(v.start, v.start + v.length * 8));
  else copySwapped(bytes, v.start, dst, 0, v.length);
  return out;
}

/** True when `a` and `b` hold the same doubles bit for bit (NaN payloads and the sign of zero included). */
export function sameDoubleBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.length * 8);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.length * 8);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Big-endian hosts only: copies `n` doubles reversing each one's bytes (FlatBuffers is little-endian). */
function copySwapped(src: Uint8Array, from: number, dst: Uint8Array, to: number, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 8; k++) dst[to + i * 8 + k] = src[from + i * 8 + 7 - k]!;
  }
}
