/**
 * The checkpoint container: a small frame list around FlatBuffers roots that already exist, so
 * every piece is verified by the one verifier and no new schema is needed.
 *
 * ```
 * offset  size  field
 *  0       4    magic "WFCK"
 *  4       2    container version (CHECKPOINT_FORMAT_VERSION), little-endian
 *  6       1    kind: 0 full, 1 incremental
 *  7       1    0
 *  8       8    position: the log position (pos) the checkpoint reflects, float64 LE, a safe integer
 * 16       8    number: 0 for a full checkpoint, k for the k-th increment after it, float64 LE
 * 24       4    frame count, uint32 LE
 * 28       4    0
 * 32      ...   frames, each: uint32 type, uint32 byte length, the bytes, zero padding to a multiple of 8
 * ```
 * Frame types: 1 MatrixSnapshot (WFMS), 2 Delta (WFDL), 3 InstanceSnapshot (WFIS). Frames start at
 * multiples of 8, so in an 8-aligned container a snapshot's float64 vectors can be read in place.
 *
 * Why not one FlatBuffers root holding them all: a `[ubyte]` vector carrying a nested buffer starts
 * 4 bytes past an 8-aligned length word, so its doubles would never be aligned; and a new root
 * type would need its own verifier. A table-based alternative is proposed in the issue report.
 */
import {
  CorruptBufferError,
  NotEncodableError,
  UnsupportedSchemaVersionError,
  WrongBufferTypeError,
} from '../serialization/errors.js';

/** The container's magic, at byte 0. */
export const CHECKPOINT_MAGIC = 'WFCK';
/** The container version this build writes and reads. */
export const CHECKPOINT_FORMAT_VERSION = 1;

const HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 8;

/** What a frame holds. */
export type CheckpointFrameType = 'matrix-snapshot' | 'delta' | 'instance-snapshot';

const FRAME_CODES: Readonly<Record<CheckpointFrameType, number>> = { 'matrix-snapshot': 1, delta: 2, 'instance-snapshot': 3 };
const FRAME_TYPES: readonly (CheckpointFrameType | undefined)[] = [undefined, 'matrix-snapshot', 'delta', 'instance-snapshot'];

/** One frame: a FlatBuffers root of the named type (not verified by the container). */
export interface CheckpointFrame {
  readonly type: CheckpointFrameType;
  readonly bytes: Uint8Array;
}

/** A checkpoint's header and frames. */
export interface CheckpointContents {
  readonly kind: 'full' | 'incremental';
  /** Log position (pos) of the last event reflected. */
  readonly position: number;
  /** 0 for a full checkpoint, k for the k-th increment after it. */
  readonly number: number;
  /** The frames, in order; their bytes are views of the container (copy them to keep them past it). */
  readonly frames: readonly CheckpointFrame[];
}

/**
 * Writes a checkpoint container frame by frame: each frame's bytes are copied in as soon as they
 * are added, so an encoder may hand over a view of a buffer it reuses for the next frame (no
 * array per frame; a mirror checkpoint has one frame per instance).
 */
export class CheckpointWriter {
  #bytes: Uint8Array;
  #view: DataView;
  #at = HEADER_BYTES;
  #count = 0;

  /** @param capacity bytes to allocate up front (it grows by doubling past that). */
  constructor(capacity = 1 << 16) {
    this.#bytes = new Uint8Array(Math.max(capacity, HEADER_BYTES));
    this.#view = new DataView(this.#bytes.buffer);
  }

