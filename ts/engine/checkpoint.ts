/**
 * Mirror checkpoints: what a mirror needs to restart at a log position without replaying the log
 * from event 1 (the container format is in checkpoint-format.ts).
 *
 * - A full checkpoint holds, per fleet, the mirror matrix as a MatrixSnapshot (row ids included),
 *   and every mirror instance as an InstanceSnapshot (state, seq, status, commands awaiting
 *   confirmation, trigger time, findings).
 * - An incremental checkpoint holds what changed since the previous one: per fleet a Delta of the
 *   mirror matrix (every field of each row whose seq moved; the instance snapshot carries the
 *   state anyway, so diffing fields would save little and cost a copy of the matrix) and the
 *   instance snapshots of those rows. Its delta's `fromSeqs` tie it to its predecessor: a lost or
 *   reordered increment is refused at restore, not silently applied.
 *
 * Restoring loads the matrices and row indexes into fresh fleets, then hands back the instance
 * snapshots for the engine to rebuild its instances from; the caller then feeds the events after
 * `position` (already applied events are ignored by seq, so reading from a little earlier is safe).
 */
import { Encoding } from 'flatbuffers';
import { MatrixSnapshot } from '../generated/wfmirror/fb/matrix-snapshot.js';
import { CorruptBufferError, SchemaMismatchError } from '../serialization/errors.js';
import { verifyRoot } from '../serialization/verify.js';
import type { MatrixDelta } from '../state/delta.js';
import { applyDelta } from '../state/delta-apply.js';
import { decodeDelta, encodeDelta } from '../state/delta-codec.js';
import { RowsReleasedError } from '../state/delta-errors.js';
import { decodeInstanceSnapshot, type InstanceSnapshotData, InstanceSnapshotWriter } from '../state/instance-snapshot-codec.js';
import { decodeMatrixSnapshot, MatrixSnapshotWriter } from '../state/matrix-snapshot-codec.js';
import { utf8Text } from '../state/matrix-snapshot-vectors.js';
import { CheckpointOrderError, RestoreTargetError } from './checkpoint-errors.js';
import { type CheckpointFrame, CheckpointWriter, frameSize, readCheckpoint } from './checkpoint-format.js';
import { type Fleet, FleetDeltas, type FleetRegistry } from './fleet.js';
import type { MirrorInstance } from './mirror-engine.js';

/** Bytes an instance frame usually takes (a snapshot of a small state with a command or two), to size a checkpoint up front. */
const INSTANCE_FRAME_GUESS = 512;

/** What the checkpointer reads from a mirror. */
export interface MirrorCheckpointSource {
  readonly fleets: FleetRegistry;
  /** Log position of the last event the mirror was given. */
  readonly position: number;
  instance(workflowId: string): MirrorInstance | undefined;
  allInstances(): Iterable<MirrorInstance>;
}

/**
 * Writes a mirror's checkpoints and remembers what the last one reflected, so that the next can be
 * incremental. Keeps one snapshot writer per fleet (their buffers are reused between checkpoints).
 */
export class MirrorCheckpointer {
  readonly #writers = new Map<Fleet, MatrixSnapshotWriter>();
  readonly #instances = new InstanceSnapshotWriter();
  /** Seq marks of the mirror matrices at the last checkpoint; undefined before the first full one. */
  #increments: FleetDeltas | undefined;
  #number = 0;

