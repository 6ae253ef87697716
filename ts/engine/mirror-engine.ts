/**
 * The mirror: the same definitions, fed only by the duplicated event stream. It runs every
 * handler on replay and keeps its own state matrix current, but it never executes a command:
 * it holds no activity implementations and no clock. Each command its replay issues is checked
 * against the command event the history recorded; a mismatch is non-determinism.
 */

import type { HistoryEvent } from '../history/events.js';
import type { MatrixDelta } from '../state/delta.js';
import type { InstanceSnapshotData } from '../state/instance-snapshot-codec.js';
import { stringHash } from '../state/string-hash.js';
import { MirrorCheckpointer, restoreCheckpoints } from './checkpoint.js';
import type { Command } from './commands.js';
import { describeCommand } from './commands.js';
import { evictClosed } from './evict-closed.js';
import { type Fleet, FleetDeltas, type FleetRegistry } from './fleet.js';
import { HandlerContext } from './handler-context.js';
import type { InstanceRuntime } from './instance.js';
import { jsonEqual } from './json-equal.js';
import { removeAt } from './remove-at.js';
import { applyCommandEvent, isInboundEvent, runStep } from './step.js';

const NO_COMMANDS: readonly Command[] = Object.freeze([]);

/** A mirror instance. */
export interface MirrorInstance extends InstanceRuntime {
  readonly fleet: Fleet;
  /** Commands the replay issued that the history has not confirmed yet. */
  expected: readonly Command[];
  expectedHead: number;
  /** Time of the last inbound event (timer fire times derive from it). */
  triggerTime: number;
  /** Set once a non-determinism was found; the instance keeps replaying but is not reported again. */
  nonDeterministic: boolean;
  /** The history's fingerprint differs from the mirror's definition. */
  versionSkew: boolean;
  /**
   * Command events the history holds without their outcome yet: activities scheduled and not
   * completed or failed, timers started and not fired. What a promoted mirror must resume.
   * Undefined when there are none, or when unknown (`outstandingKnown` false).
   */
  outstanding: HistoryEvent[] | undefined;
  /** False for an instance restored from a checkpoint (which does not hold them): promotion reads them from the log. */
  outstandingKnown: boolean;
  /**
   * Per-instance data of the mirror's hooks (lead mode keeps its pending predictions here);
   * undefined until a hook sets it, never read by the engine, not copied by fork or checkpoints. A
   * field of the instance rather than a Map beside it: lead mode's Map of instances cost it more
   * than its predictions did.
   */
  hookSlot: unknown;
}

/** A command mismatch between replay and history. */
export interface NonDeterminismFinding {
  readonly workflowId: string;
  readonly workflowType: string;
  readonly seq: number;
  readonly detail: string;
  readonly instance: MirrorInstance;
}

/** An event the mirror could not apply: a seq gap, an unknown instance or workflow type. */
export interface UnappliedEvent {
  readonly event: HistoryEvent;
  readonly reason: 'gap' | 'unknown-instance' | 'unknown-workflow';
}

/** Options of {@link MirrorEngine}. */
export interface MirrorEngineOptions {
  readonly fleets: FleetRegistry;
  readonly guardDeterminism?: boolean;
  /**
   * Called just before an inbound event (a completion, failure, timer, signal, start) runs its
   * handler, with the state as it was before it: what lead mode judges a completion's prediction
   * from. It must not change the instance.
   */
  readonly onBeforeApply?: (instance: MirrorInstance, event: HistoryEvent, fleet: Fleet) => void;
  readonly onApplied?: (instance: MirrorInstance, event: HistoryEvent, fleet: Fleet) => void;
  readonly onNonDeterminism?: (finding: NonDeterminismFinding) => void;
  /** Events that could not be applied; a stream transport reacts by re-reading the log. */
  readonly onUnapplied?: (unapplied: UnappliedEvent) => void;
}

