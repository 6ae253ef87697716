/**
 * The primary: starts instances, runs handlers, executes their commands (activities with
 * retries and timeouts, timers on the injected clock) and appends every outcome to the log
 * before the handler that consumes it runs.
 */

import { WorkflowMirrorError } from '../base-error.js';
import { MalformedEventError, WrongExpectedSeqError } from '../history/errors.js';
import type { AppendOptions } from '../history/event-log.js';
import type { HistoryEvent, Json, NewEvent } from '../history/events.js';
import { validateEvent } from '../history/validate-event.js';
import type { MatrixDelta } from '../state/delta.js';
import { stringHash } from '../state/string-hash.js';
import { type ActivityOutcome, runActivity } from './activity-runner.js';
import { type Command, commandEvent } from './commands.js';
import type { CompiledDefinition } from './compiled-definition.js';
import {
  DuplicateWorkflowError,
  errorText,
  HandlerError,
  InstanceNotRunningError,
  InstanceStalledError,
  MissingActivityImplementationError,
  UnknownInstanceError,
} from './errors.js';
import { evictClosed } from './evict-closed.js';
import { type Fleet, FleetDeltas } from './fleet.js';
import { HandlerContext } from './handler-context.js';
import {
  type AdoptedInstance,
  JOURNAL_LIMIT,
  type PrimaryEngineOptions,
  type PrimaryInstance,
  type PrimaryStats,
  type QueuedEvent,
} from './primary-instance.js';

import { applyCommandEvent, eventKey, runStep } from './step.js';

export type {
  AdoptedInstance,
  JournalEntry,
  PrimaryEngineOptions,
  PrimaryInstance,
  PrimaryStats,
  QueuedEvent,
} from './primary-instance.js';
export { JOURNAL_LIMIT } from './primary-instance.js';

/**
 * The primary hands every payload over to the log: values given to the engine (start input,
 * signal payloads, activity results, call inputs) become history, deep-frozen rather than copied.
 */
const OWNED = { owned: true } as const;

/** The executing engine. */
export class PrimaryEngine {
  readonly stats: PrimaryStats = {
    eventsAppended: 0,
    handlersRun: 0,
    activitiesRun: 0,
    activityFailures: 0,
    started: 0,
    completed: 0,
    failed: 0,
    stalled: 0,
    evicted: 0,
  };
  private readonly instances = new Map<string, PrimaryInstance>();
  private readonly starting = new Set<string>();
  private readonly ctx = new HandlerContext();
  private readonly guard: boolean;
  private inflight = 0;
  private idleWaiters: Array<() => void> = [];
  private deltas: FleetDeltas | undefined;

  /** What every append passes: payloads handed over, and the epoch when the primary has one. */
  private readonly appendOptions: AppendOptions;

  constructor(private readonly options: PrimaryEngineOptions) {
    this.appendOptions = options.epoch === undefined ? OWNED : { owned: true, epoch: options.epoch };
    this.guard = options.guardDeterminism ?? true;
    for (const fleet of options.fleets.all()) {
      for (const name of Object.keys(fleet.compiled.definition.activities)) {
        if (typeof options.activities[name] !== 'function')
          throw new MissingActivityImplementationError(fleet.compiled.name, name);
      }
    }
  }

