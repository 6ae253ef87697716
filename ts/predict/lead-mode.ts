/**
 * Lead mode (issue 6, part 1): when the primary schedules an activity, the mirror does not wait.
 * It predicts the result (the activity's `predict`, else a {@link LearnedPredictor}), runs the
 * completed handler on a speculative branch (a copy of the state; see speculative-runner.ts) and
 * keeps the predicted state vector. When the real completion lands, the mirror's real vector after
 * it is compared with the predicted one by the reference rule (compareRowsSync); past the threshold,
 * and for learned predictions only when the result is also outside the learned spread, an
 * `unexpected-activity-result` report is raised. Then the speculation is dropped.
 *
 * Wiring: `new MirrorEngine({ fleets, onApplied: lead.onApplied })`. Lead mode only reads the real
 * instance and its matrix row; the replayed state is the same as a mirror's without it.
 *
 * Each prediction is computed from the state just before its completion: when another inbound event
 * (a sibling activity's completion, a timer, a signal) changes the instance first, the pending
 * speculations are run again from the new state ("rebased"). Otherwise a sibling's effect would be
 * blamed on the activity being checked.
 */
import { defaultBands, type SeverityBands, validateBands } from '../anomaly/severity.js';
import { type ComparisonOutput, compareRowsSync } from '../compare/backends/js.js';
import { DEFAULT_MISSING_WEIGHT } from '../compare/comparator.js';
import { callGuarded } from '../engine/determinism-guard.js';
import type { Fleet } from '../engine/fleet.js';
import type { MirrorInstance } from '../engine/mirror-engine.js';
import type { HistoryEvent, Json } from '../history/events.js';
import { PredictionError, SpeculationError } from './errors.js';
import { LearnedPredictor, type OutlierField } from './learned-predictor.js';
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
  /** Guard Date.now / Math.random in handlers and predictions on the branch, as the mirror does. Default true. */
  readonly guardDeterminism?: boolean;
  readonly onAnomaly?: (report: UnexpectedResultReport) => void;
  /** A prediction or a speculative handler failed; the speculation was skipped and the mirror went on. */
  readonly onError?: (error: PredictionError | SpeculationError) => void;
}

/** Counters of lead mode. */
export interface LeadModeStats {
  /** Speculations run (first runs and rebases). */
  speculations: number;
  rebases: number;
  /** Scheduled activities with no prediction (no `predict`, too few learned samples). */
  unpredicted: number;
  predictionErrors: number;
  speculationErrors: number;
  /** Real completions compared with their prediction. */
  checked: number;
  /** Checked completions past the threshold but inside the learned spread: not reported. */
  withinSpread: number;
  anomalies: number;
  /** Real completions with no speculation to compare (unpredicted, failed, or scheduled before lead mode). */
  unmatched: number;
}

/** A pending speculation, as {@link LeadMode.speculation} shows it. */
export interface PendingPrediction {
  readonly activity: string;
  readonly scheduledSeq: number;
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
  readonly predicted: unknown;
  readonly source: PredictionSource;
  vector: Float64Array | undefined;
  step: BranchStep | undefined;
}