/** Counters of a mirror. */
export interface MirrorStats {
  applied: number;
  duplicatesIgnored: number;
  unapplied: number;
  nonDeterminism: number;
  /** Closed instances forgotten by {@link MirrorEngine.evict}. */
  evicted: number;
}

/** Options of {@link MirrorEngine.checkpoint}. */
export interface MirrorCheckpointOptions {
  /** Only what changed since this mirror's previous checkpoint (which a restore must then also get). Default false. */
  readonly incremental?: boolean;
}

/** The replay-only engine. */
export class MirrorEngine {
  readonly stats: MirrorStats = { applied: 0, duplicatesIgnored: 0, unapplied: 0, nonDeterminism: 0, evicted: 0 };
  private readonly instances = new Map<string, MirrorInstance>();
  private readonly ctx = new HandlerContext();
  private readonly guard: boolean;
  /** Highest log position (pos) among the events given to {@link apply}. */
  private lastPosition = 0;
  private checkpointer: MirrorCheckpointer | undefined;
  private deltas: FleetDeltas | undefined;

  constructor(private readonly options: MirrorEngineOptions) {
    this.guard = options.guardDeterminism ?? true;
  }

  /** The fleets this mirror replays into (their mirror matrices). */
  get fleets(): FleetRegistry {
    return this.options.fleets;
  }

  /**
   * Restarts a mirror from a full checkpoint and the increments after it (in order), without
   * replaying any history: matrices, row indexes and instances (state, pending commands, findings)
   * are as they were. Then feed it the events after {@link position} (`log.readRange(position, ...)`);
   * events it already reflects are ignored by seq. `options.fleets` must be new (no rows yet); the
   * definitions must be the ones that wrote the checkpoints (same fingerprints). See ts/engine/checkpoint.ts.
   * @throws CheckpointOrderError, RestoreTargetError, DeltaBaseMismatchError, or a SerializationError
   *   subclass for checkpoints that are not valid, not in order, or not of these definitions.
   */
  static restore(checkpoints: Uint8Array | readonly Uint8Array[], options: MirrorEngineOptions): MirrorEngine {
    const mirror = new MirrorEngine(options);
    const restored = restoreCheckpoints(checkpoints instanceof Uint8Array ? [checkpoints] : checkpoints, options.fleets);
    for (const data of restored.instances.values()) mirror.adopt(data);
    mirror.lastPosition = restored.position;
    mirror.checkpointer = new MirrorCheckpointer();
    mirror.checkpointer.resume(options.fleets, restored.number);
    return mirror;
  }

