/**
 * Scalar vectors moved into and out of FlatBuffers as whole blocks, for the snapshot and delta
 * codecs. flatc's generated `create...Vector` writes one element per call (32 million calls for a
 * 1M x 32 matrix) and its `...Array()` accessors build a typed array straight over the buffer,
 * which throws for a float64 vector whose address is not a multiple of 8 (a buffer sliced out of
 * a socket read). These helpers copy bytes instead: one `set` each way, any alignment, NaN
 * payloads and -0 intact.
 *
 * Vectors are located by vtable slot (4 + 2 * field id, the number flatc's accessors use); the
 * buffer must have passed `verifyRoot` first, which checked every vector's bounds.
 */
import type { Builder, ByteBuffer, Offset } from 'flatbuffers';

/** Bytes of one element for each vector kind used here. */
type ElementSize = 1 | 2 | 4 | 8;

/**
 * Places a vector of `count` elements of `elementSize` bytes, given as their little-endian bytes,
 * with one copy into the builder's buffer, aligned as flatc aligns it. Returns its offset.
 */
export function placeVector(builder: Builder, bytes: Uint8Array, elementSize: ElementSize, count: number): Offset {
  // startVector aligns the end of the element data for `elementSize`; createByteVector then copies
  // the bytes in (its own alignment to 1 adds no padding) and writes the length as a byte count,
  // which is patched to the element count. Both are public Builder calls; `space` stays private.
  builder.startVector(elementSize, count, elementSize);
  const offset = builder.createByteVector(bytes);
  if (elementSize !== 1) {
    const bb = builder.dataBuffer();
    bb.writeInt32(bb.capacity() - offset, count);
  }
  return offset;
}

/** The little-endian bytes of a typed array (a view, no copy). */
export function bytesOf(array: Float64Array | Uint32Array | Uint16Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** Where a vector's elements lie in `bb.bytes()`: start byte and element count. */
export interface VectorSpan {
  readonly start: number;
  readonly length: number;
}

/** The span of the vector in `slot` of the table at `tablePos`, or an empty span when the field is absent. */
export function vectorSpan(bb: ByteBuffer, tablePos: number, slot: number): VectorSpan {
  const o = bb.__offset(tablePos, slot);
  if (o === 0) return { start: 0, length: 0 };
  return { start: bb.__vector(tablePos + o), length: bb.__vector_len(tablePos + o) };
}

/** The bytes of a vector span of `elementSize`-byte elements (a view into the buffer, no copy). */
export function spanBytes(bb: ByteBuffer, span: VectorSpan, elementSize: ElementSize): Uint8Array {
  return bb.bytes().subarray(span.start, span.start + span.length * elementSize);
}

/** True where typed arrays are little-endian like FlatBuffers (all but s390x among Node's platforms). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A float64 view of little-endian bytes when their address allows one (8-aligned, little-endian
 * platform), else undefined: the caller then copies ({@link copyFloat64}) or reads with a DataView.
 */
export function float64View(bytes: Uint8Array): Float64Array | undefined {
  const absolute = bytes.byteOffset;
  if (!LITTLE_ENDIAN || absolute % 8 !== 0) return undefined;
  return new Float64Array(bytes.buffer, absolute, bytes.length / 8);
}

/** A fresh Float64Array holding the little-endian float64 values in `bytes` (bit for bit). */
export function copyFloat64(bytes: Uint8Array): Float64Array {
  const out = new Float64Array(bytes.length / 8);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  }
  return out;
}

/** A fresh Uint32Array holding the little-endian uint32 values in `bytes`. */
export function copyUint32(bytes: Uint8Array): Uint32Array {
  const out = new Uint32Array(bytes.length / 4);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true);
  }
  return out;
}

/** A fresh Uint16Array holding the little-endian uint16 values in `bytes`. */
export function copyUint16(bytes: Uint8Array): Uint16Array {
  const out = new Uint16Array(bytes.length / 2);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let i = 0; i < out.length; i++) out[i] = view.getUint16(i * 2, true);
  }
  return out;
}

/**
 * Bytes of `array` in little-endian order: the array's own bytes (a view) on a little-endian
 * platform, a swapped copy elsewhere. What {@link placeVector} takes.
 */
export function littleEndianBytes(array: Float64Array | Uint32Array | Uint16Array): Uint8Array {
  if (LITTLE_ENDIAN) return bytesOf(array);
  const out = new Uint8Array(array.byteLength);
  const view = new DataView(out.buffer);
  const size = array.BYTES_PER_ELEMENT;
  for (let i = 0; i < array.length; i++) {
    if (size === 8) view.setFloat64(i * 8, array[i]!, true);
    else if (size === 4) view.setUint32(i * 4, array[i]!, true);
    else view.setUint16(i * 2, array[i]!, true);
  }
  return out;
}

// ignoreBOM: a string that starts with U+FEFF keeps it. The generated accessors decode with a
// default TextDecoder, which drops a leading BOM, so "\uFEFFa" would come back as "a".
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The text of a string field read with `Encoding.UTF8_BYTES` (its bytes; the verifier has checked
 * they are UTF-8), or '' when the field is absent.
 */
export function utf8Text(bytes: string | Uint8Array | null): string {
  if (bytes === null) return '';
  return typeof bytes === 'string' ? bytes : utf8.decode(bytes);
}