  /** A full checkpoint; increments after it build on it. */
  full(source: MirrorCheckpointSource): Uint8Array {
    const snapshots: Uint8Array[] = [];
    let size = 64;
    for (const fleet of source.fleets.all()) {
      let writer = this.#writers.get(fleet);
      if (writer === undefined) {
        writer = new MatrixSnapshotWriter();
        this.#writers.set(fleet, writer);
      }
      // A view of the writer's buffer: valid until its next encode, which is the next checkpoint.
      const bytes = writer.encode(fleet.mirror, fleet.index, fleet.schema);
      snapshots.push(bytes);
      size += frameSize(bytes.length) + fleet.index.size * INSTANCE_FRAME_GUESS;
    }
    const out = new CheckpointWriter(size);
    for (const bytes of snapshots) out.add('matrix-snapshot', bytes);
    for (const instance of source.allInstances()) out.add('instance-snapshot', this.#instanceBytes(instance));
    const bytes = out.finish('full', source.position, 0);
    this.#markAll(source.fleets, 0);
    return bytes;
  }

  /**
   * What changed since the last checkpoint (full or incremental).
   * @throws CheckpointOrderError when this mirror has neither taken a full checkpoint nor been restored from one.
   */
  incremental(source: MirrorCheckpointSource): Uint8Array {
    const increments = this.#increments;
    if (increments === undefined) {
      throw new CheckpointOrderError(
        'an incremental checkpoint needs a full one first: call checkpoint() without { incremental: true }',
      );
    }
    let deltas: MatrixDelta[];
    try {
      deltas = increments.take();
    } catch (error) {
      if (!(error instanceof RowsReleasedError)) throw error;
      throw new CheckpointOrderError(
        'instances were evicted (their rows given back or reused) since the last checkpoint, which an increment cannot describe: take a full checkpoint',
        { cause: error },
      );
    }
    const out = new CheckpointWriter();
    for (const delta of deltas) {
      out.add('delta', encodeDelta(delta));
      const fleet = source.fleets.get(delta.workflowType);
      for (let i = 0; i < delta.rows.length; i++) {
        const instance = source.instance(fleet.index.idOf(delta.rows[i]!));
        if (instance !== undefined) out.add('instance-snapshot', this.#instanceBytes(instance));
      }
    }
    this.#number++;
    return out.finish('incremental', source.position, this.#number);
  }

  /** Continues the chain of a restored mirror: the next increment follows checkpoint `number`. */
  resume(fleets: FleetRegistry, number: number): void {
    this.#markAll(fleets, number);
  }

  #markAll(fleets: FleetRegistry, number: number): void {
    this.#increments = new FleetDeltas(fleets, 'mirror', { diffFields: false });
    this.#increments.mark();
    this.#number = number;
  }

  /** The instance's snapshot: a view of the instance writer's buffer, valid until its next encode. */
  #instanceBytes(instance: MirrorInstance): Uint8Array {
    return this.#instances.encode(
      {
        workflowId: instance.workflowId,
        workflowType: instance.compiled.name,
        version: instance.compiled.definition.version,
        startedFingerprint: instance.startedFingerprint,
        seq: instance.seq,
        status: instance.status,
        state: instance.state,
        expected: instance.expected,
        expectedHead: instance.expectedHead,
        triggerTime: instance.triggerTime,
        nonDeterministic: instance.nonDeterministic,
        versionSkew: instance.versionSkew,
      },
      instance.fleet.schema,
    );
  }
}

/** What {@link restoreCheckpoints} loaded, for the engine to rebuild its instances from. */
export interface RestoredCheckpoints {
  /** Log position the last checkpoint reflects: feed the events after it. */
  readonly position: number;
  /** Number of the last checkpoint (0: the full one alone). */
  readonly number: number;
  /** The newest snapshot of every instance, by workflow id. */
  readonly instances: ReadonlyMap<string, InstanceSnapshotData>;
}

/**
 * Loads a full checkpoint and the increments after it (in order) into `fleets`: each fleet's
 * mirror matrix and row index, with the primary matrix given the same rows (missing values,
 * seq 0). Checkpoints restore only into the code that wrote them (same fingerprints).
 * @throws CheckpointOrderError when the first checkpoint is not full or increments are not 1, 2, 3...
 * @throws RestoreTargetError when a fleet already holds rows.
 * @throws SerializationError subclasses for bytes that are no valid checkpoint, a workflow type
 *   `fleets` lacks, another fingerprint (SchemaMismatchError), or instances and matrix rows that
 *   disagree (CorruptBufferError).
 * @throws DeltaBaseMismatchError when an increment does not follow the state before it.
 * On a throw the fleets hold a partial restore: build new ones before trying again.
 */
