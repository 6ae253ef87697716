/**
 * Strings into a builder without `TextEncoder.encode` per string: the builder's own
 * `createString` allocates a fresh array through a native call for every string, which made
 * three quarters of an event's encoding time. Short ASCII strings (ids, names, most JSON) are
 * copied in by hand; anything else is encoded into one reused scratch array.
 */
import type * as flatbuffers from 'flatbuffers';

/** Longest string copied by hand; past this the native encoder is faster. */
const HAND_COPY = 256;
/** A scratch array up to this size is kept between calls; larger texts get their own. */
const SCRATCH_LIMIT = 1 << 20;

const encoder = new TextEncoder();
let scratch = new Uint8Array(4096);

/** Writes `s` as a FlatBuffers string (UTF-8, NUL-terminated); returns its offset. */
export function createString(builder: flatbuffers.Builder, s: string): flatbuffers.Offset {
  if (s.length <= HAND_COPY && isAscii(s)) {
    builder.addInt8(0); // the NUL terminator, after the bytes (the builder writes back to front)
    return asciiVector(builder, s);
  }
  return builder.createString(utf8(s));
}

/** Writes `s` as UTF-8 in a `[ubyte]` vector (no terminator); returns its offset. */
export function createUtf8Vector(builder: flatbuffers.Builder, s: string): flatbuffers.Offset {
  if (s.length <= HAND_COPY && isAscii(s)) return asciiVector(builder, s);
  return builder.createByteVector(utf8(s));
}

function asciiVector(builder: flatbuffers.Builder, s: string): flatbuffers.Offset {
  const n = s.length;
  builder.startVector(1, n, 1);
  // pad() reserves the room through the public API; the characters then overwrite its zeros.
  builder.pad(n);
  const bb = builder.dataBuffer();
  const bytes = bb.bytes();
  const at = bb.capacity() - builder.offset();
  for (let i = 0; i < n; i++) bytes[at + i] = s.charCodeAt(i);
  return builder.endVector();
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** `s` as UTF-8: a view of the scratch array (valid until the next call) or, when large, an array of its own. */
function utf8(s: string): Uint8Array {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const bound = s.length * 3;
  if (bound > SCRATCH_LIMIT) return encoder.encode(s);
  if (scratch.length < bound) scratch = new Uint8Array(Math.max(bound, scratch.length * 2));
  return scratch.subarray(0, encoder.encodeInto(s, scratch).written);
}
