/**
 * The version of the FlatBuffers wire format this build writes. Every root table carries it in
 * `schema_version`; readers refuse a newer one (UnsupportedSchemaVersionError) rather than guess at
 * fields they do not know, and treat a missing or 0 version as a corrupt buffer. Bump it when a
 * schema change would make an older reader misread new buffers (not for fields an old reader can
 * safely ignore).
 */
export const SCHEMA_VERSION = 1;
