/**
 * A mirror restarted from a checkpoint (plus increments, or plus the rest of the log) is the mirror
 * that replayed everything: bit-identical state matrix, same instances, and it goes on finding
 * non-determinism in instances that were mid-flight when the checkpoint was taken.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { order, simulatedOrderActivities, surchargedOrder } from '../../examples/order.js';
import { demoId, demoInput, getsDiscount } from '../../ts/cli/demo-faults.js';
import { CheckpointOrderError, RestoreTargetError } from '../../ts/engine/checkpoint-errors.js';
import { readCheckpoint, writeCheckpoint } from '../../ts/engine/checkpoint-format.js';
import type { MirrorEngine as MirrorEngineType } from '../../ts/engine/mirror-engine.js';
import type { HistoryEvent, NonDeterminismFinding } from '../../ts/index.js';
import {
  applyDelta,
  DeltaBaseMismatchError,
  decodeDelta,
  decodeMatrixSnapshot,
  encodeDelta,
  encodeMatrixSnapshot,
  FleetRegistry,
  MemoryEventLog,
  MirrorEngine,
  VirtualClock,
  WorkflowMirror,
} from '../../ts/index.js';
import { SchemaMismatchError, SerializationError } from '../../ts/serialization/errors.js';
import { enginePair, withChanges } from '../support/engine-harness.js';

const INSTANCES = 3_000;

/** The history of INSTANCES orders, 200 in flight at a time (so instances interleave), in log order. */
async function recordFleet(): Promise<HistoryEvent[]> {
  const log = new MemoryEventLog();
  const pair = enginePair({ workflows: [order], activities: simulatedOrderActivities(), log, tee: false });
  let next = 0;
  const worker = async () => {
    while (next < INSTANCES) {
      const i = next++;
      await pair.primary.start('order', demoId(i), demoInput(i));
      if (getsDiscount(i)) await pair.primary.signal(demoId(i), 'discount', { amount: 2.5 });
      // Let timers of earlier orders fire now and then, so dispatch and shipping interleave with starts.
      if (i % 50 === 0) pair.clock.fireNext();
    }
  };
  await Promise.all(Array.from({ length: 200 }, worker));
  await pair.settle();
  return log.readRange(0, Number.POSITIVE_INFINITY);
}

function newMirror(findings: NonDeterminismFinding[] = []) {
  const fleets = new FleetRegistry([order]);
  return { fleets, mirror: new MirrorEngine({ fleets, onNonDeterminism: (f) => findings.push(f) }) };
}

function restore(checkpoints: Uint8Array | readonly Uint8Array[], findings: NonDeterminismFinding[] = []) {
  const fleets = new FleetRegistry([order]);
  return { fleets, mirror: MirrorEngine.restore(checkpoints, { fleets, onNonDeterminism: (f) => findings.push(f) }) };
}

/** The mirror matrix and row ids of the order fleet, as bytes and strings. */
function mirrorImage(fleets: FleetRegistry) {
  const fleet = fleets.get('order');
  const m = fleet.mirror;
  const stride = m.layout.stride;
  return {
    rows: m.rowCount,
    values: Buffer.from(m.data.buffer, m.data.byteOffset, m.rowCount * stride * 8).toString('base64'),
    seqs: Buffer.from(m.seqs.buffer, m.seqs.byteOffset, m.rowCount * 8).toString('base64'),
    ids: Array.from({ length: fleet.index.size }, (_, r) => fleet.index.idOf(r)),
    primaryRows: fleet.primary.rowCount,
  };
}

/** What an instance is, minus its engine wiring. */
function instanceImage(mirror: MirrorEngineType) {
  return [...mirror.allInstances()].map((i) => ({
    workflowId: i.workflowId,
    row: i.row,
    state: i.state,
    seq: i.seq,
    status: i.status,
    startedFingerprint: i.startedFingerprint,
    expected: i.expected.slice(i.expectedHead),
    triggerTime: i.triggerTime,
    nonDeterministic: i.nonDeterministic,
    versionSkew: i.versionSkew,
  }));
}