  /** Copies one frame in. */
  add(type: CheckpointFrameType, bytes: Uint8Array): void {
    const size = FRAME_HEADER_BYTES + padded(bytes.length);
    if (this.#at + size > this.#bytes.length) this.#grow(this.#at + size);
    this.#view.setUint32(this.#at, FRAME_CODES[type], true);
    this.#view.setUint32(this.#at + 4, bytes.length, true);
    this.#bytes.set(bytes, this.#at + FRAME_HEADER_BYTES);
    // The padding keeps the zeros the buffer was allocated with: no byte is written twice.
    this.#at += size;
    this.#count++;
  }

  /**
   * Writes the header and returns the container (the writer is done after this).
   * @throws NotEncodableError for a position or number that is not a non-negative safe integer.
   */
  finish(kind: 'full' | 'incremental', position: number, number: number): Uint8Array {
    for (const [field, value] of [
      ['position', position],
      ['number', number],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new NotEncodableError('a checkpoint', field, `must be a non-negative safe integer, got ${String(value)}`);
      }
    }
    const bytes = this.#bytes;
    bytes.set(MAGIC_BYTES, 0);
    this.#view.setUint16(4, CHECKPOINT_FORMAT_VERSION, true);
    bytes[6] = kind === 'full' ? 0 : 1;
    bytes[7] = 0;
    this.#view.setFloat64(8, position, true);
    this.#view.setFloat64(16, number, true);
    this.#view.setUint32(24, this.#count, true);
    this.#view.setUint32(28, 0, true);
    // Hand over the used part; copy it out only when most of the buffer would be wasted.
    return this.#at * 2 < bytes.length ? bytes.slice(0, this.#at) : bytes.subarray(0, this.#at);
  }

  #grow(needed: number): void {
    const next = new Uint8Array(Math.max(needed, this.#bytes.length * 2));
    next.set(this.#bytes.subarray(0, this.#at));
    this.#bytes = next;
    this.#view = new DataView(next.buffer);
  }
}

const MAGIC_BYTES = new TextEncoder().encode(CHECKPOINT_MAGIC);

/** The size of a frame of `length` bytes in a container (header and padding included). */
export function frameSize(length: number): number {
  return FRAME_HEADER_BYTES + padded(length);
}

/**
 * Writes a checkpoint container from a list of frames (see {@link CheckpointWriter}).
 * @throws NotEncodableError for a position or number that is not a non-negative safe integer.
 */
export function writeCheckpoint(contents: CheckpointContents): Uint8Array {
  let size = HEADER_BYTES;
  for (const frame of contents.frames) size += frameSize(frame.bytes.length);
  const writer = new CheckpointWriter(size);
  for (const frame of contents.frames) writer.add(frame.type, frame.bytes);
  return writer.finish(contents.kind, contents.position, contents.number);
}

/**
 * Reads a checkpoint container's header and frame list (the frames themselves are verified by
 * their decoders).
 * @throws WrongBufferTypeError when the bytes do not start with the magic.
 * @throws UnsupportedSchemaVersionError for a newer container version.
 * @throws CorruptBufferError for a truncated container, a frame past its end, an unknown frame
 *   type or kind, a position or number that is not a non-negative safe integer, bytes after the last frame.
 */
export function readCheckpoint(bytes: Uint8Array): CheckpointContents {
  if (bytes.length < HEADER_BYTES) {
    throw new CorruptBufferError(`${bytes.length} bytes are too few for a checkpoint (its header takes ${HEADER_BYTES})`, 0);
  }
  const magic = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  if (magic !== CHECKPOINT_MAGIC) throw new WrongBufferTypeError('Checkpoint', CHECKPOINT_MAGIC, magic, undefined);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const version = view.getUint16(4, true);
  if (version === 0) throw new CorruptBufferError('the checkpoint version is 0', 4);
  if (version > CHECKPOINT_FORMAT_VERSION)
    throw new UnsupportedSchemaVersionError('Checkpoint', version, CHECKPOINT_FORMAT_VERSION);
  const kindCode = bytes[6]!;
  if (kindCode > 1 || bytes[7] !== 0) throw new CorruptBufferError(`unknown checkpoint kind ${kindCode}`, 6);
  const position = view.getFloat64(8, true);
  const number = view.getFloat64(16, true);
  if (!Number.isSafeInteger(position) || position < 0)
    throw new CorruptBufferError(`checkpoint position ${position} is not a log position`, 8);
  if (!Number.isSafeInteger(number) || number < 0) throw new CorruptBufferError(`checkpoint number ${number} is not a count`, 16);
  const kind = kindCode === 0 ? 'full' : 'incremental';
  if ((kind === 'full') !== (number === 0)) throw new CorruptBufferError(`a ${kind} checkpoint numbered ${number}`, 16);
  const count = view.getUint32(24, true);
  if (view.getUint32(28, true) !== 0) throw new CorruptBufferError('reserved header bytes are not 0', 28);
  const frames: CheckpointFrame[] = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (at + FRAME_HEADER_BYTES > bytes.length) throw new CorruptBufferError(`frame ${i} of ${count} starts past the end`, at);
    const type = FRAME_TYPES[view.getUint32(at, true)];
    if (type === undefined) throw new CorruptBufferError(`frame ${i} has unknown type ${view.getUint32(at, true)}`, at);
    const length = view.getUint32(at + 4, true);
    const start = at + FRAME_HEADER_BYTES;
    if (length > bytes.length - start) throw new CorruptBufferError(`frame ${i} (${length} bytes) runs past the end`, at);
    frames.push({ type, bytes: bytes.subarray(start, start + length) });
    at = start + padded(length);
    if (at > bytes.length) throw new CorruptBufferError(`frame ${i} lacks its padding`, start + length);
  }
  if (at !== bytes.length) throw new CorruptBufferError(`${bytes.length - at} bytes follow the last frame`, at);
  return { kind, position, number, frames };
}

function padded(length: number): number {
  return Math.ceil(length / 8) * 8;
}
