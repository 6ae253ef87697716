/**
 * Row ids on the wire: one UTF-8 blob plus the end offset of each id (MatrixSnapshot.row_id_bytes /
 * row_id_ends, Delta.new_row_id_*). A million ids are then two block copies instead of a million
 * strings for the builder, and reading them back creates strings only when they are asked for.
 */
import { CorruptBufferError, NotEncodableError } from '../serialization/errors.js';
import { isWellFormed } from '../serialization/utf8.js';
import { RowOutOfRangeError } from './errors.js';
import { FREE_ROW_ID, RowIndex } from './row-index.js';

/** Anything that names the instance of each row: a {@link RowIndex}, a {@link SnapshotRowIds}. */
export interface RowIdSource {
  /** Rows named (0 .. size - 1). */
  readonly size: number;
  /** The id of `row` ({@link FREE_ROW_ID} for a free row). */
  idOf(row: number): string;
  /** Rows that changed hands so far (a RowIndex counts them; deltas refuse to span one). */
  readonly reassignedCount?: number;
}

/** Reusable scratch space for {@link encodeRowIds}: the blob grows by doubling and is kept. */
export class RowIdScratch {
  bytes: Uint8Array = new Uint8Array(0);
  ends: Uint32Array = new Uint32Array(0);
}

const utf8 = new TextEncoder();

/**
 * Writes the ids of rows `0 .. count - 1` as UTF-8 into `scratch` and returns the blob's length;
 * `scratch.ends[r]` is the end of row r's id. ASCII ids (the usual kind) are copied unit by unit,
 * about 2x faster than joining them and encoding once, and with no intermediate string.
 * @throws NotEncodableError for an id that is not well-formed UTF-16 (a lone surrogate would come
 *   back as U+FFFD, another id), or a blob past 4 GiB.
 */
export function encodeRowIds(source: RowIdSource, count: number, scratch: RowIdScratch): number {
  if (scratch.ends.length < count) scratch.ends = new Uint32Array(count);
  const ends = scratch.ends;
  let bytes = scratch.bytes;
  let at = 0;
  for (let r = 0; r < count; r++) {
    const id = source.idOf(r);
    const n = id.length;
    // Room for the worst case of this id (3 bytes per UTF-16 unit) before writing it.
    if (at + 3 * n > bytes.length) bytes = grow(bytes, at, at + 3 * n);
    let c = 0;
    for (; c < n; c++) {
      const unit = id.charCodeAt(c);
      if (unit >= 0x80) break;
      bytes[at + c] = unit;
    }
    if (c === n) at += n;
    else {
      if (!isWellFormed(id)) {
        throw new NotEncodableError('row ids', `row ${r}`, 'is not well-formed UTF-16 (a lone surrogate)');
      }
      at += utf8.encodeInto(id, bytes.subarray(at)).written;
    }
    if (at > 0xffff_ffff) throw new NotEncodableError('row ids', `row ${r}`, 'ends past 4 GiB of UTF-8');
    ends[r] = at;
  }
  scratch.bytes = bytes;
  return at;
}

function grow(bytes: Uint8Array, used: number, needed: number): Uint8Array {
  const next = new Uint8Array(Math.max(needed, bytes.length * 2, 1024));
  next.set(bytes.subarray(0, used));
  return next;
}

/** True when every byte is below 0x80 (then UTF-8 = ASCII, and byte offsets are string offsets). */
function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

// ignoreBOM: keep a leading U+FEFF as part of the first id instead of dropping it (which would
// shift every id after it).
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Checks a decoded id blob: ends non-decreasing, the last one at the blob's end, the blob valid
 * UTF-8 and every end on a character boundary (so each id alone is valid UTF-8). Returns the blob
 * as one string when it had to decode it anyway (non-ASCII), else undefined.
 * @param at the byte offset of the blob in the buffer, for error messages.
 * @throws CorruptBufferError naming the first problem.
 */
export function checkRowIds(blob: Uint8Array, ends: Uint32Array, at: number, what: string): string | undefined {
  let previous = 0;
  for (let r = 0; r < ends.length; r++) {
    const end = ends[r]!;
    if (end < previous)
      throw new CorruptBufferError(`${what}: id end of row ${r} (${end}) is before the previous one (${previous})`, at);
    previous = end;
  }
  if (previous !== blob.length) {
    throw new CorruptBufferError(`${what}: the ids end at byte ${previous} of a ${blob.length}-byte id blob`, at);
  }
  if (isAscii(blob)) return undefined;
  let text: string;
  try {
    text = strictUtf8.decode(blob);
  } catch (error) {
    throw new CorruptBufferError(`${what}: the id blob is not valid UTF-8`, at, { cause: error });
  }
  for (let r = 0; r < ends.length; r++) {
    const end = ends[r]!;
    // A continuation byte (10xxxxxx) right at an end means the end splits a character.
    if (end < blob.length && (blob[end]! & 0xc0) === 0x80) {
      throw new CorruptBufferError(`${what}: the id of row ${r} ends inside a UTF-8 character`, at);
    }
  }
  return text;
}