export function restoreCheckpoints(checkpoints: readonly Uint8Array[], fleets: FleetRegistry): RestoredCheckpoints {
  if (checkpoints.length === 0) throw new CheckpointOrderError('restore needs at least a full checkpoint');
  for (const fleet of fleets.all()) {
    if (fleet.index.size > 0 || fleet.mirror.rowCount > 0 || fleet.primary.rowCount > 0) {
      throw new RestoreTargetError(`fleet "${fleet.compiled.name}" already holds rows: restore into new fleets`);
    }
  }
  const instances = new Map<string, InstanceSnapshotData>();
  let position = 0;
  let number = 0;
  checkpoints.forEach((bytes, i) => {
    const contents = readCheckpoint(bytes);
    if (contents.number !== i) {
      throw new CheckpointOrderError(
        i === 0
          ? `restore starts from a full checkpoint, got increment ${contents.number}`
          : `checkpoint ${i} of the restore is ${contents.kind === 'full' ? 'a full one' : `increment ${contents.number}`}, expected increment ${i}`,
      );
    }
    for (const frame of contents.frames) loadFrame(frame, fleets, instances);
    position = Math.max(position, contents.position);
    number = contents.number;
  });
  for (const fleet of fleets.all()) fleet.primary.ensureRows(fleet.index.size);
  checkInstancesMatchRows(fleets, instances);
  return { position, number, instances };
}

function loadFrame(frame: CheckpointFrame, fleets: FleetRegistry, instances: Map<string, InstanceSnapshotData>): void {
  switch (frame.type) {
    case 'matrix-snapshot': {
      const fleet = fleetOf(fleets, snapshotWorkflowType(frame.bytes));
      if (fleet.index.size > 0) throw new CorruptBufferError(`two matrix snapshots of workflow "${fleet.compiled.name}"`, 0);
      const decoded = decodeMatrixSnapshot(frame.bytes, fleet.schema, { into: fleet.mirror, fingerprints: 'reject' });
      decoded.rowIds.fillRowIndex(fleet.index);
      return;
    }
    case 'delta': {
      const delta = decodeDelta(frame.bytes);
      const fleet = fleetOf(fleets, delta.workflowType);
      applyDelta(fleet.mirror, fleet.index, delta, fleet.schema);
      return;
    }
    case 'instance-snapshot': {
      const data = decodeInstanceSnapshot(frame.bytes, (type) => fleets.find(type)?.schema);
      instances.set(data.workflowId, data);
      return;
    }
  }
}

/** The workflow type a MatrixSnapshot is of (verified first), to pick the schema to decode it with. */
function snapshotWorkflowType(bytes: Uint8Array): string {
  const snapshot = MatrixSnapshot.getRootAsMatrixSnapshot(verifyRoot(bytes, 'MatrixSnapshot'));
  return utf8Text(snapshot.layout()!.workflowType(Encoding.UTF8_BYTES));
}

function fleetOf(fleets: FleetRegistry, workflowType: string): Fleet {
  const fleet = fleets.find(workflowType);
  if (fleet === undefined) {
    throw new SchemaMismatchError(
      `the checkpoint holds workflow "${workflowType}", which this mirror does not run (${fleets.names().join(', ')})`,
    );
  }
  return fleet;
}

/**
 * Every instance sits on a row of its fleet at its own seq, and every mirror row written (seq > 0)
 * has its instance: the matrices and the instances of a checkpoint tell the same story.
 */
function checkInstancesMatchRows(fleets: FleetRegistry, instances: ReadonlyMap<string, InstanceSnapshotData>): void {
  const perFleet = new Map<Fleet, number>();
  for (const data of instances.values()) {
    const fleet = fleetOf(fleets, data.workflowType);
    const row = fleet.index.get(data.workflowId);
    const rowSeq = row === undefined ? undefined : fleet.mirror.seqOf(row);
    if (rowSeq !== data.seq) {
      throw new CorruptBufferError(
        `checkpoint: instance "${data.workflowId}" is at seq ${data.seq}, its matrix row ${row === undefined ? 'is missing' : `is at seq ${rowSeq}`}`,
        0,
      );
    }
    perFleet.set(fleet, (perFleet.get(fleet) ?? 0) + 1);
  }
  for (const fleet of fleets.all()) {
    const seqs = fleet.mirror.seqs;
    let written = 0;
    for (let r = 0; r < fleet.mirror.rowCount; r++) if (seqs[r]! > 0) written++;
    const found = perFleet.get(fleet) ?? 0;
    if (written !== found) {
      throw new CorruptBufferError(
        `checkpoint: fleet "${fleet.compiled.name}" has ${written} rows written but ${found} instances`,
        0,
      );
    }
  }
}
