/**
 * One instance as an engine holds it (schemas/instance-snapshot.fbs, identifier WFIS): its state
 * object, seq, status and, for a mirror, the commands replay issued that the history has not
 * confirmed yet. Enough to go on replaying the instance from the next event without its history.
 *
 * The state object is stored per column of the layout, by the field's type:
 * - `f64`, `i32`: the number as it is in the object (not truncated: an i32 field holding 1.5 comes
 *   back as 1.5, as the handler left it), bits intact;
 * - `bool`: 0 or 1; `enum`: the value's index; `str`: the text in `strings` (and its hash in
 *   `values`, as in a state vector).
 * A field holding a value of another type (or undefined/null) is stored as absent (presence bit 0)
 * and comes back as `undefined`: the state vector encodes all of those as the same NaN, but a
 * handler that tells `null` from `undefined` would see the difference. Properties a handler added
 * outside the schema are not stored.
 *
 * This module knows nothing of engines (ts/state sits below ts/engine): commands and statuses are
 * plain data types here that the engine's own types fit.
 */
import { Builder, Encoding } from 'flatbuffers';
import { Command } from '../generated/wfmirror/fb/command.js';
import { CommandKind } from '../generated/wfmirror/fb/command-kind.js';
import { InstanceSnapshot } from '../generated/wfmirror/fb/instance-snapshot.js';
import { InstanceStatus } from '../generated/wfmirror/fb/instance-status.js';
import { Value } from '../generated/wfmirror/fb/value.js';
import { ValueEncoding } from '../generated/wfmirror/fb/value-encoding.js';
import { CorruptBufferError, NotEncodableError, SchemaMismatchError } from '../serialization/errors.js';
import { createString, createUtf8Vector } from '../serialization/strings.js';
import { verifyRoot } from '../serialization/verify.js';
import { SCHEMA_VERSION } from '../serialization/version.js';
import type { FleetSchema } from './matrix-snapshot-layout.js';
import { littleEndianBytes, placeVector, utf8Text, vectorSpan } from './matrix-snapshot-vectors.js';
import { stringHash } from './string-hash.js';

/** A command awaiting confirmation (the engine's `Command` is this shape). */
export type SnapshotCommand =
  | { readonly kind: 'call'; readonly name: string; readonly input: unknown }
  | { readonly kind: 'sleep'; readonly name: string; readonly ms: number }
  | { readonly kind: 'complete'; readonly result: unknown }
  | { readonly kind: 'fail'; readonly reason: string };

/** An instance's lifecycle (the engine's `InstanceStatus`). */
export type SnapshotStatus = 'running' | 'completed' | 'failed';

/** What an instance snapshot holds. */
export interface InstanceSnapshotData {
  readonly workflowId: string;
  readonly workflowType: string;
  /** Definition version of the code that started the instance. */
  readonly version: number;
  /** Fingerprint recorded when the instance started. */
  readonly startedFingerprint: string;
  /** Seq of the last event applied. */
  readonly seq: number;
  readonly status: SnapshotStatus;
  /** The state object (read by field, see the module doc). Decoding gives a fresh object in column order. */
  readonly state: Readonly<Record<string, unknown>>;
  /** Mirror: commands replay issued that the history has not confirmed yet ([] for a primary). */
  readonly expected: readonly SnapshotCommand[];
  /** Mirror: index in `expected` of the next command to confirm. */
  readonly expectedHead: number;
  /** Mirror: time of the last inbound event. */
  readonly triggerTime: number;
  /** Mirror: a non-determinism was already found. */
  readonly nonDeterministic: boolean;
  /** Mirror: the history's fingerprint differs from the mirror's definition. */
  readonly versionSkew: boolean;
}

const STATUS_CODES: Readonly<Record<SnapshotStatus, InstanceStatus>> = {
  running: InstanceStatus.Running,
  completed: InstanceStatus.Completed,
  failed: InstanceStatus.Failed,
};
const STATUS_NAMES: readonly SnapshotStatus[] = ['running', 'completed', 'failed'];

/** Vtable slots of InstanceSnapshot's vectors (4 + 2 * field id in schemas/instance-snapshot.fbs). */
const SLOT_VALUES = 18;

const BYTES = Encoding.UTF8_BYTES;

/**
 * Writes instance snapshots with one kept builder. The bytes returned are a view of its buffer,
 * valid until the next {@link encode}; a checkpoint copies them into its frame at once.
 */
export class InstanceSnapshotWriter {
  readonly #builder = new Builder(1024);
  #scratch: Float64Array = new Float64Array(0);

