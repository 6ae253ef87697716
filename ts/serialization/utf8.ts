/** UTF-8 validation of string bytes inside a buffer, for the verifier. */

// fatal: an invalid sequence throws instead of becoming U+FFFD. The generated accessors decode
// with a lenient decoder, which would turn a corrupt string into a different, valid one.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * True when `bytes[start, end)` is well-formed UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF). ASCII, by far the common case, is settled by a plain loop; the rest by a
 * strict TextDecoder.
 */
export function isUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (bytes[i]! >= 0x80) {
      try {
        strict.decode(bytes.subarray(i, end));
        return true;
      } catch {
        return false;
      }
    }
  }
  return true;
}

/** True when `s` is well-formed UTF-16 (no lone surrogate), i.e. survives UTF-8 and back unchanged. */
export function isWellFormed(s: string): boolean {
  return nativeIsWellFormed === undefined ? !LONE_SURROGATE.test(s) : nativeIsWellFormed.call(s);
}

// String.prototype.isWellFormed (ES2024, Node 20; not in the ES2022 types) is several times faster
// than the regex, which stays as the fallback. With the u flag a surrogate pair is one code point,
// so only lone halves match.
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;
const LONE_SURROGATE = /\p{Cs}/u;
