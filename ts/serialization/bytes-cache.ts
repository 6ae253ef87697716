/**
 * A small direct-mapped cache from short byte strings to what they decode to: the same value for
 * the same bytes, without decoding them again.
 *
 * Why: the events of a fleet repeat their short strings and JSON values over and over (activity
 * and timer names, the workflow type and fingerprint, results such as `{"reserved":true}`), and
 * decoding one costs a TextDecoder call (and a JSON.parse and a freeze) of 100-500 ns and leaves
 * garbage, where hashing and comparing a few dozen bytes costs a few dozen. A mirror decodes every
 * event the primary writes, so this is a large share of what mirroring costs.
 *
 * Only immutable values may be cached (strings, deeply frozen JSON): every caller of one key gets
 * the very same value. A slot holds one key; a key that hashes to a taken slot replaces it, so the
 * memory is fixed (`slots * maxKeyBytes` bytes of keys) and a miss costs one hash and one compare.
 * Keys longer than `maxKeyBytes` are never cached. Not for concurrent use (one per thread).
 */
export class BytesCache<T> {
  readonly #maxKeyBytes: number;
  readonly #mask: number;
  readonly #keys: Uint8Array;
  /** Per slot: the key's length, -1 for an empty slot. */
  readonly #lengths: Int32Array;
  readonly #values: (T | undefined)[];
  /** Lookups answered from the cache, and lookups that decoded (keys too long included). */
  hits = 0;
  misses = 0;

  /** `slots`: a power of two. */
  constructor(slots: number, maxKeyBytes: number) {
    if (!Number.isInteger(slots) || slots < 1 || (slots & (slots - 1)) !== 0) {
      throw new RangeError(`BytesCache: slots must be a power of two, got ${slots}`);
    }
    this.#maxKeyBytes = maxKeyBytes;
    this.#mask = slots - 1;
    this.#keys = new Uint8Array(slots * maxKeyBytes);
    this.#lengths = new Int32Array(slots).fill(-1);
    this.#values = new Array<T | undefined>(slots).fill(undefined);
  }

  /**
   * The value cached for `bytes`, or `decode(bytes, a, b)` (cached when it returns; nothing is
   * cached when it throws, so a bad key is decoded, and refused, every time). `a` and `b` are
   * passed through to `decode`, so a caller on a hot path needs no closure per lookup.
   */
  get<A, B>(bytes: Uint8Array, decode: (bytes: Uint8Array, a: A, b: B) => T, a: A, b: B): T {
    const n = bytes.length;
    if (n > this.#maxKeyBytes) {
      this.misses++;
      return decode(bytes, a, b);
    }
    // FNV-1a over the bytes, the length mixed in first, the high bits folded down for the slot.
    let hash = 0x811c9dc5 ^ n;
    for (let i = 0; i < n; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
    const slot = (hash ^ (hash >>> 16)) & this.#mask;
    const keys = this.#keys;
    const base = slot * this.#maxKeyBytes;
    if (this.#lengths[slot] === n) {
      let i = 0;
      while (i < n && keys[base + i] === bytes[i]) i++;
      if (i === n) {
        this.hits++;
        return this.#values[slot] as T;
      }
    }
    this.misses++;
    const value = decode(bytes, a, b);
    keys.set(bytes, base);
    this.#lengths[slot] = n;
    this.#values[slot] = value;
    return value;
  }
}