  /**
   * Encodes `data`, whose state follows `schema`'s layout.
   * @throws SchemaMismatchError when `data.workflowType` is not `schema`'s.
   * @throws NotEncodableError for a seq that is not a non-negative safe integer, a version that is
   *   not an unsigned 32-bit integer, an `expectedHead` outside `expected`, a command input or
   *   result that JSON cannot hold (a BigInt, a cycle).
   */
  encode(data: InstanceSnapshotData, schema: FleetSchema): Uint8Array {
    if (data.workflowType !== schema.workflowType) {
      throw new SchemaMismatchError(`instance "${data.workflowId}" is a "${data.workflowType}", not a "${schema.workflowType}"`);
    }
    const what = `the snapshot of instance "${data.workflowId}"`;
    if (!Number.isSafeInteger(data.seq) || data.seq < 0) throw new NotEncodableError(what, 'seq', `is ${data.seq}`);
    if (!Number.isInteger(data.version) || data.version < 0 || data.version > 0xffff_ffff) {
      throw new NotEncodableError(what, 'version', `is ${data.version}, not an unsigned 32-bit integer`);
    }
    if (!Number.isInteger(data.expectedHead) || data.expectedHead < 0 || data.expectedHead > data.expected.length) {
      throw new NotEncodableError(what, 'expectedHead', `is ${data.expectedHead} with ${data.expected.length} expected commands`);
    }
    if (!Number.isFinite(data.triggerTime))
      throw new NotEncodableError(what, 'triggerTime', `is ${data.triggerTime}, not a finite time`);
    const b = this.#builder;
    b.clear();
    const layout = schema.layout;
    const n = layout.fieldCount;
    const values = this.#values(n);
    const presence = new Uint8Array((n + 7) >> 3);
    const strings: number[] = [];
    // Every non-str field (and an absent str field) has the empty string: written once, shared.
    let empty = 0;
    for (let j = 0; j < n; j++) {
      const name = layout.names[j]!;
      const v = data.state[name];
      let present = true;
      let text = '';
      switch (layout.kinds[j]) {
        case 'f64':
        case 'i32':
          if (typeof v === 'number') values[j] = v;
          else present = false;
          break;
        case 'bool':
          if (typeof v === 'boolean') values[j] = v ? 1 : 0;
          else present = false;
          break;
        case 'enum': {
          const code = typeof v === 'string' ? (schema.state[name]?.values.indexOf(v) ?? -1) : -1;
          if (code >= 0) values[j] = code;
          else present = false;
          break;
        }
        default: // str
          if (typeof v === 'string') {
            text = v;
            values[j] = stringHash(v);
          } else present = false;
      }
      if (present) presence[j >> 3]! |= 1 << (j & 7);
      if (text !== '') strings.push(createString(b, text));
      else {
        if (empty === 0) empty = createString(b, '');
        strings.push(empty);
      }
    }
    const expected = data.expected.map((command, i) => writeCommand(b, command, `${what}: expected[${i}]`));
    const valuesOffset = placeVector(b, littleEndianBytes(values), 8, n);
    const stringsOffset = InstanceSnapshot.createStringsVector(b, strings);
    const presenceOffset = placeVector(b, presence, 1, presence.length);
    const expectedOffset = InstanceSnapshot.createExpectedVector(b, expected);
    const workflowId = createString(b, data.workflowId);
    const workflowType = createString(b, data.workflowType);
    const fingerprint = createString(b, data.startedFingerprint);
    InstanceSnapshot.startInstanceSnapshot(b);
    InstanceSnapshot.addSchemaVersion(b, SCHEMA_VERSION);
    InstanceSnapshot.addWorkflowId(b, workflowId);
    InstanceSnapshot.addWorkflowType(b, workflowType);
    InstanceSnapshot.addVersion(b, data.version);
    InstanceSnapshot.addStartedFingerprint(b, fingerprint);
    addDouble(b, InstanceSnapshot.addSeq, data.seq);
    InstanceSnapshot.addStatus(b, STATUS_CODES[data.status]);
    InstanceSnapshot.addValues(b, valuesOffset);
    InstanceSnapshot.addStrings(b, stringsOffset);
    InstanceSnapshot.addPresence(b, presenceOffset);
    InstanceSnapshot.addExpected(b, expectedOffset);
    InstanceSnapshot.addExpectedHead(b, data.expectedHead);
    addDouble(b, InstanceSnapshot.addTriggerTime, data.triggerTime);
    InstanceSnapshot.addNonDeterministic(b, data.nonDeterministic);
    InstanceSnapshot.addVersionSkew(b, data.versionSkew);
    InstanceSnapshot.finishInstanceSnapshotBuffer(b, InstanceSnapshot.endInstanceSnapshot(b));
    return b.asUint8Array();
  }