  /** Applies a batch of history events, in order. Events already applied are ignored (idempotent by seq). */
  apply(events: readonly HistoryEvent[]): void {
    let position = this.lastPosition;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      this.applyOne(event);
      if (event.pos > position) position = event.pos;
    }
    this.lastPosition = position;
  }

  /**
   * The highest log position (pos) among the events this mirror was given (0 before any): a
   * checkpoint taken now reflects the log up to it, apart from events it could not apply
   * (`onUnapplied`), which a restarted mirror finds the same way.
   */
  get position(): number {
    return this.lastPosition;
  }

  /**
   * Writes a checkpoint of this mirror (format in ts/engine/checkpoint-format.ts): full by default,
   * or `{ incremental: true }` for what changed since the previous one. Restore with
   * {@link MirrorEngine.restore}. A full checkpoint keeps 8 bytes per row (the seqs) to find what
   * the next increment must hold; nothing is added to the per-event path.
   * @throws CheckpointOrderError for an increment without a previous checkpoint.
   */
  checkpoint(options: MirrorCheckpointOptions = {}): Uint8Array {
    this.checkpointer ??= new MirrorCheckpointer();
    const source = {
      fleets: this.options.fleets,
      position: this.lastPosition,
      instance: (id: string) => this.instances.get(id),
      allInstances: () => this.instances.values(),
    };
    return options.incremental === true ? this.checkpointer.incremental(source) : this.checkpointer.full(source);
  }

  /**
   * A copy of instances `workflowIds` (default: every one) in a new engine on `fleets` (new, empty
   * fleets of the same definitions): state, seq, status, the commands replay expects, the
   * outstanding commands, each mirror row written. For what-if: the copy can be fed hypothetical
   * events while this mirror goes on untouched (no hook is carried over). Unknown ids are skipped.
   */
  fork(fleets: FleetRegistry, workflowIds?: Iterable<string>): MirrorEngine {
    const copy = new MirrorEngine({ fleets, guardDeterminism: this.guard });
    for (const id of workflowIds ?? this.instances.keys()) {
      const source = this.instances.get(id);
      if (source === undefined) continue;
      const fleet = fleets.get(source.compiled.name);
      const instance = copy.createInstance(id, fleet, source.startedFingerprint, { ...source.state });
      instance.seq = source.seq;
      instance.status = source.status;
      // Command lists are replaced, never changed in place, when replay moves on: sharing is safe.
      instance.expected = source.expected;
      instance.expectedHead = source.expectedHead;
      instance.triggerTime = source.triggerTime;
      instance.nonDeterministic = source.nonDeterministic;
      instance.versionSkew = source.versionSkew;
      instance.outstanding = source.outstanding?.slice();
      instance.outstandingKnown = source.outstandingKnown;
      fleet.mirror.writeState(instance.row, instance.state);
      fleet.mirror.setSeq(instance.row, instance.seq);
    }
    copy.lastPosition = this.lastPosition;
    return copy;
  }

  /** Marks every fleet's mirror matrix: {@link takeDeltas} then returns what changed since (a copy of the matrices is kept). */
  markDeltas(): void {
    this.deltas ??= new FleetDeltas(this.options.fleets, 'mirror');
    this.deltas.mark();
  }

  /**
   * The changed fields of each fleet's mirror matrix since the mark (one MatrixDelta per fleet that
   * changed, bit-exact; encode with `encodeDelta`), and moves the mark to now. Without a
   * {@link markDeltas} first, the mark is the empty matrix: the deltas hold every row.
   */
  takeDeltas(): MatrixDelta[] {
    this.deltas ??= new FleetDeltas(this.options.fleets, 'mirror');
    return this.deltas.take();
  }

  /** The instance, or undefined. */
  instance(workflowId: string): MirrorInstance | undefined {
    return this.instances.get(workflowId);
  }

  /**
   * Forgets a closed (completed or failed) instance: its mirror row is cleared, and freed for a
   * new instance once the primary side lets go too (see Fleet.release). An event of it that
   * arrives later (a duplicate) is then unapplied as 'unknown-instance'. Returns false when there
   * is no such instance.
   * @throws InstanceStillRunningError when the instance is running (nothing is changed).
   */
  evict(workflowId: string): boolean {
    if (!evictClosed(this.instances, workflowId, 'mirror')) return false;
    this.stats.evicted++;
    return true;
  }

  /** Instances held now (running, and closed ones not evicted). */
  get instanceCount(): number {
    return this.instances.size;
  }

  /** Every instance the mirror holds. */
  allInstances(): IterableIterator<MirrorInstance> {
    return this.instances.values();
  }

  private applyOne(event: HistoryEvent): void {
    let instance = this.instances.get(event.workflowId);
    if (instance === undefined) {
      if (event.type !== 'WorkflowStarted' || event.seq !== 1) {
        this.unapplied(event, 'unknown-instance');
        return;
      }
      const fleet = this.options.fleets.find(event.payload.workflowType);
      if (fleet === undefined) {
        this.unapplied(event, 'unknown-workflow');
        return;
      }
      instance = this.createInstance(event.workflowId, fleet, event.payload.fingerprint);
    }
    if (event.seq <= instance.seq) {
      this.stats.duplicatesIgnored++;
      return;
    }
    if (event.seq !== instance.seq + 1) {
      this.unapplied(event, 'gap');
      return;
    }
    const fleet = instance.fleet;
    instance.seq = event.seq;
    if (isInboundEvent(event.type)) {
      if (instance.expectedHead < instance.expected.length) {
        const missing = instance.expected[instance.expectedHead]!;
        this.nonDeterminism(
          instance,
          event.seq,
          `replay issued "${describeCommand(missing)}" but the history has ${event.type} at seq ${event.seq} instead`,
        );
      }
      this.options.onBeforeApply?.(instance, event, fleet);
      const issued = runStep(instance, event, event.payload, this.ctx, this.guard);
      instance.triggerTime = event.time;
      instance.expected = issued.length > 0 ? (issued as Command[]) : NO_COMMANDS;
      instance.expectedHead = 0;
      fleet.mirror.writeState(instance.row, instance.state);
      if (instance.outstanding !== undefined) settleOutstanding(instance, event);
    } else {
      this.checkCommand(instance, event);
      applyCommandEvent(instance, event);
      if (event.type === 'ActivityScheduled' || event.type === 'TimerStarted') {
        if (instance.outstanding === undefined) instance.outstanding = [event];
        else instance.outstanding.push(event);
      } else if (instance.status !== 'running') {
        instance.outstanding = undefined;
      }
    }
    fleet.mirror.setSeq(instance.row, event.seq);
    this.stats.applied++;
    this.options.onApplied?.(instance, event, fleet);
  }

  /** Rebuilds an instance from its checkpoint snapshot (its row is already in the restored fleet). */
  private adopt(data: InstanceSnapshotData): void {
    const fleet = this.options.fleets.get(data.workflowType);
    // Through createInstance, so a restored instance has the hidden class of every other one. The
    // decoded state object is the layout's initialState() with its fields overwritten: taken as is.
    const instance = this.createInstance(data.workflowId, fleet, data.startedFingerprint, data.state as Record<string, unknown>);
    instance.seq = data.seq;
    instance.status = data.status;
    instance.expected = data.expected.length > 0 ? data.expected : NO_COMMANDS;
    instance.expectedHead = data.expectedHead;
    instance.triggerTime = data.triggerTime;
    instance.nonDeterministic = data.nonDeterministic;
    instance.versionSkew = data.versionSkew;
    instance.outstandingKnown = data.status !== 'running';
  }

  private createInstance(
    workflowId: string,
    fleet: Fleet,
    fingerprint: string,
    state: Record<string, unknown> = fleet.compiled.layout.initialState(),
  ): MirrorInstance {
    const row = fleet.rowFor(workflowId);
    const compiled = fleet.compiled;
    const instance: MirrorInstance = {
      // Spelled out, not spread from a shared helper: a literal gives every instance one fast
      // hidden class; a spread measured 5x slower replay (dictionary-mode objects).
      workflowId,
      idHash: stringHash(workflowId),
      compiled,
      row,
      state,
      seq: 0,
      status: 'running',
      startedFingerprint: fingerprint,
      fleet,
      expected: NO_COMMANDS,
      expectedHead: 0,
      triggerTime: 0,
      nonDeterministic: false,
      versionSkew: fingerprint !== compiled.fingerprint,
      outstanding: undefined,
      outstandingKnown: true,
      hookSlot: undefined,
    };
    this.instances.set(workflowId, instance);
    return instance;
  }

  private checkCommand(instance: MirrorInstance, event: HistoryEvent): void {
    const command = instance.expected[instance.expectedHead];
    if (command === undefined) {
      this.nonDeterminism(
        instance,
        event.seq,
        `history has ${describeEvent(event)} at seq ${event.seq}, which replay did not issue`,
      );
      return;
    }
    instance.expectedHead++;
    const mismatch = commandMismatch(command, event, instance.triggerTime);
    if (mismatch !== undefined) this.nonDeterminism(instance, event.seq, mismatch);
    // All confirmed: let the commands go now rather than at the instance's next event, which in a
    // fleet's interleaved history may be far away (they would outlive the young generation).
    if (instance.expectedHead === instance.expected.length) {
      instance.expected = NO_COMMANDS;
      instance.expectedHead = 0;
    }
  }

  private nonDeterminism(instance: MirrorInstance, seq: number, detail: string): void {
    if (instance.nonDeterministic) return;
    instance.nonDeterministic = true;
    this.stats.nonDeterminism++;
    this.options.onNonDeterminism?.({
      workflowId: instance.workflowId,
      workflowType: instance.compiled.name,
      seq,
      detail,
      instance,
    });
  }

  private unapplied(event: HistoryEvent, reason: UnappliedEvent['reason']): void {
    this.stats.unapplied++;
    this.options.onUnapplied?.({ event, reason });
  }
}

