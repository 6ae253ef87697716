/**
 * Lead mode (issue 6, part 1): when the primary schedules an activity, the mirror predicts its
 * result at once (the activity's `predict`, else a {@link LearnedPredictor}) and keeps it as
 * pending. When the real completion lands, the real state after it is compared with the state the
 * predicted result would have given from the same state before it: past the threshold (and, for
 * learned predictions, with the result also outside the learned spread) an
 * `unexpected-activity-result` report is raised the moment the completion is applied.
 *
 * The branch is computed when it is needed, not kept current. The check needs the state just
 * before the completion, and `onBeforeApply` hands exactly that state over, with the real
 * completion's seq and time. So nothing is speculated per event, and nothing is rebased when a
 * sibling's completion, a timer or a signal changes the instance first, while still no sibling's
 * effect is ever blamed on the activity being checked. Two checks need no branch at all:
 * - a result equal to its prediction (JSON-equal) gives the predicted state exactly, since
 *   handlers are deterministic;
 * - a learned result inside the learned spread is not reported whatever it deviates by.
 * The first version ran a branch on every schedule and rebased it on every later inbound event,
 * which cost the mirror 72% of its replay speed (bench/results/lead.md, 2026-11-26).
 * `speculation(instance)` (and `wm.predict`) runs the branch on demand from the current state,
 * `lookahead` steps deep.
 *
 * Wiring: `new MirrorEngine({ fleets, ...lead.hooks })` (both hooks). Lead mode only reads the real
 * instance and its matrix row; the replayed state is the same as a mirror's without it.
 */

import { defaultBands, type SeverityBands, validateBands } from '../anomaly/severity.js';
import { type ComparisonOutput, compareRowsSync } from '../compare/backends/js.js';
import { DEFAULT_MISSING_WEIGHT } from '../compare/comparator.js';
import { callGuarded } from '../engine/determinism-guard.js';
import type { Fleet } from '../engine/fleet.js';
import { jsonEqual } from '../engine/json-equal.js';
import type { MirrorInstance } from '../engine/mirror-engine.js';
import type { HistoryEvent, Json } from '../history/events.js';
import { PredictionError, SpeculationError } from './errors.js';
import { LearnedPredictor, type LearnedTrack, type OutlierField } from './learned-predictor.js';
import { BranchHandlerThrew, type BranchStep, SpeculativeRunner } from './speculative-runner.js';
import { buildUnexpectedResultReport, type PredictionSource, type UnexpectedResultReport } from './unexpected-result-report.js';

export type { PredictionSource, UnexpectedResultReport } from './unexpected-result-report.js';

/** Options of {@link LeadMode}. */
export interface LeadModeOptions {
  /** A completion whose real state deviates from the predicted one by more than this is a candidate anomaly. */
  readonly threshold: number;
  /** Predicted steps the speculative branch runs past the real state (completions, timer fires). Default 1. */
  readonly lookahead?: number;
  /** Learned numbers within `k` standard deviations of the mean are not reported. Default 3. */
  readonly k?: number;
  /** Learned category values seen in at least this share of results are not reported. Default 0.05. */
  readonly minShare?: number;
  /** The learner used where a definition has no `predict` (default: a new one with its defaults). */
  readonly predictor?: LearnedPredictor;
  readonly bands?: SeverityBands;
  readonly missingWeight?: number;
  /** Guard Date.now / Math.random in handlers run on branches, as the mirror does. Default true. */
  readonly guardDeterminism?: boolean;
  /**
   * Guard them in the definitions' `predict` functions too. Default false: a prediction that reads
   * the clock changes what is predicted, never the replayed state, and guarding each of them (three
   * globals swapped and put back per call) cost lead mode half of its overhead on the benchmark
   * (2026-11-26: 20,000 guarded predictions, ~55 ms of a 200 ms replay).
   */
  readonly guardPredictions?: boolean;
  readonly onAnomaly?: (report: UnexpectedResultReport) => void;
  /** A prediction or a speculative handler failed; the speculation was skipped and the mirror went on. */
  readonly onError?: (error: PredictionError | SpeculationError) => void;
}

