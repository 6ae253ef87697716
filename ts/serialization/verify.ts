/**
 * The one gate every buffer from outside passes before a generated accessor touches it. The npm
 * flatbuffers runtime has no verifier and its accessors trust every offset, so a truncated or
 * hostile buffer would otherwise read garbage, throw a RangeError deep inside a decoder, or spin.
 * {@link verifyRoot} checks the identifier, the schema version and then every table, string and
 * vector reachable from the root (see buffer-walker.ts for the rules), and throws a typed
 * {@link SerializationError} at the first problem.
 */
import * as flatbuffers from 'flatbuffers';
import { ROOTS, type RootName, TABLES } from '../generated/schema-descriptors.js';
import { BufferWalker, type WalkLimits } from './buffer-walker.js';
import { BytesCache } from './bytes-cache.js';
import { CorruptBufferError, UnsupportedSchemaVersionError, WrongBufferTypeError } from './errors.js';
import { SCHEMA_VERSION } from './version.js';

/** The root types a buffer can hold. */
export type RootTypeName =
  | 'Event'
  | 'EventBatch'
  | 'StateVector'
  | 'MatrixSnapshot'
  | 'Delta'
  | 'InstanceSnapshot'
  | 'AnomalyReport';

// Both directions: a root added to the schemas but not here (or the reverse) fails to compile.
const ROOT_NAMES: Readonly<Record<RootName, RootTypeName>> = {
  Event: 'Event',
  EventBatch: 'EventBatch',
  StateVector: 'StateVector',
  MatrixSnapshot: 'MatrixSnapshot',
  Delta: 'Delta',
  InstanceSnapshot: 'InstanceSnapshot',
  AnomalyReport: 'AnomalyReport',
} satisfies Record<RootTypeName, RootName>;

/** Optional limits of {@link verifyRoot}; the defaults suit every buffer our encoders write. */
export interface VerifyLimits {
  /** Deepest nesting of tables, the root being 1 (default 64, as flatbuffers' C++ verifier). */
  readonly maxDepth?: number;
  /** Most tables visited, repeats included (default 1,000,000, as flatbuffers' C++ verifier). */
  readonly maxTables?: number;
  /**
   * Most bytes of tables, strings and vectors visited, repeats included (default 8 times the
   * buffer's length plus 64 KiB). A buffer whose offsets share one large object many times would
   * otherwise make its decoder copy that object as many times.
   */
  readonly maxVisitedBytes?: number;
}

/** A buffer longer than this cannot be addressed by FlatBuffers' signed 32-bit offsets. */
const MAX_BUFFER_SIZE = 0x7fffffff;
const SCHEMA_VERSION_SLOT = 4;
const BY_IDENTIFIER: ReadonlyMap<string, RootTypeName> = new Map(
  Object.values(ROOTS).map((r) => [r.identifier, ROOT_NAMES[r.table as RootName]]),
);

// Every root table must start with `schema_version: ushort`, the field read before the walk.
for (const root of Object.values(ROOTS)) {
  const field = TABLES[root.table].fields.find((f) => f.slot === SCHEMA_VERSION_SLOT);
  if (field?.name !== 'schema_version' || field.kind !== 'scalar' || field.type !== 'ushort') {
    throw new Error(`schema: root table ${root.table} must begin with schema_version: ushort`);
  }
}

const walker = new BufferWalker();

/**
 * Verifies that `bytes` is a well-formed `root` buffer this build can read, and returns a
 * ByteBuffer over `bytes` (no copy) ready for `Xxx.getRootAsXxx(bb)`.
 * @throws WrongBufferTypeError when the file identifier is another root type's or unknown
 * @throws UnsupportedSchemaVersionError when the buffer's schema_version is newer than SCHEMA_VERSION
 * @throws CorruptBufferError for anything else that is wrong, naming what and the byte offset
 */
