/**
 * The errors `ts/serialization` throws on purpose. Every decoder of untrusted bytes ends in either
 * a value or one of these (never a RangeError from a stray offset, never a wrong value), so callers
 * can catch {@link SerializationError} alone. `code` is stable and meant for programs.
 */
import { WorkflowMirrorError } from '../base-error.js';

/** The base of every serialization error. */
export class SerializationError extends WorkflowMirrorError {}

/**
 * The bytes are not a well-formed buffer of the expected type: truncated, an offset or length
 * out of bounds, a missing required field, an enum value out of range, a value the codec refuses
 * (a seq that is not an integer, JSON that does not parse...). `offset` is the byte where the
 * problem was found (0 when it is the buffer as a whole).
 */
export class CorruptBufferError extends SerializationError {
  /** Byte offset, from the start of the buffer, at which the problem was found. */
  readonly offset: number;
  /** What is wrong, without the offset (the message has both). */
  readonly problem: string;

  constructor(problem: string, offset: number, options?: { cause?: unknown }) {
    super('CORRUPT_BUFFER', `corrupt buffer at byte ${offset}: ${problem}`, options);
    this.offset = offset;
    this.problem = problem;
  }
}

/**
 * The buffer's 4-byte file identifier is not the one of the expected root type: it is another
 * root type's (`found` names it) or no root type's at all (`found` is undefined).
 */
export class WrongBufferTypeError extends SerializationError {
  /** The root type the caller asked for. */
  readonly expected: string;
  /** The root type whose identifier the buffer carries, when it is one of ours. */
  readonly found: string | undefined;
  /** The identifier found, as text (non-printable bytes escaped). */
  readonly identifier: string;

  constructor(expected: string, expectedIdentifier: string, identifier: string, found: string | undefined) {
    super(
      'WRONG_BUFFER_TYPE',
      found === undefined
        ? `expected a ${expected} buffer (identifier ${expectedIdentifier}), but the identifier is ${JSON.stringify(identifier)}, which is no workflow-mirror buffer type's`
        : `expected a ${expected} buffer (identifier ${expectedIdentifier}), got a ${found} buffer (identifier ${identifier})`,
    );
    this.expected = expected;
    this.found = found;
    this.identifier = identifier;
  }
}

/** The buffer was written by a newer schema version than this build reads. */
export class UnsupportedSchemaVersionError extends SerializationError {
  readonly root: string;
  /** The buffer's `schema_version`. */
  readonly found: number;
  /** The newest version this build reads (SCHEMA_VERSION). */
  readonly supported: number;

  constructor(root: string, found: number, supported: number) {
    super(
      'UNSUPPORTED_SCHEMA_VERSION',
      `${root} buffer has schema version ${found}, this build reads versions up to ${supported}; upgrade the reader`,
    );
    this.root = root;
    this.found = found;
    this.supported = supported;
  }
}

/**
 * A well-formed buffer whose content does not fit what the caller expects of it: e.g. a matrix
 * snapshot whose layout differs from the definition it is restored into.
 */
export class SchemaMismatchError extends SerializationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SCHEMA_MISMATCH', message, options);
  }
}

/**
 * A value cannot be written in the schema's types (a version above 2^32 - 1, a seq that is not a
 * safe integer, an unknown enum string...): thrown by encoders, so a bad value is refused where
 * it is written instead of producing a buffer every reader refuses.
 */
export class NotEncodableError extends SerializationError {
  /** The offending property as a path, e.g. `payload.version`. */
  readonly field: string;

  constructor(what: string, field: string, problem: string) {
    super('NOT_ENCODABLE', `cannot encode ${what}: ${field} ${problem}`);
    this.field = field;
  }
}
