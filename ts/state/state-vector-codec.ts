/**
 * One instance's state vector as a FlatBuffers `StateVector` (schemas/state-vector.fbs): what a
 * primary sends its mirror so both compare the very same numbers. Values travel bit for bit (NaN
 * payloads, -0 and infinities included); `presence` repeats which fields are present, bit j set
 * when value j is not NaN, so a reader can tell a corrupt value from a missing one: on decode the
 * two must agree exactly.
 */
import { StateVector as StateVectorTable } from '../generated/wfmirror/fb/state-vector.js';
import { addDoubleField, createDoubleVector, readDoubleVector } from '../serialization/doubles.js';
import { CorruptBufferError, NotEncodableError } from '../serialization/errors.js';
import { buildBuffer } from '../serialization/shared-builder.js';
import { createString } from '../serialization/strings.js';
import { fieldIdOf, fieldPosition, slotOf, vectorAt } from '../serialization/table-access.js';
import { isWellFormed } from '../serialization/utf8.js';
import { verifyRoot } from '../serialization/verify.js';
import { SCHEMA_VERSION } from '../serialization/version.js';

/** One instance's state vector at a seq: one value per field (no padding), NaN where a field is missing. */
export interface StateVector {
  readonly workflowId: string;
  /** Definition name. */
  readonly workflowType: string;
  /** Definition version. */
  readonly version: number;
  /** The seq of the event after which the vector was taken. */
  readonly seq: number;
  readonly values: Float64Array;
}

const SEQ_ID = fieldIdOf('StateVector', 'seq');
const SLOT = {
  seq: slotOf('StateVector', 'seq'),
  values: slotOf('StateVector', 'values'),
  presence: slotOf('StateVector', 'presence'),
};

/**
 * Encodes a state vector (identifier WFSV).
 * @throws NotEncodableError for a string with a lone surrogate, a version that is not a uint32,
 *   a seq that is not a safe integer >= 0, or values that are not a Float64Array
 */
export function encodeStateVector(vector: StateVector): Uint8Array {
  const refuse = (field: string, problem: string): never => {
    throw new NotEncodableError('a state vector', field, problem);
  };
  for (const key of ['workflowId', 'workflowType'] as const) {
    const s: unknown = vector[key];
    if (typeof s !== 'string' || !isWellFormed(s)) refuse(key, 'must be a well-formed string');
  }
  const { version, seq, values } = vector;
  if (!Number.isInteger(version) || version < 0 || version > 0xffff_ffff)
    refuse('version', `must be a uint32, got ${String(version)}`);
  if (!Number.isSafeInteger(seq) || seq < 0) refuse('seq', `must be a safe integer >= 0, got ${String(seq)}`);
  if (!(values instanceof Float64Array)) refuse('values', 'must be a Float64Array');
  return buildBuffer((b) => {
    const workflowId = createString(b, vector.workflowId);
    const workflowType = createString(b, vector.workflowType);
    const valuesOffset = createDoubleVector(b, values);
    const presence = StateVectorTable.createPresenceVector(b, presenceOf(values));
    StateVectorTable.startStateVector(b);
    StateVectorTable.addSchemaVersion(b, SCHEMA_VERSION);
    StateVectorTable.addWorkflowId(b, workflowId);
    StateVectorTable.addWorkflowType(b, workflowType);
    StateVectorTable.addVersion(b, version);
    addDoubleField(b, SEQ_ID, seq);
    StateVectorTable.addValues(b, valuesOffset);
    StateVectorTable.addPresence(b, presence);
    StateVectorTable.finishStateVectorBuffer(b, StateVectorTable.endStateVector(b));
  });
}

/**
 * Decodes a `StateVector` buffer; `values` is a fresh array holding the buffer's bits exactly.
 * @throws SerializationError; CorruptBufferError also when seq is not a safe integer >= 0 or
 *   `presence` disagrees with `values` (wrong length, a bit that says present for a NaN or
 *   missing for a number, a set bit past the last field)
 */
export function decodeStateVector(bytes: Uint8Array): StateVector {
  const table = StateVectorTable.getRootAsStateVector(verifyRoot(bytes, 'StateVector'));
  const seq = table.seq();
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new CorruptBufferError(`StateVector.seq must be a safe integer >= 0, got ${seq}`, fieldPosition(table, SLOT.seq));
  }
  const values = readDoubleVector(table, SLOT.values);
  const presence = vectorAt(table, SLOT.presence)!; // required: verified present
  const bits = bytes.subarray(presence.start, presence.start + presence.length);
  const problem = presenceProblem(values, bits);
  if (problem !== undefined) throw new CorruptBufferError(`StateVector.presence ${problem}`, presence.start);
  return { workflowId: table.workflowId()!, workflowType: table.workflowType()!, version: table.version(), seq, values };
}

/** Bit j of the result is set when `values[j]` is not NaN. */
function presenceOf(values: Float64Array): Uint8Array {
  const bits = new Uint8Array((values.length + 7) >> 3);
  for (let j = 0; j < values.length; j++) {
    const v = values[j]!;
    if (!Number.isNaN(v)) bits[j >> 3]! |= 1 << (j & 7);
  }
  return bits;
}

/** What is wrong with `bits` as the presence of `values`, if anything. */
function presenceProblem(values: Float64Array, bits: Uint8Array): string | undefined {
  const n = values.length;
  if (bits.length !== (n + 7) >> 3) return `has ${bits.length} bytes, ${n} values need ${(n + 7) >> 3}`;
  for (let j = 0; j < n; j++) {
    const v = values[j]!;
    const present = (bits[j >> 3]! >> (j & 7)) & 1;
    if (present !== (Number.isNaN(v) ? 0 : 1)) return `bit ${j} says ${present ? 'present' : 'missing'} but value ${j} is ${v}`;
  }
  if (n % 8 !== 0 && bits[bits.length - 1]! >> (n % 8) !== 0) return `has bits set past the last of ${n} values`;
  return undefined;
}