  /**
   * Starts an instance: appends WorkflowStarted, runs the start handler and appends its commands.
   * Rejects with UnknownWorkflowError, DuplicateWorkflowError or MalformedEventError (nothing
   * appended), or with the handler's error (the workflow is then recorded as failed).
   */
  async start(workflowType: string, workflowId: string, input: unknown = null): Promise<void> {
    if (typeof workflowId !== 'string' || workflowId.length === 0) {
      throw new TypeError(`start: workflowId must be a non-empty string, got ${JSON.stringify(workflowId)}`);
    }
    const fleet = this.options.fleets.get(workflowType);
    if (this.instances.has(workflowId) || this.starting.has(workflowId)) throw new DuplicateWorkflowError(workflowId);
    const faults = this.options.faults;
    const compiled = faults?.targets(workflowId) ? faults.definitionFor(workflowId, fleet.compiled) : fleet.compiled;
    const event: NewEvent = {
      type: 'WorkflowStarted',
      time: this.options.clock.now(),
      payload: {
        workflowType,
        version: compiled.definition.version,
        fingerprint: compiled.fingerprint,
        input: (input ?? null) as Json,
      },
    };
    this.starting.add(workflowId);
    this.inflight++;
    let instance: PrimaryInstance | undefined;
    try {
      let stored: HistoryEvent[];
      try {
        stored = await this.options.log.append(workflowId, 0, [event], this.appendOptions);
      } catch (error) {
        if (error instanceof WrongExpectedSeqError) throw new DuplicateWorkflowError(workflowId, error);
        throw error;
      }
      instance = this.createInstance(workflowId, compiled, fleet);
      this.stats.started++;
      this.stats.eventsAppended += stored.length;
      const started = stored[0]!;
      instance.seq = started.seq;
      instance.busy = true;
      const commands = this.applyInbound(instance, started);
      const handlerError = this.ctx.lastError;
      if (commands.length > 0) {
        try {
          await this.issue(instance, started.time, commands);
        } catch (error) {
          this.stall(instance, error);
          throw instance.stalled ?? error;
        }
      }
      if (handlerError !== undefined) {
        throw handlerError instanceof WorkflowMirrorError
          ? handlerError
          : new HandlerError(workflowId, started.seq, handlerError);
      }
    } finally {
      this.starting.delete(workflowId);
      if (instance !== undefined) {
        instance.busy = false;
        this.pumpIfWaiting(instance);
      }
      this.done();
    }
  }

  /**
   * Delivers a signal; resolves once it is in the log and its handler ran. A payload the log
   * could not record is refused here (MalformedEventError), before it can hold up the instance.
   */
  signal(workflowId: string, name: string, payload: unknown = null): Promise<void> {
    const instance = this.instances.get(workflowId);
    if (instance === undefined) return Promise.reject(new UnknownInstanceError(workflowId));
    if (instance.status !== 'running') return Promise.reject(new InstanceNotRunningError(workflowId, instance.status));
    let event: NewEvent;
    try {
      event = validateEvent(
        workflowId,
        { type: 'SignalReceived', time: this.options.clock.now(), payload: { name, payload: (payload ?? null) as Json } },
        0,
      );
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => this.enqueue(instance, event, { resolve, reject }));
  }

  /**
   * Forgets a closed (completed or failed) instance, so that a long-running primary holds what is
   * running plus what it chose to keep, not everything it ever ran. Its row of the primary matrix
   * is cleared, and freed for a new instance once the mirror side lets go too (see Fleet.release).
   * The log keeps the history: starting the id again is still refused (DuplicateWorkflowError,
   * from the log), and a signal to it is then an UnknownInstanceError. An activity still running
   * for it finishes unrecorded, as it would have anyway. Returns false when there is no such instance.
   * @throws InstanceStillRunningError when the instance is running (nothing is changed).
   */
  evict(workflowId: string): boolean {
    if (!evictClosed(this.instances, workflowId, 'primary')) return false;
    this.stats.evicted++;
    return true;
  }

  /** Instances held now (running, and closed ones not evicted). */
  get instanceCount(): number {
    return this.instances.size;
  }

  /** Resolves when no step, activity or append is in flight (pending timers wait for the clock). */
  whenIdle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Takes over an instance another engine ran (a promoted mirror, ts/recovery): the state as of
   * `seq`, then resumes what the history leaves open. Each outstanding command event (an
   * ActivityScheduled without its outcome, a TimerStarted not fired) is executed once: the
   * activity runs again with the same idempotency key (`workflowId:seq`), so an implementation
   * that honours the key does not repeat work done before the crash; a timer is set for its
   * recorded fire time. `unissued` are commands the handler issued whose events the old primary
   * never appended: they are appended first, then executed.
   * @throws DuplicateWorkflowError when this engine already has the instance; UnknownWorkflowError
   */
  adopt(taken: AdoptedInstance): PrimaryInstance {
    const fleet = this.options.fleets.get(taken.workflowType);
    if (this.instances.has(taken.workflowId) || this.starting.has(taken.workflowId)) {
      throw new DuplicateWorkflowError(taken.workflowId);
    }
    const instance = this.createInstance(taken.workflowId, fleet.compiled, fleet);
    // State values are primitives (numbers, booleans, strings: the five field kinds), so a shallow copy is a copy.
    for (const key of Object.keys(taken.state)) instance.state[key] = taken.state[key];
    instance.seq = taken.seq;
    instance.status = taken.status;
    instance.startedFingerprint = taken.startedFingerprint;
    fleet.primary.writeState(instance.row, instance.state);
    fleet.primary.setSeq(instance.row, taken.seq);
    if (taken.status !== 'running') return instance;
    for (const event of taken.outstanding) this.execute(instance, event);
    if (taken.unissued !== undefined && taken.unissued.commands.length > 0) {
      instance.unissued = taken.unissued;
      this.pumpIfWaiting(instance);
    }
    return instance;
  }