let history: HistoryEvent[];
let reference: ReturnType<typeof newMirror>;
/** Cut points: right after a WorkflowStarted (its commands come after the cut), about 35% and 65% in. */
let cut1: number;
let cut2: number;
/** The instance started right before cut1: mid-flight with commands awaiting confirmation. */
let startedAtCut: string;
/** A mirror fed history[0, cut1), checkpointed full, then [cut1, cut2), incremental, then the rest, incremental. */
let checkpoints: Uint8Array[];

beforeAll(async () => {
  history = await recordFleet();
  reference = newMirror();
  reference.mirror.apply(history);
  const startAfter = (fraction: number) => {
    let i = Math.floor(history.length * fraction);
    while (history[i]!.type !== 'WorkflowStarted') i++;
    return i + 1;
  };
  cut1 = startAfter(0.35);
  cut2 = startAfter(0.65);
  startedAtCut = history[cut1 - 1]!.workflowId;
  const { mirror } = newMirror();
  mirror.apply(history.slice(0, cut1));
  checkpoints = [mirror.checkpoint()];
  mirror.apply(history.slice(cut1, cut2));
  checkpoints.push(mirror.checkpoint({ incremental: true }));
  mirror.apply(history.slice(cut2));
  checkpoints.push(mirror.checkpoint({ incremental: true }));
});

describe('mirror checkpoint: restart without replaying the log', () => {
  it('the workload has thousands of instances, many mid-flight at the cut', () => {
    expect(reference.mirror.stats.applied).toBe(history.length);
    expect([...reference.mirror.allInstances()].length).toBe(INSTANCES);
    const { mirror } = newMirror();
    mirror.apply(history.slice(0, cut1));
    const running = [...mirror.allInstances()].filter((i) => i.status === 'running');
    expect(running.length).toBeGreaterThan(100);
    expect(mirror.instance(startedAtCut)!.expected.length).toBe(2);
  });

  it('full checkpoint + the events after its position = a full replay, bit for bit', () => {
    const { fleets, mirror } = restore(checkpoints[0]!);
    expect(mirror.position).toBe(history[cut1 - 1]!.pos);
    expect(mirror.instance(startedAtCut)!.expected.map((c) => c.kind)).toEqual(['call', 'call']);
    const rest = history.filter((e) => e.pos > mirror.position);
    expect(rest.length).toBe(history.length - cut1);
    mirror.apply(rest);
    expect(mirror.stats.applied).toBe(rest.length);
    expect(mirror.stats.unapplied).toBe(0);
    expect(mirrorImage(fleets)).toEqual(mirrorImage(reference.fleets));
    expect(instanceImage(mirror)).toEqual(instanceImage(reference.mirror));
    // The strongest form: the restored mirror writes the very bytes the reference does.
    expect(Buffer.compare(mirror.checkpoint(), reference.mirror.checkpoint())).toBe(0);
  });

  it('full checkpoint + increments = a full replay with no event replayed at all', () => {
    const { fleets, mirror } = restore(checkpoints);
    expect(mirror.position).toBe(history.at(-1)!.pos);
    expect(mirror.stats.applied).toBe(0);
    expect(mirrorImage(fleets)).toEqual(mirrorImage(reference.fleets));
    expect(instanceImage(mirror)).toEqual(instanceImage(reference.mirror));
  });

  it('full checkpoint + one increment + the events after it', () => {
    const { fleets, mirror } = restore(checkpoints.slice(0, 2));
    expect(mirror.position).toBe(history[cut2 - 1]!.pos);
    mirror.apply(history.filter((e) => e.pos > mirror.position));
    expect(mirrorImage(fleets)).toEqual(mirrorImage(reference.fleets));
    expect(instanceImage(mirror)).toEqual(instanceImage(reference.mirror));
  });

  it('re-feeding events the checkpoint already reflects changes nothing (restart from an earlier position is safe)', () => {
    const { fleets, mirror } = restore(checkpoints[0]!);
    mirror.apply(history.slice(cut1 - 500));
    expect(mirror.stats.duplicatesIgnored).toBe(500);
    expect(mirrorImage(fleets)).toEqual(mirrorImage(reference.fleets));
  });

  it('a restored mirror goes on with increments of its own chain', () => {
    const { mirror } = restore(checkpoints.slice(0, 2));
    mirror.apply(history.filter((e) => e.pos > mirror.position));
    const next = mirror.checkpoint({ incremental: true });
    expect(readCheckpoint(next).number).toBe(2);
    const { fleets } = restore([checkpoints[0]!, checkpoints[1]!, next]);
    expect(mirrorImage(fleets)).toEqual(mirrorImage(reference.fleets));
  });

  it('an increment with nothing new holds no frames and restores to the same state', () => {
    const { mirror } = newMirror();
    mirror.apply(history);
    const full = mirror.checkpoint();
    const empty = mirror.checkpoint({ incremental: true });
    expect(readCheckpoint(empty).frames).toEqual([]);
    const { fleets } = restore([full, empty]);
    expect(mirrorImage(fleets)).toEqual(mirrorImage(reference.fleets));
  });
});

