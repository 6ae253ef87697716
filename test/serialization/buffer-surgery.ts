/**
 * Reading and patching FlatBuffers by hand, for tests that damage a valid buffer in one precise
 * place (a vtable entry, an offset, a length) and check that the verifier names that place.
 */

export function u16(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}

export function u32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

export function setU16(b: Uint8Array, p: number, v: number): void {
  b[p] = v & 0xff;
  b[p + 1] = (v >>> 8) & 0xff;
}

export function setU32(b: Uint8Array, p: number, v: number): void {
  for (let k = 0; k < 4; k++) b[p + k] = (v >>> (8 * k)) & 0xff;
}

/** Position of the root table. */
export function rootOf(b: Uint8Array): number {
  return u32(b, 0);
}

/** Position of the vtable of the table at `table`. */
export function vtableOf(b: Uint8Array, table: number): number {
  return table - (u32(b, table) | 0);
}

/** Position of the vtable entry for `slot` of the table at `table`. */
export function entryOf(b: Uint8Array, table: number, slot: number): number {
  return vtableOf(b, table) + slot;
}

/** Absolute position of field `slot` of the table at `table` (throws when the field is absent). */
export function fieldOf(b: Uint8Array, table: number, slot: number): number {
  const vt = vtableOf(b, table);
  const fo = slot < u16(b, vt) ? u16(b, vt + slot) : 0;
  if (fo === 0) throw new Error(`test setup: field at slot ${slot} is absent`);
  return table + fo;
}

/** Where the uoffset field at `p` points. */
export function targetOf(b: Uint8Array, p: number): number {
  return p + u32(b, p);
}

/**
 * A copy of `b` with `data` appended at the first position >= its end that is `mod` modulo 8,
 * and the uoffset at `field` repointed to it.
 */
export function repoint(b: Uint8Array, field: number, data: Uint8Array, mod: number): Uint8Array {
  let at = b.length;
  while (at % 8 !== mod) at++;
  const out = new Uint8Array(at + data.length);
  out.set(b);
  out.set(data, at);
  setU32(out, field, at - field);
  return out;
}

/** `bytes` copied into a fresh ArrayBuffer at `byteOffset` (to test views that are not 8-aligned). */
export function atByteOffset(bytes: Uint8Array, byteOffset: number): Uint8Array {
  const view = new Uint8Array(new ArrayBuffer(bytes.length + byteOffset), byteOffset, bytes.length);
  view.set(bytes);
  return view;
}