  /** The instance, or undefined. */
  instance(workflowId: string): PrimaryInstance | undefined {
    return this.instances.get(workflowId);
  }

  /** Every instance this primary runs. */
  allInstances(): IterableIterator<PrimaryInstance> {
    return this.instances.values();
  }

  /** Marks every fleet's primary matrix: {@link takeDeltas} then returns what changed since (a copy of the matrices is kept). */
  markDeltas(): void {
    this.deltas ??= new FleetDeltas(this.options.fleets, 'primary');
    this.deltas.mark();
  }

  /**
   * The changed fields of each fleet's primary matrix since the mark (one MatrixDelta per fleet
   * that changed, bit-exact; encode with `encodeDelta`), and moves the mark to now. Found by
   * comparing row seqs with the mark: nothing is added to the per-event path. Without a
   * {@link markDeltas} first, the mark is the empty matrix.
   */
  takeDeltas(): MatrixDelta[] {
    this.deltas ??= new FleetDeltas(this.options.fleets, 'primary');
    return this.deltas.take();
  }

  /**
   * Drops the journal entries up to `seq`: a comparison found the instance clean there, so they
   * will not be needed to explain a later deviation. Keeps memory flat on long runs.
   */
  forgetDeliveries(workflowId: string, seq: number): void {
    const instance = this.instances.get(workflowId);
    if (instance === undefined || seq <= instance.journalFrom) return;
    const journal = instance.journal;
    let keep = 0;
    while (keep < journal.length && journal[keep]!.seq <= seq) keep++;
    if (keep > 0) journal.splice(0, keep);
    instance.journalFrom = seq;
  }

  /** Runs a stalled instance's queue again (after the log came back, say); resolves when it is drained or stalls again. */
  resume(workflowId: string): Promise<void> {
    const instance = this.instances.get(workflowId);
    if (instance === undefined) return Promise.reject(new UnknownInstanceError(workflowId));
    if (instance.stalled === undefined) return Promise.resolve();
    instance.stalled = undefined;
    this.stats.stalled--;
    this.pumpIfWaiting(instance);
    return this.whenIdle();
  }

  private createInstance(workflowId: string, compiled: CompiledDefinition, fleet: Fleet): PrimaryInstance {
    const row = fleet.rowFor(workflowId);
    const instance: PrimaryInstance = {
      // Spelled out, not spread from a shared helper: a literal gives every instance one fast
      // hidden class; a spread measured 5x slower replay (dictionary-mode objects).
      workflowId,
      idHash: stringHash(workflowId),
      compiled,
      row,
      state: compiled.layout.initialState(),
      seq: 0,
      status: 'running',
      startedFingerprint: compiled.fingerprint,
      fleet,
      queue: [],
      busy: false,
      unissued: undefined,
      journal: [],
      journalFrom: 0,
      stalled: undefined,
      timers: new Set(),
    };
    this.instances.set(workflowId, instance);
    return instance;
  }

  /** Queues an inbound event behind the instance's other steps. */
  private enqueue(instance: PrimaryInstance, event: NewEvent, waiter?: QueuedEvent['waiter']): void {
    instance.queue.push({ event, waiter });
    this.pumpIfWaiting(instance);
  }

  private pumpIfWaiting(instance: PrimaryInstance): void {
    if (instance.busy || instance.stalled !== undefined) return;
    if (instance.queue.length === 0 && instance.unissued === undefined) return;
    instance.busy = true;
    this.inflight++;
    void this.pump(instance);
  }

