/**
 * The 32-bit hash that encodes `str` fields into the state vector (DESIGN.md section 6: strings
 * are compared by hash, as categorical values).
 */

/** FNV-1a 32-bit offset basis. */
const FNV_OFFSET_BASIS = 0x811c9dc5;
/** FNV-1a 32-bit prime. */
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a (32-bit) of a string, taken over its UTF-16 code units: each unit is XORed in whole
 * (16 bits at a time) and the state multiplied by the FNV prime. For strings whose code units are
 * all below 256 (ASCII, Latin-1) this is exactly the standard byte-wise FNV-1a of their Latin-1
 * bytes (`''` -> 0x811c9dc5, `'a'` -> 0xe40c292c, `'foobar'` -> 0xbf9cf968); for other strings
 * it is this code-unit variant, which is one multiply per unit instead of two or more, and what
 * any other implementation (wasm, shader, another language) must reproduce.
 *
 * Two different strings collide with probability about 2^-32: a `str` field whose primary and
 * mirror strings collide is seen as equal. That is accepted: the field is still stored whole in
 * the state, only the comparison sees the hash.
 *
 * @returns an unsigned 32-bit integer in `[0, 2^32)`, exactly representable in a float64 column.
 */
export function stringHash(value: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    // Math.imul keeps the product in 32 bits; a plain `*` would lose low bits past 2^53.
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}
