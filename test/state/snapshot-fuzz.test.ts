/**
 * Truncated, mutated and extended matrix snapshots, deltas and instance snapshots, fed to their
 * decoders: each ends in content a correct decoder could have produced, or a SerializationError.
 * (Contract and damage kinds: test/support/fuzz-decoder.ts.)
 */
import { describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../../ts/engine/checkpoint-format.js';
import type { MatrixDelta } from '../../ts/state/delta.js';
import { decodeDelta, encodeDelta } from '../../ts/state/delta-codec.js';
import { DeltaTracker } from '../../ts/state/delta-tracker.js';
import {
  decodeInstanceSnapshot,
  encodeInstanceSnapshot,
  type InstanceSnapshotData,
} from '../../ts/state/instance-snapshot-codec.js';
import { decodeMatrixSnapshot, encodeMatrixSnapshot } from '../../ts/state/matrix-snapshot-codec.js';
import { StateMatrix } from '../../ts/state/state-matrix.js';
import { fuzzDecoder } from '../support/fuzz-decoder.js';
import { filledMatrix, fromWords, MIXED, NARROW, WIDE } from './snapshot-fixtures.js';

/** What a matrix snapshot decodes to, as plain data (typed arrays compared bit for bit). */
interface SnapshotContent {
  readonly rows: number;
  readonly values: Float64Array;
  readonly seqs: Float64Array;
  readonly ids: string[];
  readonly fingerprint: string;
  readonly version: number;
}

function readSnapshot(bytes: Uint8Array): SnapshotContent {
  const { matrix, rowIds, fingerprint, version } = decodeMatrixSnapshot(bytes, MIXED);
  return {
    rows: matrix.rowCount,
    values: matrix.data.slice(0, matrix.rowCount * matrix.layout.stride),
    seqs: matrix.seqs.slice(0, matrix.rowCount),
    ids: Array.from({ length: rowIds.size }, (_, r) => rowIds.idOf(r)),
    fingerprint,
    version,
  };
}

function writeSnapshot(content: SnapshotContent): Uint8Array {
  const matrix = new StateMatrix(MIXED.layout);
  matrix.loadRows(content.rows, content.values, content.seqs);
  const schema = { ...MIXED, fingerprint: content.fingerprint, version: content.version };
  return encodeMatrixSnapshot(matrix, { size: content.ids.length, idOf: (r) => content.ids[r]! }, schema);
}

const PAYLOAD_NAN = fromWords(99, 0x7ff8_0000);

describe('fuzz: matrix snapshots', () => {
  it('damaged snapshots decode to content a round trip keeps, or throw a SerializationError', () => {
    const samples = [
      filledMatrix(MIXED, [], [], []),
      filledMatrix(MIXED, ['a'], [1.5, -0, PAYLOAD_NAN, 1, 12], [3]),
      filledMatrix(MIXED, ['order-1', 'ördér-2', '', '😀'], [1, 2, Number.NaN, 0, 5, -7.25], [1, 2, 3, 4]),
    ].map(({ matrix, index }) => encodeMatrixSnapshot(matrix, index, MIXED));
    const report = fuzzDecoder({ samples, decode: readSnapshot, encode: writeSnapshot, mutations: 4000, insertions: 800 });
    expect(report.refused['CORRUPT_BUFFER']).toBeGreaterThan(0);
    expect(report.decoded).toBeGreaterThan(0);
  });
});

describe('fuzz: deltas', () => {
  it('damaged deltas decode to a self-consistent delta a round trip keeps, or throw a SerializationError', () => {
    const samples: Uint8Array[] = [];
    for (const schema of [MIXED, WIDE, NARROW]) {
      const { matrix, index } = filledMatrix(schema, ['a', 'b', 'c'], [1, 2, 3], [1]);
      const tracker = new DeltaTracker(matrix, index, schema);
      tracker.mark();
      matrix.set(1, 0, PAYLOAD_NAN);
      matrix.setSeq(1, 9);
      index.rowFor('dé');
      matrix.ensureRows(4);
      matrix.set(3, 0, -0);
      matrix.setSeq(3, 1);
      samples.push(encodeDelta(tracker.take()));
    }
    const report = fuzzDecoder<MatrixDelta>({
      samples,
      decode: (b) => decodeDelta(b),
      encode: encodeDelta,
      mutations: 4000,
      insertions: 800,
    });
    expect(report.refused['CORRUPT_BUFFER']).toBeGreaterThan(0);
  });
});

describe('fuzz: instance snapshots', () => {
  const base: InstanceSnapshotData = {
    workflowId: 'order-7',
    workflowType: 'test',
    version: 3,
    startedFingerprint: 'fp-1',
    seq: 12,
    status: 'running',
    state: { total: 10.5, items: 2, status: 'shipped', shipped: true, note: 'fragile ✓' },
    expected: [
      { kind: 'call', name: 'ship', input: { express: false } },
      { kind: 'sleep', name: 'dispatch', ms: 3_600_000 },
      { kind: 'complete', result: [1, 'two', null] },
      { kind: 'fail', reason: 'out of stock' },
    ],
    expectedHead: 2,
    triggerTime: 1234,
    nonDeterministic: true,
    versionSkew: false,
  };

  it('damaged snapshots decode to content a round trip keeps, or throw a SerializationError', () => {
    const samples = [
      base,
      {
        ...base,
        state: { total: Number.NaN, items: undefined, status: 'new', shipped: false, note: '' },
        expected: [],
        expectedHead: 0,
      },
    ].map((data) => encodeInstanceSnapshot(data, MIXED));
    const report = fuzzDecoder<InstanceSnapshotData>({
      samples,
      decode: (b) => decodeInstanceSnapshot(b, MIXED),
      encode: (data) => encodeInstanceSnapshot(data, MIXED),
      mutations: 4000,
      insertions: 800,
    });
    expect(report.refused['CORRUPT_BUFFER']).toBeGreaterThan(0);
  });
});

describe('fuzz: checkpoint containers', () => {
  it('a damaged container is read as some frame list or refused with a SerializationError', () => {
    const { matrix, index } = filledMatrix(MIXED, ['a', 'b'], [1, 2], [1, 2]);
    const sample = writeCheckpoint({
      kind: 'full',
      position: 42,
      number: 0,
      frames: [
        { type: 'matrix-snapshot', bytes: encodeMatrixSnapshot(matrix, index, MIXED) },
        { type: 'instance-snapshot', bytes: new Uint8Array([1, 2, 3]) },
      ],
    });
    fuzzDecoder({
      samples: [sample],
      decode: (bytes) => {
        const contents = readCheckpoint(bytes);
        return { ...contents, frames: contents.frames.map((f) => ({ type: f.type, bytes: f.bytes.slice() })) };
      },
      encode: writeCheckpoint,
      mutations: 3000,
      insertions: 600,
    });
  });
});