  /**
   * Runs the instance's queued events one step at a time; stops (queue kept) when the instance
   * stalls. An event leaves the queue as soon as it is in the log, so a stall after that (its
   * commands could not be appended) never appends it twice: the commands wait in `unissued`.
   */
  private async pump(instance: PrimaryInstance): Promise<void> {
    try {
      if (instance.unissued !== undefined) {
        try {
          await this.issue(instance, instance.unissued.triggerTime, instance.unissued.commands);
        } catch (error) {
          this.stall(instance, error);
          return;
        }
      }
      while (instance.queue.length > 0 && instance.stalled === undefined) {
        const item = instance.queue[0]!;
        let appended = false;
        try {
          // Outcomes that arrive after the workflow ended (a timer or activity it no longer waits for) are dropped, not logged.
          if (instance.status === 'running') {
            let stored: HistoryEvent[];
            try {
              stored = await this.options.log.append(instance.workflowId, instance.seq, [item.event], this.appendOptions);
            } catch (error) {
              stored = await this.recordUnrecordable(instance, item.event, error);
            }
            this.stats.eventsAppended += stored.length;
            const applied = stored[0]!;
            instance.seq = applied.seq;
            instance.queue.shift();
            appended = true;
            const commands = this.applyInbound(instance, applied);
            const handlerError = this.ctx.lastError;
            if (handlerError !== undefined)
              this.options.onError?.(new HandlerError(instance.workflowId, applied.seq, handlerError));
            if (commands.length > 0) await this.issue(instance, applied.time, commands);
          } else {
            instance.queue.shift();
            appended = true;
          }
        } catch (error) {
          this.stall(instance, error);
          // Its caller hears of the stall now; the event itself (if not in the log yet) waits for resume.
          if (!appended) instance.queue[0] = { event: item.event, waiter: undefined };
          item.waiter?.reject(instance.stalled ?? error);
          return;
        }
        item.waiter?.resolve();
      }
    } finally {
      instance.busy = false;
      this.done();
    }
  }

  /**
   * The log refused an inbound event. An activity result it cannot record (not JSON) is recorded
   * as that activity's failure instead: replayable, nothing lost. Anything else is rethrown.
   */
  private recordUnrecordable(instance: PrimaryInstance, event: NewEvent, error: unknown): Promise<HistoryEvent[]> {
    if (!(error instanceof MalformedEventError) || event.type !== 'ActivityCompleted') return Promise.reject(error);
    const failed: NewEvent = {
      type: 'ActivityFailed',
      time: event.time,
      payload: { name: event.payload.name, scheduledSeq: event.payload.scheduledSeq, error: error.message, attempts: 1 },
    };
    return this.options.log.append(instance.workflowId, instance.seq, [failed], this.appendOptions);
  }

  /**
   * Runs the handler for an appended inbound event and returns the commands to issue. The
   * handler's error, if it threw (the workflow then fails), is left in `this.ctx.lastError`.
   */
  private applyInbound(instance: PrimaryInstance, event: HistoryEvent): readonly Command[] {
    const fleet = instance.fleet;
    const faults = this.options.faults;
    const faulty = faults?.targets(instance.workflowId) === true;
    const key = faulty ? eventKey(event) : '';
    const deliveries = faulty ? faults!.deliveries(instance.workflowId, key, event.seq) : 1;
    const payload = faulty ? faults!.payloadFor(event) : event.payload;
    let commands: readonly Command[] = [];
    let handlerError: unknown;
    for (let i = 0; i < deliveries; i++) {
      const issued = runStep(instance, event, payload, this.ctx, this.guard);
      this.stats.handlersRun++;
      // A redelivered event issues whatever its second run issues too, as a real duplicate would.
      commands = i === 0 ? issued : [...commands, ...issued];
      handlerError ??= this.ctx.lastError;
      // A full journal forgets its oldest delivery; diagnosis then covers only what it still holds.
      if (instance.journal.length >= JOURNAL_LIMIT) instance.journalFrom = instance.journal.shift()!.seq;
      // The event itself is the entry unless the handler was handed another payload (a fault).
      instance.journal.push(payload === event.payload ? event : { seq: event.seq, type: event.type, payload });
    }
    this.ctx.lastError = handlerError;
    if (faulty) {
      faults!.corruptAfter(instance.workflowId, key, event.seq, instance.state);
      commands = faults!.commandsFor(instance.workflowId, event.seq, commands);
    }
    fleet.primary.writeState(instance.row, instance.state);
    fleet.primary.setSeq(instance.row, event.seq);
    this.options.onApplied?.(instance, event, fleet);
    return commands;
  }

  /** Appends the command events of a handler run, then starts executing them. */
  private issue(instance: PrimaryInstance, triggerTime: number, commands: readonly Command[]): Promise<void> {
    const now = this.options.clock.now();
    const events = commands.map((command) => commandEvent(command, triggerTime, now));
    instance.unissued = { triggerTime, commands };
    return this.options.log
      .append(instance.workflowId, instance.seq, events, this.appendOptions)
      .then((stored) => this.issued(instance, stored));
  }

