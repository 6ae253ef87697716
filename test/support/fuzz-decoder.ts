/**
 * A fuzz harness for decoders of untrusted bytes. From valid sample buffers it derives damaged
 * ones (every or many truncations, random byte and 32-bit word mutations, random insertions) and
 * holds the decoder to its contract on each:
 * - it either returns or throws a SerializationError: nothing else (no RangeError from a stray
 *   offset, no TypeError from a null accessor, no stack overflow), and it returns at all (a hang
 *   shows up as the test's timeout);
 * - a success on a truncated buffer gives exactly the sample's content: every byte read was in
 *   the kept prefix, so a correct decoder sees the same buffer the sample was;
 * - a success on a mutated or extended buffer gives content that a correct encode/decode round
 *   trip keeps unchanged (when `encode` is given): the decoder accepted a value the format can
 *   hold, not a half-read one; and decoding the same bytes again gives the same content;
 * - the decoder never writes into the bytes it was given.
 * Randomness comes from a seeded generator, so a failure names a seed and a case that replay.
 */
import { SerializationError } from '../../ts/serialization/errors.js';

/** What {@link fuzzDecoder} needs. */
export interface FuzzDecoderOptions<T> {
  /** Valid buffers to damage; each must decode. */
  readonly samples: readonly Uint8Array[];
  readonly decode: (bytes: Uint8Array) => T;
  /** Content equality; {@link sameContent} suits plain values, typed arrays compared bit for bit. */
  readonly equal?: (a: T, b: T) => boolean;
  /** Re-encodes a decoded value, for the round-trip check of successes on damaged bytes. */
  readonly encode?: (value: T) => Uint8Array;
  /** Truncated copies per sample: every length when the sample is at most this long, else this many at random (default 64). */
  readonly truncations?: number;
  /** Copies with 1-4 random bytes or an aligned 32-bit word overwritten, per sample. */
  readonly mutations: number;
  /** Copies with 1-8 random bytes inserted somewhere, per sample. */
  readonly insertions: number;
  /** Seed of the generator (default 1). */
  readonly seed?: number;
}

/** What a run did: cases tried, how many decoded, and how many were refused with which error code. */
export interface FuzzDecoderReport {
  readonly cases: number;
  readonly decoded: number;
  readonly refused: Readonly<Record<string, number>>;
}

/**
 * Runs the damaged buffers through `decode` and throws an Error naming the first case that
 * breaks the contract (see the module comment).
 */
export function fuzzDecoder<T>(options: FuzzDecoderOptions<T>): FuzzDecoderReport {
  const equal = options.equal ?? sameContent;
  const random = mulberry32(options.seed ?? 1);
  const refused: Record<string, number> = {};
  let cases = 0;
  let decoded = 0;

  options.samples.forEach((sample, s) => {
    const expected = options.decode(sample.slice());
    const run = (kind: string, bytes: Uint8Array, truncated: boolean): void => {
      cases++;
      const before = bytes.slice();
      const where = `${kind} of sample ${s} (seed ${options.seed ?? 1}, ${bytes.length} bytes: ${hex(bytes)})`;
      let value: T;
      try {
        value = options.decode(bytes);
      } catch (error) {
        if (!(error instanceof SerializationError)) {
          throw new Error(`decoder threw ${describe(error)} on ${where}`, { cause: error });
        }
        refused[error.code] = (refused[error.code] ?? 0) + 1;
        if (!sameBytes(bytes, before)) throw new Error(`decoder wrote into its input on ${where}`);
        return;
      }
      decoded++;
      if (!sameBytes(bytes, before)) throw new Error(`decoder wrote into its input on ${where}`);
      if (truncated && !equal(value, expected))
        throw new Error(`a truncated buffer decoded to other content than the sample: ${where}`);
      if (!equal(options.decode(bytes), value)) throw new Error(`decoding the same bytes twice gave different content: ${where}`);
      if (options.encode !== undefined && !equal(options.decode(options.encode(value)), value)) {
        throw new Error(`an accepted value does not survive encode -> decode: ${where}`);
      }
    };

    const limit = options.truncations ?? 64;
    if (sample.length <= limit) {
      for (let n = 0; n < sample.length; n++) run(`truncation to ${n}`, sample.slice(0, n), true);
    } else {
      for (let i = 0; i < limit; i++) {
        const n = Math.floor(random() * sample.length);
        run(`truncation to ${n}`, sample.slice(0, n), true);
      }
    }
    for (let i = 0; i < options.mutations; i++) {
      const bytes = sample.slice();
      const what = mutate(bytes, random);
      run(`mutation ${i} (${what})`, bytes, false);
    }
    for (let i = 0; i < options.insertions; i++) {
      const at = Math.floor(random() * (sample.length + 1));
      const extra = 1 + Math.floor(random() * 8);
      const bytes = new Uint8Array(sample.length + extra);
      bytes.set(sample.subarray(0, at));
      for (let k = 0; k < extra; k++) bytes[at + k] = Math.floor(random() * 256);
      bytes.set(sample.subarray(at), at + extra);
      run(`insertion ${i} (${extra} bytes at ${at})`, bytes, false);
    }
  });
  return { cases, decoded, refused };
}

/** Values a hostile writer likes: zero, all ones, sign bits, and small numbers that look like offsets. */
const WORDS = [0, 0xffff_ffff, 0x7fff_ffff, 0x8000_0000, 1, 4, 8, 0xfffc, 0x1_0000];
const BYTES = [0, 0xff, 0x7f, 0x80, 1, 2, 4, 9, 10];

/** Damages `bytes` in place; returns a description. */
function mutate(bytes: Uint8Array, random: () => number): string {
  if (bytes.length >= 4 && random() < 0.3) {
    // An aligned 32-bit word: offsets, lengths and soffsets are all 4-byte values.
    const at = Math.floor(random() * (bytes.length >> 2)) * 4;
    const word = random() < 0.5 ? WORDS[Math.floor(random() * WORDS.length)]! : Math.floor(random() * 2 ** 32);
    for (let k = 0; k < 4; k++) bytes[at + k] = (word >>> (8 * k)) & 0xff;
    return `word ${word} at ${at}`;
  }
  const count = 1 + Math.floor(random() * 4);
  const changes: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = Math.floor(random() * bytes.length);
    const byte = random() < 0.5 ? BYTES[Math.floor(random() * BYTES.length)]! : Math.floor(random() * 256);
    bytes[at] = byte;
    changes.push(`${byte} at ${at}`);
  }
  return `bytes ${changes.join(', ')}`;
}

/**
 * Deep equality for decoded values: numbers by `Object.is` (NaN equals NaN, -0 differs from 0),
 * typed arrays byte for byte (so NaN payloads count), arrays and plain objects by own keys.
 */
export function sameContent(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    return sameBytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  const ra = a as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && sameContent(ra[k], rb[k]));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A small, fast, seedable generator (mulberry32): enough for picking bytes and positions. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(bytes: Uint8Array): string {
  const shown = Array.from(bytes.subarray(0, 96), (b) => b.toString(16).padStart(2, '0')).join('');
  return bytes.length > 96 ? `${shown}...` : shown;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
}