  /** A kept array of `n` NaN values (no allocation per snapshot). */
  #values(n: number): Float64Array {
    if (this.#scratch.length !== n) this.#scratch = new Float64Array(n);
    return this.#scratch.fill(Number.NaN);
  }
}

/** Encodes one instance snapshot that owns its bytes; see {@link InstanceSnapshotWriter.encode}. */
export function encodeInstanceSnapshot(data: InstanceSnapshotData, schema: FleetSchema): Uint8Array {
  return new InstanceSnapshotWriter().encode(data, schema).slice();
}

function writeCommand(b: Builder, command: SnapshotCommand, what: string): number {
  let name = 0;
  let value = 0;
  let reason = 0;
  switch (command.kind) {
    case 'call':
      name = createString(b, command.name);
      value = writeJson(b, command.input, what);
      break;
    case 'sleep':
      if (!Number.isFinite(command.ms) || command.ms < 0)
        throw new NotEncodableError(what, 'ms', `is ${command.ms}, not a duration`);
      name = createString(b, command.name);
      break;
    case 'complete':
      value = writeJson(b, command.result, what);
      break;
    case 'fail':
      reason = createString(b, command.reason);
      break;
  }
  Command.startCommand(b);
  Command.addKind(b, COMMAND_CODES[command.kind]);
  if (name !== 0) Command.addName(b, name);
  if (value !== 0) Command.addValue(b, value);
  if (command.kind === 'sleep') addDouble(b, Command.addMs, command.ms);
  if (reason !== 0) Command.addReason(b, reason);
  return Command.endCommand(b);
}

/**
 * Adds a double field whose default is 0. flatbuffers leaves out a value equal to the default, and
 * -0 == 0, so -0 would come back as +0: it is written explicitly instead.
 */
function addDouble(b: Builder, add: (b: Builder, value: number) => void, value: number): void {
  if (!Object.is(value, -0)) {
    add(b, value);
    return;
  }
  b.forceDefaults(true);
  add(b, value);
  b.forceDefaults(false);
}

const COMMAND_CODES: Readonly<Record<SnapshotCommand['kind'], CommandKind>> = {
  call: CommandKind.Call,
  sleep: CommandKind.Sleep,
  complete: CommandKind.Complete,
  fail: CommandKind.Fail,
};