/** Drops the outstanding command an outcome event settles (an activity's result, a timer's firing). */
function settleOutstanding(instance: MirrorInstance, event: HistoryEvent): void {
  let settled: number;
  if (event.type === 'ActivityCompleted' || event.type === 'ActivityFailed') settled = event.payload.scheduledSeq;
  else if (event.type === 'TimerFired') settled = event.payload.startedSeq;
  else return;
  const outstanding = instance.outstanding!;
  // Plain loops, no closure or splice result: this runs for every completion of a replay.
  let at = 0;
  while (at < outstanding.length && outstanding[at]!.seq !== settled) at++;
  if (at === outstanding.length) return;
  if (outstanding.length === 1) instance.outstanding = undefined;
  else removeAt(outstanding, at);
}

function describeEvent(event: HistoryEvent): string {
  switch (event.type) {
    case 'ActivityScheduled':
      return `ActivityScheduled "${event.payload.name}"`;
    case 'TimerStarted':
      return `TimerStarted "${event.payload.name}"`;
    default:
      return event.type;
  }
}

/** Why a replayed command does not match the recorded command event, or undefined if it does. */
function commandMismatch(command: Command, event: HistoryEvent, triggerTime: number): string | undefined {
  // Texts are built only on a mismatch: this runs for every command event of a replay.
  switch (event.type) {
    case 'ActivityScheduled':
      if (command.kind !== 'call')
        return `history has ${describeEvent(event)} at seq ${event.seq}, replay issued "${describeCommand(command)}"`;
      if (command.name !== event.payload.name) {
        return `history schedules activity "${event.payload.name}" at seq ${event.seq}, replay calls "${command.name}" (activities called in another order or by changed code)`;
      }
      if (!jsonEqual(command.input, event.payload.input))
        return `activity "${command.name}" at seq ${event.seq} was scheduled with other input than replay computes`;
      return undefined;
    case 'TimerStarted':
      if (command.kind !== 'sleep')
        return `history has ${describeEvent(event)} at seq ${event.seq}, replay issued "${describeCommand(command)}"`;
      if (command.name !== event.payload.name || triggerTime + command.ms !== event.payload.fireAt) {
        return `timer at seq ${event.seq}: history has "${event.payload.name}" firing at ${event.payload.fireAt}, replay has "${command.name}" at ${triggerTime + command.ms}`;
      }
      return undefined;
    case 'WorkflowCompleted':
      if (command.kind !== 'complete')
        return `history completes the workflow at seq ${event.seq}, replay issued "${describeCommand(command)}"`;
      return jsonEqual(command.result, event.payload.result)
        ? undefined
        : `workflow result at seq ${event.seq} differs from replay's`;
    case 'WorkflowFailed':
      if (command.kind !== 'fail')
        return `history fails the workflow at seq ${event.seq}, replay issued "${describeCommand(command)}"`;
      return undefined;
    default:
      return undefined;
  }
}