interface Lead {
  readonly pending: Pending[];
  branch: Record<string, unknown> | undefined;
  steps: number;
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
    rebases: 0,
    unpredicted: 0,
    predictionErrors: 0,
    speculationErrors: 0,
    checked: 0,
    withinSpread: 0,
    anomalies: 0,
    unmatched: 0,
  };
  readonly predictor: LearnedPredictor;
  private readonly leads = new Map<MirrorInstance, Lead>();
  private readonly runner: SpeculativeRunner;
  private readonly guard: boolean;
  private readonly lookahead: number;
  private readonly bands: SeverityBands;
  private readonly missingWeight: number;
  private readonly box: Box = { value: undefined };
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
    this.guard = options.guardDeterminism ?? true;
    this.runner = new SpeculativeRunner(this.guard);
    this.predictor = options.predictor ?? new LearnedPredictor();
    this.bands =
      options.bands !== undefined ? validateBands(options.bands, 'options.bands') : defaultBands(threshold, 'options.threshold');
    this.missingWeight = options.missingWeight ?? DEFAULT_MISSING_WEIGHT;
  }

  /** The MirrorEngine `onApplied` hook (bound: pass it as is). */
  readonly onApplied = (instance: MirrorInstance, event: HistoryEvent, fleet: Fleet): void => {
    switch (event.type) {
      case 'ActivityScheduled':
        if (instance.status === 'running')
          this.schedule(instance, event.seq, event.time, event.payload.name, event.payload.input);
        return;
      case 'ActivityCompleted':
        this.complete(instance, event, fleet);
        return;
      case 'ActivityFailed':
        this.settle(instance, event.payload.scheduledSeq, event.time);
        return;
      case 'TimerFired':
      case 'SignalReceived': {
        const lead = this.leads.get(instance);
        if (lead !== undefined) this.rebase(instance, lead, event.time);
        return;
      }
      case 'WorkflowCompleted':
      case 'WorkflowFailed':
        this.leads.delete(instance);
        return;
      default:
        return;
    }
  };

  /** The instance's pending predictions and branch, or undefined when nothing is speculated. */
  speculation(instance: MirrorInstance): Speculation | undefined {
    const lead = this.leads.get(instance);
    if (lead === undefined) return undefined;
    return {
      pending: lead.pending.map(({ activity, scheduledSeq, predicted, source, vector }) => ({
        activity,
        scheduledSeq,
        predicted,
        source,
        vector,
      })),
      state: lead.branch,
      steps: lead.steps,
    };
  }

  /** Instances with a speculation in flight. */
  get speculating(): number {
    return this.leads.size;
  }

  private schedule(instance: MirrorInstance, seq: number, time: number, activity: string, input: Json): void {
    const prediction = this.predict(instance, seq, activity, input);
    if (prediction === undefined) return;
    let lead = this.leads.get(instance);
    if (lead === undefined) {
      lead = { pending: [], branch: undefined, steps: 0 };
      this.leads.set(instance, lead);
    }
    const pending: Pending = { activity, scheduledSeq: seq, input, ...prediction, vector: undefined, step: undefined };
    // Command events do not change the state: the other pending speculations still hold.
    this.speculate(instance, pending, time);
    lead.pending.push(pending);
    this.advance(instance, lead, time);
  }

  /** The predicted result of a scheduled activity, or undefined (counted) when there is none. */
  private predict(
    instance: MirrorInstance,
    seq: number,
    activity: string,
    input: Json,
  ): { predicted: unknown; source: PredictionSource } | undefined {
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
      return { predicted, source: 'definition' };
    }
    const learned = this.predictor.predict(activity, input);
    if (learned === undefined) {
      this.stats.unpredicted++;
      return undefined;
    }
    return { predicted: learned.value, source: 'learned' };
  }

  /** Runs one pending prediction from the instance's current state and keeps its vector. */
  private speculate(instance: MirrorInstance, pending: Pending, time: number): void {
    this.stats.speculations++;
    const state = this.runner.copyState(instance.state);
    const step = this.runner.complete(
      instance,
      state,
      pending.activity,
      pending.scheduledSeq,
      pending.predicted,
      instance.seq + 1,
      time,
    );
    if (step instanceof BranchHandlerThrew) {
      pending.vector = undefined;
      pending.step = undefined;
      this.stats.speculationErrors++;
      this.options.onError?.(new SpeculationError(instance.workflowId, pending.activity, pending.scheduledSeq, step.error));
      return;
    }
    const layout = instance.compiled.layout;
    const vector = pending.vector ?? new Float64Array(layout.stride);
    layout.encode(step.state, vector, 0);
    pending.vector = vector;
    pending.step = step;
  }

  /** Runs every pending prediction again from the instance's new state (see the module comment). */
  private rebase(instance: MirrorInstance, lead: Lead, time: number): void {
    if (instance.status !== 'running' || lead.pending.length === 0) {
      this.leads.delete(instance);
      return;
    }
    this.stats.rebases++;
    for (const pending of lead.pending) this.speculate(instance, pending, time);
    this.advance(instance, lead, time);
  }

  /**
   * The branch: the first pending prediction's state, then up to `lookahead - 1` more predicted
   * steps (the other pending completions, then what the branch itself calls or sleeps on).
   */
  private advance(instance: MirrorInstance, lead: Lead, time: number): void {
    const first = lead.pending.find((p) => p.step !== undefined);
    lead.branch = first?.step?.state;
    lead.steps = first === undefined ? 0 : 1;
    if (first === undefined || this.lookahead === 1) return;
    // Further steps write the state: the first pending's own step must stay as computed.
    let state = this.runner.copyState(first.step!.state);
    let seq = instance.seq + 2;
    let now = time;
    const queue: { activity?: string; timer?: string; ms: number; predicted?: unknown; scheduledSeq: number }[] = [];
    for (const p of lead.pending)
      if (p !== first) queue.push({ activity: p.activity, ms: 0, predicted: p.predicted, scheduledSeq: p.scheduledSeq });
    let commands = first.step!.commands;
    while (lead.steps < this.lookahead) {
      for (const command of commands) {
        if (command.kind === 'call') {
          const prediction = this.predict(instance, seq, command.name, command.input as Json);
          if (prediction === undefined) {
            lead.branch = state;
            return;
          }
          queue.push({ activity: command.name, ms: 0, predicted: prediction.predicted, scheduledSeq: seq++ });
        } else if (command.kind === 'sleep') {
          queue.push({ timer: command.name, ms: command.ms, scheduledSeq: seq++ });
        } else {
          lead.branch = state;
          return;
        }
      }
      const next = queue.shift();
      if (next === undefined) break;
      now += next.ms;
      const step =
        next.timer !== undefined
          ? this.runner.fireTimer(instance, state, next.timer, next.scheduledSeq, seq++, now)
          : this.runner.complete(instance, state, next.activity!, next.scheduledSeq, next.predicted, seq++, now);
      if (step instanceof BranchHandlerThrew) break;
      state = step.state;
      commands = step.commands;
      lead.steps++;
    }
    lead.branch = state;
  }

  private complete(instance: MirrorInstance, event: HistoryEvent & { type: 'ActivityCompleted' }, fleet: Fleet): void {
    const { name, scheduledSeq, result } = event.payload;
    const lead = this.leads.get(instance);
    const at = lead === undefined ? -1 : lead.pending.findIndex((p) => p.scheduledSeq === scheduledSeq);
    const pending = at >= 0 ? lead!.pending[at]! : undefined;
    if (pending?.vector !== undefined) this.check(instance, event, fleet, pending);
    else this.stats.unmatched++;
    // Learned after the check: an outlier must not widen the spread it is judged by.
    if (instance.compiled.definition.activities[name]?.predict === undefined) this.predictor.observe(name, result);
    if (lead === undefined) return;
    if (at >= 0) lead.pending.splice(at, 1);
    this.rebase(instance, lead, event.time);
  }

  private settle(instance: MirrorInstance, scheduledSeq: number, time: number): void {
    const lead = this.leads.get(instance);
    if (lead === undefined) return;
    const at = lead.pending.findIndex((p) => p.scheduledSeq === scheduledSeq);
    if (at >= 0) lead.pending.splice(at, 1);
    this.rebase(instance, lead, time);
  }

  private check(
    instance: MirrorInstance,
    event: HistoryEvent & { type: 'ActivityCompleted' },
    fleet: Fleet,
    pending: Pending,
  ): void {
    this.stats.checked++;
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
    const actual = event.payload.result;
    let outliers: readonly OutlierField[] = [];
    if (pending.source === 'learned') {
      outliers = this.predictor.outliers(pending.activity, actual, {
        k: this.options.k ?? 3,
        minShare: this.options.minShare ?? 0.05,
      });
      if (outliers.length === 0) {
        this.stats.withinSpread++;
        return;
      }
    }
    this.stats.anomalies++;
    const report = buildUnexpectedResultReport(layout, {
      workflowId: instance.workflowId,
      workflowType: instance.compiled.name,
      seq: event.seq,
      time: event.time,
      activity: pending.activity,
      scheduledSeq: pending.scheduledSeq,
      predicted: pending.predicted,
      actual,
      source: pending.source,
      outliers,
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