  /** The command events are in the log: apply them and execute the commands. */
  private issued(instance: PrimaryInstance, stored: readonly HistoryEvent[]): void {
    const fleet = instance.fleet;
    instance.unissued = undefined;
    this.stats.eventsAppended += stored.length;
    for (const event of stored) {
      instance.seq = event.seq;
      applyCommandEvent(instance, event);
      fleet.primary.setSeq(instance.row, event.seq);
      this.options.onApplied?.(instance, event, fleet);
      this.execute(instance, event);
    }
  }

  private execute(instance: PrimaryInstance, event: HistoryEvent): void {
    switch (event.type) {
      case 'ActivityScheduled':
        this.startActivity(instance, event.seq, event.payload.name, event.payload.input);
        return;
      case 'TimerStarted': {
        const { name, fireAt } = event.payload;
        const startedSeq = event.seq;
        const handle = this.options.clock.setTimer(
          () => {
            instance.timers.delete(handle);
            this.enqueue(instance, { type: 'TimerFired', time: this.options.clock.now(), payload: { name, startedSeq } });
          },
          Math.max(0, fireAt - this.options.clock.now()),
        );
        instance.timers.add(handle);
        return;
      }
      case 'WorkflowCompleted':
      case 'WorkflowFailed':
        if (event.type === 'WorkflowCompleted') this.stats.completed++;
        else this.stats.failed++;
        for (const handle of instance.timers) this.options.clock.clearTimer(handle);
        instance.timers.clear();
        return;
      default:
        return;
    }
  }

  private startActivity(instance: PrimaryInstance, scheduledSeq: number, name: string, input: unknown): void {
    this.stats.activitiesRun++;
    const declaration = instance.compiled.definition.activities[name];
    const implementation = this.options.activities[name]!;
    const info = {
      workflowId: instance.workflowId,
      activity: name,
      scheduledSeq,
      idempotencyKey: `${instance.workflowId}:${scheduledSeq}`,
    };
    // Counted in flight before it starts: a first attempt that throws at once goes straight to its backoff, which uncounts it.
    this.inflight++;
    const outcome = runActivity(
      implementation,
      input,
      info,
      this.options.clock,
      declaration?.retry,
      declaration?.timeoutMs,
      this.backoff,
    );
    if (outcome instanceof Promise) {
      outcome.then(
        (settled) => {
          this.finishActivity(instance, scheduledSeq, name, settled);
          this.done();
        },
        // runActivity turns every failure into an outcome; this is only a safety net.
        (error: unknown) => {
          this.finishActivity(instance, scheduledSeq, name, { ok: false, error: errorText(error), attempts: 1 });
          this.done();
        },
      );
    } else {
      // Completed in this turn: the outcome waits in the queue behind the step that issued it.
      this.finishActivity(instance, scheduledSeq, name, outcome);
      this.done();
    }
  }

  /** Queues an activity's outcome as the instance's next inbound event. */
  private finishActivity(instance: PrimaryInstance, scheduledSeq: number, name: string, outcome: ActivityOutcome): void {
    const time = this.options.clock.now();
    if (outcome.ok) {
      this.enqueue(instance, {
        type: 'ActivityCompleted',
        time,
        payload: { name, scheduledSeq, result: outcome.result as Json },
      });
    } else {
      this.stats.activityFailures++;
      this.enqueue(instance, {
        type: 'ActivityFailed',
        time,
        payload: { name, scheduledSeq, error: outcome.error, attempts: outcome.attempts },
      });
    }
  }

  /**
   * Waits between attempts. Meanwhile the activity is not in flight: it waits for the clock. It
   * counts as busy again from inside the timer's callback, so a virtual clock cannot run past
   * the retry.
   */
  private readonly backoff = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      this.options.clock.setTimer(() => {
        this.inflight++;
        resolve();
      }, ms);
      this.done();
    });

  private stall(instance: PrimaryInstance, error: unknown): void {
    if (instance.stalled !== undefined) return;
    const typed = new InstanceStalledError(instance.workflowId, error);
    instance.stalled = typed;
    this.stats.stalled++;
    this.options.onError?.(typed);
  }

  private done(): void {
    if (--this.inflight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