export function verifyRoot(bytes: Uint8Array, root: RootTypeName, limits: VerifyLimits = {}): flatbuffers.ByteBuffer {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`verifyRoot: bytes must be a Uint8Array, got ${typeof bytes}`);
  const descriptor = Object.hasOwn(ROOTS, root) ? ROOTS[root as RootName] : undefined;
  if (descriptor === undefined) throw new TypeError(`verifyRoot: unknown root type ${JSON.stringify(root)}`);
  const length = bytes.length;
  if (length < 8)
    throw new CorruptBufferError(`${length} bytes are too few for a ${root} buffer (root offset and identifier take 8)`, 0);
  if (length > MAX_BUFFER_SIZE) throw new CorruptBufferError(`${length} bytes are more than a FlatBuffer can address`, 0);
  const identifier = String.fromCharCode(bytes[4]!, bytes[5]!, bytes[6]!, bytes[7]!);
  if (identifier !== descriptor.identifier) {
    throw new WrongBufferTypeError(root, descriptor.identifier, identifier, BY_IDENTIFIER.get(identifier));
  }
  const rootPos = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  if (rootPos < 8 || rootPos > length - 4) {
    throw new CorruptBufferError(`root offset ${rootPos} is outside the buffer's tables (8..${length - 4})`, 0);
  }
  walker.start(bytes, {
    maxDepth: limits.maxDepth ?? 64,
    maxTables: limits.maxTables ?? 1_000_000,
    maxVisitedBytes: limits.maxVisitedBytes ?? length * 8 + 65_536,
  } satisfies WalkLimits);
  try {
    // The version first: a newer writer may use fields or union members this build would call corrupt.
    walker.open(rootPos, root);
    const fo = walker.fieldOffset(rootPos, SCHEMA_VERSION_SLOT, 2, `${root}.schema_version`);
    const version = fo === 0 ? 0 : bytes[rootPos + fo]! | (bytes[rootPos + fo + 1]! << 8);
    if (version === 0) throw new CorruptBufferError(`${root}.schema_version is missing or 0`, rootPos + fo);
    if (version > SCHEMA_VERSION) throw new UnsupportedSchemaVersionError(root, version, SCHEMA_VERSION);
    walker.table(rootPos, descriptor.table, 1);
  } finally {
    walker.done();
  }
  return exactTextByteBuffer(bytes);
}

/**
 * A ByteBuffer over `bytes` checked only for its length and file identifier, without the walk
 * {@link verifyRoot} makes: for bytes this process encoded itself and handed across its own
 * shared memory (a mirror worker's ring), where the walk would check our own writer at about a
 * third of the decoding cost. Never for bytes from a file, a socket or another process.
 * @throws WrongBufferTypeError, CorruptBufferError (too short)
 */
export function trustedRoot(bytes: Uint8Array, root: RootName): flatbuffers.ByteBuffer {
  const descriptor = ROOTS[root];
  if (bytes.length < 8) throw new CorruptBufferError(`${bytes.length} bytes are too few for a ${root} buffer`, 0);
  const identifier = String.fromCharCode(bytes[4]!, bytes[5]!, bytes[6]!, bytes[7]!);
  if (identifier !== descriptor.identifier) {
    throw new WrongBufferTypeError(root, descriptor.identifier, identifier, BY_IDENTIFIER.get(identifier));
  }
  return exactTextByteBuffer(bytes);
}

// The runtime's ByteBuffer decodes strings with a default TextDecoder, which drops a leading
// U+FEFF (byte order mark) from every string: an id "\uFEFFx" would come back as "x". Strings
// are UTF-8 checked by the walk above, so one shared decoder that keeps the BOM is all it needs.
const BOM_KEEPING = new TextDecoder('utf-8', { ignoreBOM: true });
const decodeExact = (bytes: Uint8Array): string => BOM_KEEPING.decode(bytes);

/**
 * Strings of up to 48 bytes (names, types, fingerprints, most ids) are decoded once and then
 * served from a cache (bytes-cache.ts): an event's names repeat across a fleet, and a mirror
 * decodes every event. 4,096 slots, 192 KiB of keys.
 */
const SHORT_STRINGS = new BytesCache<string>(4096, 48);

/** What every ByteBuffer made here decodes its strings with (the runtime calls `decode(bytes)`). */
const EXACT_DECODER = {
  decode: (bytes: Uint8Array): string => SHORT_STRINGS.get(bytes, decodeExact, undefined, undefined),
};

/** The fields a flatbuffers ByteBuffer keeps (private in its typings; the same from 2.x to 25.x). */
interface ByteBufferFields {
  bytes_: Uint8Array;
  position_: number;
  text_decoder_: typeof EXACT_DECODER;
}

/**
 * Whether this runtime's ByteBuffer has exactly the fields above, checked once on a real one: a
 * later version with other fields gets its own constructor instead of a half-made buffer.
 */
const KNOWN_FIELDS =
  Object.keys(new flatbuffers.ByteBuffer(new Uint8Array(0)))
    .sort()
    .join() === 'bytes_,position_,text_decoder_';

/**
 * A ByteBuffer over `bytes` whose string accessors return exactly the text that was written.
 * Made without the runtime's constructor, which builds a TextDecoder of its own for every buffer:
 * about a third of decoding a small event (1.7-1.9 us before, 1.13 us after, for the demo's
 * events), and there is one buffer per event on the log's, the stream's and the ring's paths.
 * The fields are set in the constructor's order so every buffer shares one hidden class.
 */
function exactTextByteBuffer(bytes: Uint8Array): flatbuffers.ByteBuffer {
  if (!KNOWN_FIELDS) {
    const made = new flatbuffers.ByteBuffer(bytes);
    (made as unknown as ByteBufferFields).text_decoder_ = EXACT_DECODER;
    return made;
  }
  const bb = Object.create(flatbuffers.ByteBuffer.prototype) as ByteBufferFields;
  bb.bytes_ = bytes;
  bb.position_ = 0;
  bb.text_decoder_ = EXACT_DECODER;
  return bb as unknown as flatbuffers.ByteBuffer;
}