/** Counters of lead mode. */
export interface LeadModeStats {
  /** Branches run: one per completion that needed one, and those `speculation()` ran on demand. */
  speculations: number;
  /** Scheduled activities with no prediction (no `predict`, too few learned samples). */
  unpredicted: number;
  predictionErrors: number;
  speculationErrors: number;
  /** Real completions that had a prediction to be judged by. */
  checked: number;
  /** Checked completions whose result equals the definition's prediction (no branch needed). */
  exact: number;
  /** Checked learned results inside the learned spread: never reported, so no branch is run. */
  withinSpread: number;
  anomalies: number;
  /** Real completions with no prediction to compare (unpredicted, failed, or scheduled before lead mode). */
  unmatched: number;
}

/** A pending speculation, as {@link LeadMode.speculation} shows it. */
export interface PendingPrediction {
  readonly activity: string;
  readonly scheduledSeq: number;
  /** The activity's input, as scheduled (learned predictions may depend on it). */
  readonly input: Json;
  readonly predicted: unknown;
  readonly source: PredictionSource;
  /** The state vector after the predicted completion, from the instance's current state; undefined when the handler threw. */
  readonly vector: Float64Array | undefined;
}

/** Where an instance's speculative branch stands. */
export interface Speculation {
  readonly pending: readonly PendingPrediction[];
  /** The branch's state after {@link steps} predicted steps (a copy; never the real state). */
  readonly state: Readonly<Record<string, unknown>> | undefined;
  readonly steps: number;
}

interface Pending {
  readonly activity: string;
  readonly scheduledSeq: number;
  readonly input: Json;
  /**
   * The predicted result. A learned one is made when first needed ({@link LeadMode.predictedOf}):
   * most completions are judged by the learned spread alone, and building the value per schedule
   * was a third of lead mode's allocations.
   */
  predicted: unknown;
  readonly source: PredictionSource;
  /** Set by onBeforeApply for the completion being applied: the predicted vector, when a branch ran. */
  vector: Float64Array | undefined;
  /** Learned results: the fields outside the spread, found before the learner saw the result. */
  outliers: readonly OutlierField[];
  /** The learner's statistics for this activity and input (activities without `predict`). */
  readonly track: LearnedTrack | undefined;
  /** onBeforeApply saw this pending's completion (a mirror wired without it cannot check). */
  prepared: boolean;
  /** The instance's next pending prediction, in schedule order. */
  next: Pending | undefined;
}

/**
 * The instance's first pending prediction, kept in its hookSlot (which belongs to the lead mode
 * the mirror was built with); the others follow through `next`. A list, not an array: an instance
 * rarely waits for more than two activities, and growing an array on its second push allocated
 * room for nineteen.
 */
function leadOf(instance: MirrorInstance): Pending | undefined {
  return instance.hookSlot as Pending | undefined;
}

/** The instance's pending predictions as an array, in schedule order (for the rare asks). */
function leadList(instance: MirrorInstance): Pending[] {
  const list: Pending[] = [];
  for (let p = leadOf(instance); p !== undefined; p = p.next) list.push(p);
  return list;
}

/** The pending prediction of the activity scheduled at `scheduledSeq`, if any. */
function findScheduled(first: Pending | undefined, scheduledSeq: number): Pending | undefined {
  let p = first;
  while (p !== undefined && p.scheduledSeq !== scheduledSeq) p = p.next;
  return p;
}

/** What a learned prediction's {@link Pending.predicted} holds until it is first needed. */
const NOT_YET_MADE: unique symbol = Symbol('not yet made');

/** Outliers of a pending prediction before its completion was judged (shared: never written). */
const NO_OUTLIERS: readonly OutlierField[] = Object.freeze([]);