/**
 * The row ids of a decoded snapshot, kept as the blob and its ends. Strings are made on demand:
 * the first {@link idOf} decodes the blob once, each id is then a slice of that string. Building a
 * RowIndex (a Map entry per id) is the expensive part of reading ids and is left to
 * {@link fillRowIndex}, for the callers that need lookups by id.
 */
export class SnapshotRowIds implements RowIdSource {
  readonly #blob: Uint8Array;
  readonly #ends: Uint32Array;
  /** The whole blob as a string, once decoded. */
  #text: string | undefined;
  /** Non-ASCII blobs: per row, the end of its id in `#text` (UTF-16 units); undefined when those are the byte ends. */
  #textEnds: Uint32Array | undefined;

  /**
   * @param blob the UTF-8 ids, owned by this object from now on (not a view of a buffer that changes).
   * @param ends per row, the end of its id in `blob`; both already checked with {@link checkRowIds}.
   * @param text the decoded blob when {@link checkRowIds} returned it.
   */
  constructor(blob: Uint8Array, ends: Uint32Array, text: string | undefined) {
    this.#blob = blob;
    this.#ends = ends;
    if (text !== undefined) this.#setText(text);
  }

  /** Rows named. */
  get size(): number {
    return this.#ends.length;
  }

  /**
   * The id of `row`.
   * @throws RowOutOfRangeError when there is no such row.
   */
  idOf(row: number): string {
    if (!Number.isInteger(row) || row < 0 || row >= this.#ends.length) throw new RowOutOfRangeError(row, this.#ends.length);
    if (this.#text === undefined) this.#setText(lenientUtf8.decode(this.#blob));
    const ends = this.#textEnds ?? this.#ends;
    return this.#text!.slice(row === 0 ? 0 : ends[row - 1]!, ends[row]!);
  }

  /**
   * Appends every id, in row order, to `index`, which must be empty or already hold exactly
   * these ids' first rows in order (they are then checked, not added twice).
   * @throws CorruptBufferError when an id repeats (two rows of one instance) or `index` holds
   *   other ids; the index then holds the rows before the offending one.
   */
  fillRowIndex(index: RowIndex): void {
    const known = index.size;
    if (known > this.size) {
      throw new CorruptBufferError(`the row index already has ${known} rows, the snapshot only ${this.size}`, 0);
    }
    for (let r = 0; r < this.size; r++) {
      const id = this.idOf(r);
      if (id === FREE_ROW_ID) {
        // A row given back before the snapshot: free here too, so the same rows name the same instances.
        if (r < known ? index.idOf(r) !== FREE_ROW_ID : index.addFreeRow() !== r) {
          throw new CorruptBufferError(`row ${r} is free in the snapshot but another instance's in the row index`, 0);
        }
        continue;
      }
      const row = r < known ? index.get(id) : index.appendRow(id);
      if (row !== r) {
        throw new CorruptBufferError(
          r < known
            ? `row ${r} is "${id}" in the snapshot but another instance's in the row index`
            : `row id "${id}" appears twice (rows ${String(row)} and ${r})`,
          0,
        );
      }
    }
  }

  /** A new RowIndex holding these ids. @throws CorruptBufferError as {@link fillRowIndex}. */
  toRowIndex(): RowIndex {
    const index = new RowIndex();
    this.fillRowIndex(index);
    return index;
  }

  #setText(text: string): void {
    this.#text = text;
    if (text.length === this.#blob.length) return; // ASCII: string offsets are byte offsets
    // Count UTF-16 units per byte range: a byte that is not a continuation byte starts a
    // character; a 4-byte lead (11110xxx) makes a surrogate pair.
    const textEnds = new Uint32Array(this.#ends.length);
    let units = 0;
    let b = 0;
    for (let r = 0; r < textEnds.length; r++) {
      const end = this.#ends[r]!;
      for (; b < end; b++) {
        const byte = this.#blob[b]!;
        if ((byte & 0xc0) !== 0x80) units += byte >= 0xf0 ? 2 : 1;
      }
      textEnds[r] = units;
    }
    this.#textEnds = textEnds;
  }
}