/** A JSON Value table, or 0 (no value) for `undefined`, which comes back as null like the engine's own default. */
function writeJson(b: Builder, value: unknown, what: string): number {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new NotEncodableError(
      what,
      'value',
      `cannot be written as JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (text === undefined) return 0;
  return Value.createValue(b, ValueEncoding.Json, createUtf8Vector(b, text));
}

/** Where {@link decodeInstanceSnapshot} finds the schema of a workflow type: one schema, or a lookup. */
export type SchemaSource = FleetSchema | ((workflowType: string) => FleetSchema | undefined);

/**
 * Decodes an InstanceSnapshot. Verifies the buffer, finds the schema of its workflow type and
 * rebuilds the state object (a fresh `layout.initialState()` whose fields are overwritten, so it
 * has the hidden class every other state of that definition has).
 * @throws CorruptBufferError, WrongBufferTypeError, UnsupportedSchemaVersionError for bytes that are
 *   no valid snapshot: vector lengths that are not one per field, a presence bit past the fields,
 *   a present bool not 0/1, an enum index out of range, a string on a non-str field, a seq or
 *   expected_head out of range, a command without its name, JSON that does not parse.
 * @throws SchemaMismatchError when there is no schema for its workflow type (or it is not `schemas`').
 */
export function decodeInstanceSnapshot(bytes: Uint8Array, schemas: SchemaSource): InstanceSnapshotData {
  const bb = verifyRoot(bytes, 'InstanceSnapshot');
  const root = InstanceSnapshot.getRootAsInstanceSnapshot(bb);
  const at = root.bb_pos;
  const workflowType = utf8Text(root.workflowType(BYTES));
  const schema = typeof schemas === 'function' ? schemas(workflowType) : schemas;
  if (schema === undefined || schema.workflowType !== workflowType) {
    throw new SchemaMismatchError(`no schema for the snapshot's workflow type "${workflowType}"`);
  }
  const corrupt: Corrupt = (problem, cause) =>
    new CorruptBufferError(`instance snapshot: ${problem}`, at, cause === undefined ? undefined : { cause });
  const layout = schema.layout;
  const n = layout.fieldCount;
  const valuesSpan = vectorSpan(bb, at, SLOT_VALUES);
  if (valuesSpan.length !== n || root.stringsLength() !== n || root.presenceLength() !== (n + 7) >> 3) {
    throw corrupt(`values, strings and presence must hold one entry (bit) per field of the ${n} in "${workflowType}"`);
  }
  // Read in place (a DataView read at any alignment): no array per snapshot.
  const valuesAt = valuesSpan.start;
  const state = layout.initialState();
  for (let j = 0; j < n; j++) {
    const name = layout.names[j]!;
    const present = (root.presence(j >> 3)! & (1 << (j & 7))) !== 0;
    const text = utf8Text(root.strings(j, BYTES));
    const kind = layout.kinds[j];
    if (kind !== 'str' && text !== '') throw corrupt(`field "${name}" is ${kind}, yet has a string`);
    if (!present) {
      if (text !== '') throw corrupt(`absent field "${name}" has a string`);
      state[name] = undefined;
      continue;
    }
    const v = bb.readFloat64(valuesAt + 8 * j);
    switch (kind) {
      case 'f64':
      case 'i32':
        state[name] = v;
        break;
      case 'bool':
        if (v !== 0 && v !== 1) throw corrupt(`bool field "${name}" holds ${v}`);
        state[name] = v === 1;
        break;
      case 'enum': {
        const enumValues = schema.state[name]?.values ?? [];
        if (!Number.isInteger(v) || v < 0 || v >= enumValues.length) throw corrupt(`enum field "${name}" holds index ${v}`);
        state[name] = enumValues[v];
        break;
      }
      default:
        state[name] = text;
    }
  }
  for (let j = n; j < ((n + 7) >> 3) * 8; j++) {
    if ((root.presence(j >> 3)! & (1 << (j & 7))) !== 0) throw corrupt(`presence bit ${j} is set past the ${n} fields`);
  }
  const seq = root.seq();
  if (!Number.isSafeInteger(seq) || seq < 0) throw corrupt(`seq ${seq} is not a non-negative safe integer`);
  const expected: SnapshotCommand[] = [];
  const command = new Command();
  for (let i = 0; i < root.expectedLength(); i++) expected.push(readCommand(root.expected(i, command)!, corrupt, i));
  const expectedHead = root.expectedHead();
  if (expectedHead > expected.length)
    throw corrupt(`expected_head ${expectedHead} is past the ${expected.length} expected commands`);
  const triggerTime = root.triggerTime();
  if (!Number.isFinite(triggerTime)) throw corrupt(`trigger_time ${triggerTime} is not finite`);
  return {
    workflowId: utf8Text(root.workflowId(BYTES)),
    workflowType,
    version: root.version(),
    startedFingerprint: utf8Text(root.startedFingerprint(BYTES)),
    seq,
    // The verifier checked the enum's range.
    status: STATUS_NAMES[root.status()]!,
    state,
    expected,
    expectedHead,
    triggerTime,
    nonDeterministic: root.nonDeterministic(),
    versionSkew: root.versionSkew(),
  };
}

/** Makes the CorruptBufferError of one snapshot. */
type Corrupt = (problem: string, cause?: unknown) => CorruptBufferError;

function readCommand(command: Command, corrupt: Corrupt, i: number): SnapshotCommand {
  const name = utf8Text(command.name(BYTES));
  switch (command.kind()) {
    case CommandKind.Call:
      if (name === '') throw corrupt(`expected[${i}] calls an activity without a name`);
      return { kind: 'call', name, input: readJson(command.value(), corrupt, i) };
    case CommandKind.Sleep: {
      const ms = command.ms();
      if (name === '') throw corrupt(`expected[${i}] starts a timer without a name`);
      if (!Number.isFinite(ms) || ms < 0) throw corrupt(`expected[${i}] sleeps ${ms} ms`);
      return { kind: 'sleep', name, ms };
    }
    case CommandKind.Complete:
      return { kind: 'complete', result: readJson(command.value(), corrupt, i) };
    default: // CommandKind.Fail (the verifier checked the enum's range)
      return { kind: 'fail', reason: utf8Text(command.reason(BYTES)) };
  }
}

function readJson(value: Value | null, corrupt: Corrupt, i: number): unknown {
  if (value === null) return null;
  if (value.encoding() !== ValueEncoding.Json) throw corrupt(`expected[${i}] carries a raw value; commands carry JSON`);
  const data = value.dataArray() ?? new Uint8Array(0);
  try {
    return JSON.parse(utf8Text(data)) as unknown;
  } catch (error) {
    throw corrupt(`expected[${i}] carries a value that is not JSON`, error);
  }
}