/** A new pending prediction; one literal, so every Pending has one hidden class. */
function pendingOf(
  activity: string,
  scheduledSeq: number,
  input: Json,
  predicted: unknown,
  source: PredictionSource,
  track: LearnedTrack | undefined,
): Pending {
  return {
    activity,
    scheduledSeq,
    input,
    predicted,
    source,
    track,
    vector: undefined,
    outliers: NO_OUTLIERS,
    prepared: false,
    next: undefined,
  };
}

/** The input of the activity scheduled at `scheduledSeq`, while the instance still waits for it. */
function scheduledInput(instance: MirrorInstance, scheduledSeq: number): Json | undefined {
  if (instance.outstanding === undefined) return undefined;
  for (const e of instance.outstanding) {
    if (e.seq === scheduledSeq && e.type === 'ActivityScheduled') return e.payload.input;
  }
  return undefined;
}

/** A reusable slot for a prediction's return value (callGuarded returns nothing). */
interface Box {
  value: unknown;
}

function invokePredict(predict: unknown, input: unknown, box: unknown): void {
  (box as Box).value = (predict as (input: unknown) => unknown)(input);
}

/** The predictive side of a mirror; see the module comment. */
export class LeadMode {
  readonly stats: LeadModeStats = {
    speculations: 0,
    unpredicted: 0,
    predictionErrors: 0,
    speculationErrors: 0,
    checked: 0,
    exact: 0,
    withinSpread: 0,
    anomalies: 0,
    unmatched: 0,
  };
  readonly predictor: LearnedPredictor;
  /** Instances whose hookSlot holds a pending prediction. */
  private active = 0;
  private readonly runner: SpeculativeRunner;
  /** Whether `predict` calls run guarded (guardPredictions). */
  private readonly guard: boolean;
  private readonly lookahead: number;
  private readonly k: number;
  private readonly minShare: number;
  private readonly bands: SeverityBands;
  private readonly missingWeight: number;
  private readonly box: Box = { value: undefined };
  private readonly spread: { readonly k: number; readonly minShare: number };
  /** The input of the completion being applied when it had no prediction (from onBeforeApply). */
  private unmatchedInput: Json | undefined;
  private output: ComparisonOutput = { deviation: new Float64Array(1), affected: new Uint32Array(32) };