describe('mirror checkpoint: non-determinism is still found after a restart', () => {
  /** The history with changes after the cut (and one before it), and who each change should flag. */
  function mutated() {
    const events = [...history];
    const flagged = new Set<string>();
    // 1. The instance started right before the cut: its first command event (after the cut) schedules another activity.
    const first = events.findIndex((e, i) => i >= cut1 && e.workflowId === startedAtCut && e.type === 'ActivityScheduled');
    events[first] = withChanges(events[first]!, { payload: { name: 'ship', input: { express: false } } });
    flagged.add(startedAtCut);
    // 2. Instances running at the cut (started before it) whose ship is scheduled after it: other input.
    let shipChanges = 0;
    for (let i = cut1; i < events.length && shipChanges < 5; i++) {
      const e = events[i]!;
      if (e.type !== 'ActivityScheduled' || e.payload.name !== 'ship') continue;
      const started = events.findIndex((s) => s.workflowId === e.workflowId && s.type === 'WorkflowStarted');
      if (started >= cut1 || flagged.has(e.workflowId)) continue;
      events[i] = withChanges(e, {
        payload: { name: 'ship', input: { express: !(e.payload.input as { express: boolean }).express } },
      });
      flagged.add(e.workflowId);
      shipChanges++;
    }
    // 3. A timer started after the cut by an instance started before it: another fire time.
    for (let i = cut1; i < events.length; i++) {
      const e = events[i]!;
      if (e.type !== 'TimerStarted' || flagged.has(e.workflowId)) continue;
      const started = events.findIndex((s) => s.workflowId === e.workflowId && s.type === 'WorkflowStarted');
      if (started >= cut1) continue;
      events[i] = withChanges(e, { payload: { name: e.payload.name, fireAt: e.payload.fireAt + 1 } });
      flagged.add(e.workflowId);
      break;
    }
    // 4. An instance flagged before the cut (its charge input changed) whose ship, after the cut, is changed too:
    //    found once, before the cut, and not again by the restored mirror (the flag is in the checkpoint).
    const ship = events.findIndex((e, i) => {
      if (i < cut1 || e.type !== 'ActivityScheduled' || e.payload.name !== 'ship' || flagged.has(e.workflowId)) return false;
      return (
        events.findIndex((c) => c.workflowId === e.workflowId && c.type === 'ActivityScheduled' && c.payload.name === 'charge') <
        cut1
      );
    });
    const earlyId = events[ship]!.workflowId;
    const charge = events.findIndex(
      (e) => e.workflowId === earlyId && e.type === 'ActivityScheduled' && e.payload.name === 'charge',
    );
    events[charge] = withChanges(events[charge]!, { payload: { name: 'charge', input: { amount: -1 } } });
    events[ship] = withChanges(events[ship]!, { payload: { name: 'ship', input: { express: 'maybe' } } });
    return { events, flagged, earlyId };
  }

  it('the restored mirror reports exactly what a full replay of the changed history reports', () => {
    const { events, flagged, earlyId } = mutated();
    const expected: NonDeterminismFinding[] = [];
    newMirror(expected).mirror.apply(events);
    const before: NonDeterminismFinding[] = [];
    const prefix = newMirror(before);
    prefix.mirror.apply(events.slice(0, cut1));
    expect(before.map((f) => f.workflowId)).toEqual([earlyId]);

    const found: NonDeterminismFinding[] = [];
    const { mirror } = restore(prefix.mirror.checkpoint(), found);
    expect(mirror.instance(earlyId)!.nonDeterministic).toBe(true);
    mirror.apply(events.filter((e) => e.pos > mirror.position));
    const brief = (f: NonDeterminismFinding) => ({ workflowId: f.workflowId, seq: f.seq, detail: f.detail });
    expect(found.map(brief)).toEqual(expected.filter((f) => f.workflowId !== earlyId).map(brief));
    expect(expected.filter((f) => f.workflowId === earlyId)).toHaveLength(1);
    expect(found).toHaveLength(flagged.size);
    expect(flagged.size).toBe(7);
    expect(new Set(found.map((f) => f.workflowId))).toEqual(flagged);
    expect(found.find((f) => f.workflowId === startedAtCut)!.detail).toContain('"ship"');
  });
});

