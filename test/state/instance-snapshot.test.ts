import fc from 'fast-check';
import { Builder, ByteBuffer } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { Command } from '../../ts/generated/wfmirror/fb/command.js';
import { CommandKind } from '../../ts/generated/wfmirror/fb/command-kind.js';
import { InstanceSnapshot } from '../../ts/generated/wfmirror/fb/instance-snapshot.js';
import { Value } from '../../ts/generated/wfmirror/fb/value.js';
import { ValueEncoding } from '../../ts/generated/wfmirror/fb/value-encoding.js';
import { CorruptBufferError, NotEncodableError, SchemaMismatchError, SerializationError } from '../../ts/serialization/errors.js';
import { SCHEMA_VERSION } from '../../ts/serialization/version.js';
import {
  decodeInstanceSnapshot,
  encodeInstanceSnapshot,
  type InstanceSnapshotData,
  InstanceSnapshotWriter,
  type SnapshotCommand,
} from '../../ts/state/instance-snapshot-codec.js';
import { fromWords, MIXED, misaligned, schemaOf } from './snapshot-fixtures.js';

/** MIXED's fields: total f64, items i32, status enum(new, paid, shipped), shipped bool, note str. */
function data(changes: Partial<InstanceSnapshotData> = {}): InstanceSnapshotData {
  return {
    workflowId: 'order-1',
    workflowType: 'test',
    version: 1,
    startedFingerprint: 'fp-1',
    seq: 4,
    status: 'running',
    state: { total: 12.5, items: 3, status: 'paid', shipped: false, note: 'hello' },
    expected: [
      { kind: 'call', name: 'ship', input: { express: true, n: [1, 2] } },
      { kind: 'sleep', name: 'dispatch', ms: 60_000 },
    ],
    expectedHead: 1,
    triggerTime: 1_700_000_000_000,
    nonDeterministic: false,
    versionSkew: true,
    ...changes,
  };
}

const jsonArb = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

const commandArb: fc.Arbitrary<SnapshotCommand> = fc.oneof(
  fc.record({ kind: fc.constant('call' as const), name: fc.string({ minLength: 1 }), input: jsonArb }),
  fc.record({
    kind: fc.constant('sleep' as const),
    name: fc.string({ minLength: 1 }),
    ms: fc.double({ min: 0, max: 1e12, noNaN: true }),
  }),
  fc.record({ kind: fc.constant('complete' as const), result: jsonArb }),
  fc.record({ kind: fc.constant('fail' as const), reason: fc.string() }),
);

/** A state value per field kind, or something that is not of the field's type (stored as absent). */
const stateArb = fc.record({
  total: fc.oneof(
    fc.double(),
    fc.constantFrom(-0, Number.NaN, fromWords(7, 0x7ff8_0000)),
    fc.constant(undefined),
    fc.constant('12'),
  ),
  items: fc.oneof(fc.integer(), fc.double(), fc.constant(null)),
  status: fc.oneof(fc.constantFrom('new', 'paid', 'shipped'), fc.constant('lost'), fc.constant(undefined)),
  shipped: fc.oneof(fc.boolean(), fc.constant(1)),
  note: fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom('', '\uFEFFbom'), fc.constant(7)),
});

/** What decoding gives back for a state: values of the wrong type become undefined. */
function expectedState(state: Record<string, unknown>): Record<string, unknown> {
  const ok = (v: unknown, kind: string) =>
    kind === 'number'
      ? typeof v === 'number'
      : kind === 'enum'
        ? v === 'new' || v === 'paid' || v === 'shipped'
        : typeof v === kind;
  const kinds: Record<string, string> = { total: 'number', items: 'number', status: 'enum', shipped: 'boolean', note: 'string' };
  return Object.fromEntries(Object.entries(kinds).map(([name, kind]) => [name, ok(state[name], kind) ? state[name] : undefined]));
}