  constructor(private readonly options: LeadModeOptions) {
    const { threshold } = options;
    if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0) {
      throw new TypeError(`options.threshold must be a finite number >= 0, got ${String(threshold)}`);
    }
    const lookahead = options.lookahead ?? 1;
    if (!Number.isSafeInteger(lookahead) || lookahead < 1) {
      throw new TypeError(`options.lookahead must be a positive integer, got ${String(lookahead)}`);
    }
    if (options.k !== undefined && !(options.k >= 0)) throw new TypeError(`options.k must be a number >= 0, got ${options.k}`);
    if (options.minShare !== undefined && !(options.minShare >= 0 && options.minShare <= 1)) {
      throw new TypeError(`options.minShare must be a number in [0, 1], got ${options.minShare}`);
    }
    this.lookahead = lookahead;
    this.k = options.k ?? 3;
    this.minShare = options.minShare ?? 0.05;
    this.spread = { k: this.k, minShare: this.minShare };
    this.guard = options.guardPredictions ?? false;
    this.runner = new SpeculativeRunner(options.guardDeterminism ?? true);
    this.predictor = options.predictor ?? new LearnedPredictor();
    this.bands =
      options.bands !== undefined ? validateBands(options.bands, 'options.bands') : defaultBands(threshold, 'options.threshold');
    this.missingWeight = options.missingWeight ?? DEFAULT_MISSING_WEIGHT;
  }

  /** Both MirrorEngine hooks, to spread into its options: `new MirrorEngine({ fleets, ...lead.hooks })`. */
  get hooks(): {
    readonly onBeforeApply: (instance: MirrorInstance, event: HistoryEvent, fleet: Fleet) => void;
    readonly onApplied: (instance: MirrorInstance, event: HistoryEvent, fleet: Fleet) => void;
  } {
    return { onBeforeApply: this.onBeforeApply, onApplied: this.onApplied };
  }

  /**
   * The MirrorEngine `onBeforeApply` hook (bound): before a completion is applied, judges its result
   * against the prediction and, where that needs it, runs the branch from the state before it.
   */
  readonly onBeforeApply = (instance: MirrorInstance, event: HistoryEvent, _fleet: Fleet): void => {
    if (event.type !== 'ActivityCompleted') return;
    const { scheduledSeq, result } = event.payload;
    const pending = findScheduled(leadOf(instance), scheduledSeq);
    if (pending === undefined) {
      // No prediction to judge, but the learner still learns the result with its input, which
      // only the scheduled event still holds here (the completion settles it).
      this.unmatchedInput = scheduledInput(instance, scheduledSeq);
      return;
    }
    pending.prepared = true;
    if (pending.source === 'learned') {
      // Before the learner sees this result: an outlier must not widen the spread it is judged by.
      pending.outliers = this.predictor.outliersTrack(pending.track!, result, this.spread);
      if (pending.outliers.length === 0) {
        this.stats.withinSpread++;
        return;
      }
    } else if (jsonEqual(result, pending.predicted)) {
      this.stats.exact++;
      return;
    }
    const step = this.branch(instance, this.runner.copyState(instance.state), pending, event.seq, event.time);
    if (step === undefined) return;
    const layout = instance.compiled.layout;
    const vector = new Float64Array(layout.stride);
    layout.encode(step.state, vector, 0);
    pending.vector = vector;
  };

  /** The MirrorEngine `onApplied` hook (bound: pass it as is, or spread {@link hooks}). */
  readonly onApplied = (instance: MirrorInstance, event: HistoryEvent, fleet: Fleet): void => {
    switch (event.type) {
      case 'ActivityScheduled':
        if (instance.status === 'running') this.schedule(instance, event.seq, event.payload.name, event.payload.input);
        return;
      case 'ActivityCompleted':
        this.complete(instance, event, fleet);
        return;
      case 'ActivityFailed':
        this.settle(instance, event.payload.scheduledSeq);
        return;
      case 'WorkflowCompleted':
      case 'WorkflowFailed':
        this.drop(instance);
        return;
      default:
        return;
    }
  };

  /**
   * The instance's pending predictions and its branch, run now from its current state: each
   * pending completion's predicted vector, and the state after the first of them plus up to
   * `lookahead - 1` further predicted steps. Undefined when nothing is predicted.
   */
  speculation(instance: MirrorInstance): Speculation | undefined {
    const lead = this.awaited(instance);
    if (lead.length === 0) return undefined;
    const seq = instance.seq + 1;
    const time = instance.triggerTime;
    const layout = instance.compiled.layout;
    let first: { pending: Pending; step: BranchStep } | undefined;
    const pending = lead.map((p): PendingPrediction => {
      const step = this.branch(instance, this.runner.copyState(instance.state), p, seq, time);
      let vector: Float64Array | undefined;
      if (step !== undefined) {
        vector = new Float64Array(layout.stride);
        layout.encode(step.state, vector, 0);
        first ??= { pending: p, step };
      }
      return {
        activity: p.activity,
        scheduledSeq: p.scheduledSeq,
        input: p.input,
        predicted: this.predictedOf(p),
        source: p.source,
        vector,
      };
    });
    if (first === undefined) return { pending, state: undefined, steps: 0 };
    const ahead = this.advance(instance, lead, first.pending, first.step, time);
    return { pending, state: ahead.state, steps: ahead.steps };
  }

  /**
   * The instance's pending predictions, plus a prediction made now for each activity it still
   * waits for that had none when it was scheduled (the learner had too few results then, or lead
   * mode was attached later), in schedule order. Those are not kept: asking changes nothing.
   */
  private awaited(instance: MirrorInstance): Pending[] {
    const lead = leadList(instance);
    if (instance.outstanding === undefined) return lead;
    let all: Pending[] | undefined;
    for (const e of instance.outstanding) {
      if (e.type !== 'ActivityScheduled' || lead.some((p) => p.scheduledSeq === e.seq)) continue;
      const late = this.predict(instance, e.seq, e.payload.name, e.payload.input, false);
      if (late === undefined) continue;
      all ??= lead.slice();
      all.push(late);
    }
    return all === undefined ? lead : all.sort((a, b) => a.scheduledSeq - b.scheduledSeq);
  }

  /** Ends an instance's lead (its slot cleared). */
  private drop(instance: MirrorInstance): void {
    if (instance.hookSlot === undefined) return;
    instance.hookSlot = undefined;
    this.active--;
  }

  /** Instances with a prediction pending. */
  get speculating(): number {
    return this.active;
  }

  private schedule(instance: MirrorInstance, seq: number, activity: string, input: Json): void {
    const pending = this.predict(instance, seq, activity, input);
    if (pending === undefined) return;
    let last = leadOf(instance);
    if (last === undefined) {
      instance.hookSlot = pending;
      this.active++;
      return;
    }
    while (last.next !== undefined) last = last.next;
    last.next = pending;
  }

  /** The prediction for a scheduled activity, or undefined (counted) when there is none. */
  private predict(instance: MirrorInstance, seq: number, activity: string, input: Json, count = true): Pending | undefined {
    const decl = instance.compiled.definition.activities[activity];
    if (decl?.predict !== undefined) {
      const box = this.box;
      try {
        if (this.guard) callGuarded(invokePredict, decl.predict, input, box);
        else invokePredict(decl.predict, input, box);
      } catch (error) {
        this.stats.predictionErrors++;
        this.options.onError?.(new PredictionError(instance.workflowId, activity, seq, error));
        return undefined;
      }
      const predicted = box.value;
      box.value = undefined;
      return pendingOf(activity, seq, input, predicted, 'definition', undefined);
    }
    const track = this.predictor.track(activity, input);
    if (!this.predictor.predictsTrack(track)) {
      if (count) this.stats.unpredicted++;
      return undefined;
    }
    return pendingOf(activity, seq, input, NOT_YET_MADE, 'learned', track);
  }

  /** A pending prediction's result; a learned one is made now (from what the learner knows now) and kept. */
  private predictedOf(pending: Pending): unknown {
    if (pending.predicted === NOT_YET_MADE) pending.predicted = this.predictor.predictTrack(pending.track!);
    return pending.predicted;
  }

  /** Runs one pending prediction's completion on `state` (a copy); undefined (reported) when the handler threw. */
  private branch(
    instance: MirrorInstance,
    state: Record<string, unknown>,
    pending: Pending,
    seq: number,
    time: number,
  ): BranchStep | undefined {
    this.stats.speculations++;
    const predicted = this.predictedOf(pending);
    const step = this.runner.complete(instance, state, pending.activity, pending.scheduledSeq, predicted, seq, time);
    if (!(step instanceof BranchHandlerThrew)) return step;
    this.stats.speculationErrors++;
    this.options.onError?.(new SpeculationError(instance.workflowId, pending.activity, pending.scheduledSeq, step.error));
    return undefined;
  }

  /**
   * The branch past its first step: the other pending completions, then what the branch itself
   * calls or sleeps on, up to `lookahead` steps in all.
   */
  private advance(
    instance: MirrorInstance,
    lead: readonly Pending[],
    first: Pending,
    firstStep: BranchStep,
    time: number,
  ): { state: Record<string, unknown>; steps: number } {
    let state = firstStep.state;
    let steps = 1;
    if (this.lookahead === 1) return { state, steps };
    let seq = instance.seq + 2;
    let now = time;
    const queue: { activity?: string; timer?: string; ms: number; predicted?: unknown; scheduledSeq: number }[] = [];
    for (const p of lead)
      if (p !== first) queue.push({ activity: p.activity, ms: 0, predicted: this.predictedOf(p), scheduledSeq: p.scheduledSeq });
    let commands = firstStep.commands;
    while (steps < this.lookahead) {
      for (const command of commands) {
        if (command.kind === 'call') {
          const prediction = this.predict(instance, seq, command.name, command.input as Json);
          if (prediction === undefined) return { state, steps };
          queue.push({ activity: command.name, ms: 0, predicted: this.predictedOf(prediction), scheduledSeq: seq++ });
        } else if (command.kind === 'sleep') {
          queue.push({ timer: command.name, ms: command.ms, scheduledSeq: seq++ });
        } else {
          return { state, steps };
        }
      }
      const next = queue.shift();
      if (next === undefined) break;
      now += next.ms;
      this.stats.speculations++;
      const step =
        next.timer !== undefined
          ? this.runner.fireTimer(instance, state, next.timer, next.scheduledSeq, seq++, now)
          : this.runner.complete(instance, state, next.activity!, next.scheduledSeq, next.predicted, seq++, now);
      if (step instanceof BranchHandlerThrew) break;
      state = step.state;
      commands = step.commands;
      steps++;
    }
    return { state, steps };
  }

  private complete(instance: MirrorInstance, event: HistoryEvent & { type: 'ActivityCompleted' }, fleet: Fleet): void {
    const { name, scheduledSeq, result } = event.payload;
    const pending = findScheduled(leadOf(instance), scheduledSeq);
    if (pending?.prepared === true) {
      this.stats.checked++;
      if (pending.vector !== undefined) this.check(instance, event, fleet, pending);
    } else {
      this.stats.unmatched++;
    }
    // Learned after the check: an outlier must not widen the spread it is judged by.
    if (pending?.track !== undefined) this.predictor.observeTrack(pending.track, result);
    else if (instance.compiled.definition.activities[name]?.predict === undefined)
      this.predictor.observe(name, result, this.unmatchedInput);
    this.unmatchedInput = undefined;
    if (pending !== undefined) this.remove(instance, pending);
    if (instance.status !== 'running') this.drop(instance);
  }

  /** Takes `pending` out of the instance's list; the instance stops counting when none is left. */
  private remove(instance: MirrorInstance, pending: Pending): void {
    const first = leadOf(instance);
    if (first === pending) {
      instance.hookSlot = pending.next;
      if (pending.next === undefined) this.active--;
      return;
    }
    let p = first;
    while (p !== undefined && p.next !== pending) p = p.next;
    if (p !== undefined) p.next = pending.next;
  }

  private settle(instance: MirrorInstance, scheduledSeq: number): void {
    const pending = findScheduled(leadOf(instance), scheduledSeq);
    if (pending !== undefined) this.remove(instance, pending);
    if (instance.status !== 'running') this.drop(instance);
  }

  private check(
    instance: MirrorInstance,
    event: HistoryEvent & { type: 'ActivityCompleted' },
    fleet: Fleet,
    pending: Pending,
  ): void {
    const layout = instance.compiled.layout;
    const actualVector = fleet.mirror.row(instance.row);
    const predictedVector = pending.vector!;
    if (this.output.affected.length < Math.ceil(layout.fieldCount / 32)) {
      this.output = { deviation: this.output.deviation, affected: new Uint32Array(Math.ceil(layout.fieldCount / 32)) };
    }
    const comparison = compareRowsSync(
      actualVector,
      predictedVector,
      layout,
      { rowStart: 0, rowCount: 1, missingWeight: this.missingWeight },
      this.output,
    );
    if (!(comparison.deviation[0]! > this.options.threshold)) return;
    this.stats.anomalies++;
    const report = buildUnexpectedResultReport(layout, {
      workflowId: instance.workflowId,
      workflowType: instance.compiled.name,
      seq: event.seq,
      time: event.time,
      activity: pending.activity,
      scheduledSeq: pending.scheduledSeq,
      predicted: this.predictedOf(pending),
      actual: event.payload.result,
      source: pending.source,
      outliers: pending.outliers,
      actualVector: actualVector.slice(),
      predictedVector: predictedVector.slice(),
      comparison,
      threshold: this.options.threshold,
      bands: this.bands,
      missingWeight: this.missingWeight,
    });
    this.options.onAnomaly?.(report);
  }
}