describe('mirror checkpoint: refused', () => {
  it('an increment before any full checkpoint', () => {
    const { mirror } = newMirror();
    expect(() => mirror.checkpoint({ incremental: true })).toThrow(CheckpointOrderError);
  });

  it('increments without their full checkpoint, skipped or repeated', () => {
    expect(() => restore(checkpoints.slice(1))).toThrow(CheckpointOrderError);
    expect(() => restore([checkpoints[0]!, checkpoints[2]!])).toThrow(CheckpointOrderError);
    expect(() => restore([checkpoints[0]!, checkpoints[1]!, checkpoints[1]!])).toThrow(CheckpointOrderError);
    expect(() => restore([])).toThrow(CheckpointOrderError);
  });

  it('an increment of another chain: its delta does not start where the state is', () => {
    const other = newMirror();
    other.mirror.apply(history.slice(0, cut1 + 7));
    other.mirror.checkpoint();
    other.mirror.apply(history.slice(cut1 + 7, cut2));
    const foreign = other.mirror.checkpoint({ incremental: true });
    expect(() => restore([checkpoints[0]!, foreign])).toThrow(DeltaBaseMismatchError);
  });

  it('fleets that already hold rows', () => {
    const { fleets, mirror } = newMirror();
    mirror.apply(history.slice(0, 10));
    expect(() => MirrorEngine.restore(checkpoints[0]!, { fleets })).toThrow(RestoreTargetError);
  });

  it('definitions other than the ones that wrote it (another fingerprint)', () => {
    const fleets = new FleetRegistry([surchargedOrder]);
    expect(() => MirrorEngine.restore(checkpoints[0]!, { fleets })).toThrow(SchemaMismatchError);
  });

  it('truncated or altered containers: a SerializationError', () => {
    const full = checkpoints[1]!;
    for (const n of [0, 4, 31, 32, 40, full.length - 8, full.length - 1]) {
      expect(() => restore([checkpoints[0]!, full.subarray(0, n)]), `length ${n}`).toThrow(SerializationError);
    }
    const longer = new Uint8Array(full.length + 8);
    longer.set(full);
    expect(() => restore([checkpoints[0]!, longer])).toThrow(SerializationError);
    const magic = full.slice();
    magic[0] = 0x58;
    expect(() => restore([checkpoints[0]!, magic])).toThrow(SerializationError);
  });

  it('instances and matrix rows that disagree (an instance frame dropped)', () => {
    const contents = readCheckpoint(checkpoints[0]!);
    const dropped = writeCheckpoint({ ...contents, frames: contents.frames.filter((_, i) => i !== 5) });
    expect(() => restore(dropped)).toThrow(/rows written but/);
  });
});

