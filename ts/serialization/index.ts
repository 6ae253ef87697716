/** The public pieces of `ts/serialization`: the verifier, its errors and the wire format's version. */

export {
  CorruptBufferError,
  NotEncodableError,
  SchemaMismatchError,
  SerializationError,
  UnsupportedSchemaVersionError,
  WrongBufferTypeError,
} from './errors.js';
export { type RootTypeName, type VerifyLimits, verifyRoot } from './verify.js';
export { SCHEMA_VERSION } from './version.js';