describe('instance snapshot: round trip', () => {
  it('property: state (every kind, NaN payloads, -0, wrong types), commands, flags', () => {
    fc.assert(
      fc.property(
        stateArb,
        fc.array(commandArb, { maxLength: 4 }),
        fc.maxSafeNat(),
        fc.constantFrom('running' as const, 'completed' as const, 'failed' as const),
        fc.boolean(),
        fc.boolean(),
        fc.string({ unit: 'grapheme' }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (state, expected, seq, status, nonDeterministic, versionSkew, workflowId, triggerTime) => {
          const input = data({
            state,
            expected,
            expectedHead: expected.length,
            seq,
            status,
            nonDeterministic,
            versionSkew,
            workflowId,
            triggerTime,
          });
          const bytes = encodeInstanceSnapshot(input, MIXED);
          for (const view of [bytes, misaligned(bytes, 2)]) {
            const back = decodeInstanceSnapshot(view, MIXED);
            expect(back).toEqual({ ...input, state: expectedState(state) });
            if (typeof state.total === 'number') expect(Object.is(back.state.total, state.total)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the state comes back as a fresh object with every field in column order (the definition's hidden class)", () => {
    const back = decodeInstanceSnapshot(encodeInstanceSnapshot(data(), MIXED), MIXED);
    expect(Object.keys(back.state)).toEqual(['total', 'items', 'status', 'shipped', 'note']);
    expect(back.state).toEqual(data().state);
    expect(back.expected).toEqual(data().expected);
  });

  it('an i32 field keeps what the handler left (1.5 stays 1.5; the vector truncates, the state does not)', () => {
    const back = decodeInstanceSnapshot(encodeInstanceSnapshot(data({ state: { ...data().state, items: 1.5 } }), MIXED), MIXED);
    expect(back.state.items).toBe(1.5);
  });

  it('undefined command values come back as null, like the engine defaults them', () => {
    const back = decodeInstanceSnapshot(
      encodeInstanceSnapshot(data({ expected: [{ kind: 'complete', result: undefined }], expectedHead: 0 }), MIXED),
      MIXED,
    );
    expect(back.expected).toEqual([{ kind: 'complete', result: null }]);
  });

  it('reads through the generated accessors as the schema says', () => {
    const root = InstanceSnapshot.getRootAsInstanceSnapshot(new ByteBuffer(encodeInstanceSnapshot(data(), MIXED)));
    expect([root.workflowId(), root.seq(), root.valuesLength(), root.stringsLength(), root.presenceLength()]).toEqual([
      'order-1',
      4,
      5,
      5,
      1,
    ]);
    expect(root.strings(4)).toBe('hello');
    expect(root.values(2)).toBe(1);
    expect(root.presence(0)).toBe(0b11111);
    expect(root.expected(0)!.name()).toBe('ship');
  });

  it('a writer reuses its builder; a schema lookup picks the workflow type', () => {
    const writer = new InstanceSnapshotWriter();
    const first = writer.encode(data(), MIXED).slice();
    const second = writer.encode(data({ workflowId: 'b' }), MIXED);
    const lookup = (type: string) => (type === 'test' ? MIXED : undefined);
    expect(decodeInstanceSnapshot(first, lookup).workflowId).toBe('order-1');
    expect(decodeInstanceSnapshot(second, lookup).workflowId).toBe('b');
  });
});

describe('instance snapshot: refused', () => {
  it('encoding: another workflow, a bad seq or version, an expectedHead past the commands, a BigInt input', () => {
    expect(() => encodeInstanceSnapshot(data({ workflowType: 'other' }), MIXED)).toThrow(SchemaMismatchError);
    expect(() => encodeInstanceSnapshot(data({ seq: -1 }), MIXED)).toThrow(NotEncodableError);
    expect(() => encodeInstanceSnapshot(data({ seq: 1.5 }), MIXED)).toThrow(NotEncodableError);
    expect(() => encodeInstanceSnapshot(data({ version: 2 ** 32 }), MIXED)).toThrow(NotEncodableError);
    expect(() => encodeInstanceSnapshot(data({ expectedHead: 3 }), MIXED)).toThrow(NotEncodableError);
    expect(() =>
      encodeInstanceSnapshot(data({ expected: [{ kind: 'call', name: 'x', input: 1n }], expectedHead: 0 }), MIXED),
    ).toThrow(NotEncodableError);
  });

  it('decoding: an unknown workflow type', () => {
    const bytes = encodeInstanceSnapshot(data(), MIXED);
    expect(() => decodeInstanceSnapshot(bytes, schemaOf(MIXED.state, 'other'))).toThrow(SchemaMismatchError);
    expect(() => decodeInstanceSnapshot(bytes, () => undefined)).toThrow(SchemaMismatchError);
  });

  it('every truncation and flipped bit: a SerializationError or a self-consistent snapshot', () => {
    const bytes = encodeInstanceSnapshot(data(), MIXED);
    for (let n = 0; n < bytes.length; n++) {
      // Cutting only trailing alignment padding leaves a valid buffer: it must then read the same.
      try {
        expect(decodeInstanceSnapshot(bytes.subarray(0, n), MIXED), `length ${n}`).toEqual(data());
      } catch (error) {
        expect(error, `length ${n}`).toBeInstanceOf(SerializationError);
      }
    }
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const flipped = bytes.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      try {
        const back = decodeInstanceSnapshot(flipped, MIXED);
        encodeInstanceSnapshot(back, MIXED);
      } catch (error) {
        expect(error, `bit ${bit}`).toBeInstanceOf(SerializationError);
      }
    }
  });

  /** Writes an InstanceSnapshot exactly as given (well-formed, content unchecked). */
  function raw(parts: {
    values?: number[];
    strings?: string[];
    presence?: number[];
    seq?: number;
    head?: number;
    trigger?: number;
    command?: { kind: CommandKind; name?: string; json?: string; raw?: boolean; ms?: number };
  }) {
    const b = new Builder(256);
    const values = InstanceSnapshot.createValuesVector(b, Float64Array.from(parts.values ?? [1, 2, 1, 0, 0]));
    const strings = InstanceSnapshot.createStringsVector(
      b,
      (parts.strings ?? ['', '', '', '', 'x']).map((s) => b.createString(s)),
    );
    const presence = InstanceSnapshot.createPresenceVector(b, Uint8Array.from(parts.presence ?? [0b11111]));
    const commands: number[] = [];
    if (parts.command !== undefined) {
      const c = parts.command;
      const name = c.name === undefined ? 0 : b.createString(c.name);
      const value =
        c.json === undefined
          ? 0
          : Value.createValue(
              b,
              c.raw ? ValueEncoding.Raw : ValueEncoding.Json,
              Value.createDataVector(b, new TextEncoder().encode(c.json)),
            );
      Command.startCommand(b);
      Command.addKind(b, c.kind);
      if (name !== 0) Command.addName(b, name);
      if (value !== 0) Command.addValue(b, value);
      if (c.ms !== undefined) Command.addMs(b, c.ms);
      commands.push(Command.endCommand(b));
    }
    const expected = InstanceSnapshot.createExpectedVector(b, commands);
    const id = b.createString('order-1');
    const type = b.createString('test');
    const fp = b.createString('fp-1');
    InstanceSnapshot.startInstanceSnapshot(b);
    InstanceSnapshot.addSchemaVersion(b, SCHEMA_VERSION);
    InstanceSnapshot.addWorkflowId(b, id);
    InstanceSnapshot.addWorkflowType(b, type);
    InstanceSnapshot.addStartedFingerprint(b, fp);
    InstanceSnapshot.addSeq(b, parts.seq ?? 3);
    InstanceSnapshot.addValues(b, values);
    InstanceSnapshot.addStrings(b, strings);
    InstanceSnapshot.addPresence(b, presence);
    InstanceSnapshot.addExpected(b, expected);
    InstanceSnapshot.addExpectedHead(b, parts.head ?? 0);
    InstanceSnapshot.addTriggerTime(b, parts.trigger ?? 0);
    InstanceSnapshot.finishInstanceSnapshotBuffer(b, InstanceSnapshot.endInstanceSnapshot(b));
    return b.asUint8Array().slice();
  }

  it('a hand-written valid raw snapshot decodes (the spoiled ones below fail for their one reason)', () => {
    const back = decodeInstanceSnapshot(raw({ command: { kind: CommandKind.Call, name: 'ship', json: '{"a":1}' } }), MIXED);
    expect(back.state).toEqual({ total: 1, items: 2, status: 'paid', shipped: false, note: 'x' });
    expect(back.expected).toEqual([{ kind: 'call', name: 'ship', input: { a: 1 } }]);
  });

  const spoiled: Record<string, Parameters<typeof raw>[0]> = {
    'one value too few': { values: [1, 2, 1, 0] },
    'one string too many': { strings: ['', '', '', '', 'x', ''] },
    'two presence bytes for five fields': { presence: [0b11111, 0] },
    'a presence bit past the fields': { presence: [0b111111] },
    'a bool holding 2': { values: [1, 2, 1, 2, 0] },
    'an enum index out of range': { values: [1, 2, 3, 0, 0] },
    'a fractional enum index': { values: [1, 2, 0.5, 0, 0] },
    'a string on an f64 field': { strings: ['x', '', '', '', 'x'] },
    'a string on an absent str field': { presence: [0b01111] },
    'a negative seq': { seq: -1 },
    'a fractional seq': { seq: 2.5 },
    'expected_head past the commands': { head: 1 },
    'an infinite trigger time': { trigger: Number.POSITIVE_INFINITY },
    'a call without a name': { command: { kind: CommandKind.Call, json: '1' } },
    'a sleep without a name': { command: { kind: CommandKind.Sleep, ms: 5 } },
    'a negative sleep': { command: { kind: CommandKind.Sleep, name: 't', ms: -5 } },
    'JSON that does not parse': { command: { kind: CommandKind.Complete, json: '{"a":' } },
    'a raw value on a command': { command: { kind: CommandKind.Complete, json: '1', raw: true } },
  };
  for (const [what, parts] of Object.entries(spoiled)) {
    it(`${what}: CorruptBufferError`, () => {
      expect(() => decodeInstanceSnapshot(raw(parts), MIXED)).toThrow(CorruptBufferError);
    });
  }
});