describe('engine deltas since a mark', () => {
  it('mirror: snapshot at the cut + its deltas = the matrix after a full replay, bit for bit', () => {
    const { fleets, mirror } = newMirror();
    mirror.apply(history.slice(0, cut1));
    const fleet = fleets.get('order');
    const snapshot = encodeMatrixSnapshot(fleet.mirror, fleet.index, fleet.schema);
    mirror.markDeltas();
    mirror.apply(history.slice(cut1, cut2));
    const first = mirror.takeDeltas().map(encodeDelta);
    mirror.apply(history.slice(cut2));
    const second = mirror.takeDeltas().map(encodeDelta);
    expect(first).toHaveLength(1);

    const decoded = decodeMatrixSnapshot(snapshot, fleet.schema);
    const index = decoded.rowIds.toRowIndex();
    for (const bytes of [...first, ...second]) applyDelta(decoded.matrix, index, decodeDelta(bytes, fleet.schema), fleet.schema);
    const target = reference.fleets.get('order').mirror;
    expect(decoded.matrix.rowCount).toBe(target.rowCount);
    const image = (m: typeof target) => Buffer.from(m.data.buffer, m.data.byteOffset, m.rowCount * m.layout.stride * 8);
    expect(Buffer.compare(image(decoded.matrix), image(target))).toBe(0);
    expect(Array.from(decoded.matrix.seqs.subarray(0, target.rowCount))).toEqual(
      Array.from(target.seqs.subarray(0, target.rowCount)),
    );
    expect(Array.from({ length: index.size }, (_, r) => index.idOf(r))).toEqual(
      Array.from({ length: fleet.index.size }, (_, r) => fleet.index.idOf(r)),
    );
    // A delta applied twice is refused: the rows are no longer at its from-seqs.
    expect(() => applyDelta(decoded.matrix, index, decodeDelta(second[0]!), fleet.schema)).toThrow(DeltaBaseMismatchError);
  });

  it('primary: deltas taken while it runs rebuild its matrix elsewhere', async () => {
    const pair = enginePair({ workflows: [order], activities: simulatedOrderActivities(), clock: new VirtualClock(0) });
    const fleet = pair.fleets.get('order');
    for (let i = 0; i < 50; i++) await pair.primary.start('order', demoId(i), demoInput(i));
    const snapshot = encodeMatrixSnapshot(fleet.primary, fleet.index, fleet.schema);
    pair.primary.markDeltas();
    for (let i = 50; i < 80; i++) await pair.primary.start('order', demoId(i), demoInput(i));
    const first = pair.primary.takeDeltas();
    await pair.settle();
    const second = pair.primary.takeDeltas();
    expect(pair.primary.takeDeltas()).toEqual([]);
    const copy = decodeMatrixSnapshot(snapshot, fleet.schema);
    const index = copy.rowIds.toRowIndex();
    for (const delta of [...first, ...second]) applyDelta(copy.matrix, index, decodeDelta(encodeDelta(delta)), fleet.schema);
    const rows = fleet.primary.rowCount;
    expect(copy.matrix.rowCount).toBe(rows);
    const stride = fleet.primary.layout.stride;
    expect(
      Buffer.compare(
        Buffer.from(copy.matrix.data.buffer, copy.matrix.data.byteOffset, rows * stride * 8),
        Buffer.from(fleet.primary.data.buffer, fleet.primary.data.byteOffset, rows * stride * 8),
      ),
    ).toBe(0);
  });
});

describe('WorkflowMirror.checkpoint', () => {
  it('drains, then checkpoints the mirror; a mirror restored from it plus the log tail matches', async () => {
    const log = new MemoryEventLog();
    const wm = await WorkflowMirror.open({
      workflows: [order],
      activities: simulatedOrderActivities(),
      log: { kind: 'custom', log },
      clock: new VirtualClock(0),
      anomalies: { store: false },
      accelerator: { backend: 'js' },
    });
    for (let i = 0; i < 40; i++) void wm.start('order', demoId(i), demoInput(i));
    const checkpoint = await wm.checkpoint();
    await wm.settle();
    const { fleets, mirror } = restore(checkpoint);
    mirror.apply(await log.readRange(mirror.position, Number.POSITIVE_INFINITY));
    expect(Buffer.compare(mirror.checkpoint(), await wm.checkpoint())).toBe(0);
    expect(fleets.get('order').index.size).toBe(40);
    await wm.close();
  });
});
