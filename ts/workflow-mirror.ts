/**
 * `WorkflowMirror`: the primary, its mirror and the comparison between them, wired together.
 * The primary appends to the log; the log's stream is duplicated to the mirror; after events,
 * the comparison policy runs fleet rounds and single-row checks on the chosen comparator, and
 * the detector raises reports to the configured sinks.
 */

import { AdaptiveTolerance, type AdaptiveToleranceOptions, type ToleranceChange } from './anomaly/adaptive-tolerance.js';
import { callbackSink } from './anomaly/callback-sink.js';
import { commandMismatchReport } from './anomaly/command-mismatch-report.js';
import { ComparisonPolicy, type ComparisonSchedule } from './anomaly/comparison-policy.js';
import {
  AnomalyDetector,
  type ComparisonRound,
  type DetectorFleet,
  type DetectorStats,
  type FieldValue,
} from './anomaly/detector.js';
import { AnomalyFanout } from './anomaly/fanout.js';
import { JsonlFileSink } from './anomaly/jsonl-sink.js';
import type { AnomalyReport } from './anomaly/report.js';
import type { SeverityBands } from './anomaly/severity.js';
import type { AnomalySink } from './anomaly/sink.js';
import { SqliteAnomalyStore } from './anomaly/sqlite-anomaly-store.js';
import type { WorkflowMirrorError } from './base-error.js';
import type { Clock } from './clock/clock.js';
import { SystemClock } from './clock/system-clock.js';
import { VirtualClock } from './clock/virtual-clock.js';
import type { FallbackComparator } from './compare/fallback-comparator.js';
import { type AcceleratorOptions, createComparator } from './compare/select-backend.js';
import type { ActivityImplementations } from './engine/activity-runner.js';
import { diagnose } from './engine/diagnose.js';
import { type Fault, FaultPlan, type FiredFault } from './engine/faults.js';
import type { Fleet } from './engine/fleet.js';
import { FleetRegistry } from './engine/fleet.js';
import {
  type MirrorCheckpointOptions,
  MirrorEngine,
  type MirrorInstance,
  type MirrorStats,
  type NonDeterminismFinding,
} from './engine/mirror-engine.js';
import { PrimaryEngine, type PrimaryStats } from './engine/primary-engine.js';
import type { EventLog, FencedLog } from './history/event-log.js';
import { type HistoryEvent, isClosingEvent } from './history/events.js';
import { MemoryEventLog } from './history/memory-event-log.js';
import { SqliteEventLog } from './history/sqlite-event-log.js';
import { type FleetWhatIfOptions, type FleetWhatIfResult, fleetWhatIf } from './predict/fleet-what-if.js';
import { HistoryForecaster, type HistoryForecasterOptions } from './predict/history-forecast.js';
import { type InstancePrediction, predictInstance } from './predict/instance-prediction.js';
import { LeadMode, type LeadModeOptions } from './predict/lead-mode.js';
import { type HypotheticalEvent, type WhatIfResult, whatIf } from './predict/what-if.js';
import { InProcessTee } from './stream/in-process-tee.js';
import type { AnyWorkflowDefinition } from './workflow/define.js';

/** Where the history lives. */
export type LogOption =
  | {
      readonly kind: 'sqlite';
      readonly path?: string;
      readonly groupCommit?: { readonly maxBatch?: number; readonly maxDelayMs?: number };
    }
  | { readonly kind: 'memory' }
  | { readonly kind: 'custom'; readonly log: EventLog };

/** Options of {@link WorkflowMirror.open}. */
export interface WorkflowMirrorOptions {
  readonly workflows: readonly AnyWorkflowDefinition[];
  /** Activity implementations, used by the primary only. */
  readonly activities: ActivityImplementations;
  /** Default: SQLite at `./wfmirror.db`. */
  readonly log?: LogOption;
  readonly compare?: {
    readonly every?: ComparisonSchedule;
    /** A deviation above this is an anomaly. Default 0: any unexplained difference. */
    readonly threshold?: number;
    readonly severity?: SeverityBands;
    readonly missingWeight?: number;
    /**
     * Learn each numeric field's benign drift and raise its tolerance to cover it, within bounds
     * (ts/anomaly/adaptive-tolerance.ts): after each fleet round, the aligned rows are sampled.
     * Learning pauses (past a field's calibration window) while the fleet has an anomaly open; every
     * change is kept in {@link WorkflowMirror.toleranceChanges} with its reason. The tolerances
     * changed are the pair's own (its fleets' layouts), used by every comparison and lead mode.
     */
    readonly adaptiveTolerance?: Omit<AdaptiveToleranceOptions, 'paused' | 'fieldNames'>;
  };
  /**
   * Which comparison backend runs the batches: `{ backend: 'auto' }` (default) follows the hardware
   * profile detected here; a backend name, a profile (built-in name, file, or object) and backend
   * settings can be given. Whatever is chosen falls back to the next backend, then `js`, on failure.
   */
  readonly accelerator?: AcceleratorOptions;
  readonly anomalies?: {
    /** Append each report as a JSON line to this file. */
    readonly jsonl?: string;
    /** Keep reports queryable in SQLite (default: beside a SQLite log; false to disable). */
    readonly store?: boolean | string;
    /** More sinks of your own. */
    readonly sinks?: readonly AnomalySink[];
  };
  readonly onAnomaly?: (report: AnomalyReport) => void;
  /**
   * Lead mode (ts/predict/lead-mode.ts): the mirror speculates on each scheduled activity's
   * predicted result and reports a real result outside its prediction (`unexpected-activity-result`)
   * through the same sinks; `predict()` then tells what each instance expects next. Off by default:
   * it costs the mirror some of its replay speed (bench/results/lead.md). The threshold
   * defaults to `compare.threshold`.
   */
  readonly lead?: Omit<LeadModeOptions, 'threshold' | 'onAnomaly'> & { readonly threshold?: number };
  /**
   * History forecast (ts/predict/history-forecast.ts): from each instance's event rate, when its
   * history reaches `limit` (events or bytes); an `info` report (`history-limit`) is raised once
   * that is within `horizonMs` of the pair's clock. Sizes are estimated from the payloads' JSON.
   */
  readonly history?: Omit<HistoryForecasterOptions, 'clock' | 'onReport' | 'sink' | 'onError'>;
  /**
   * Memory for long runs. By default every instance stays in memory after it closes (what-if,
   * predict and diagnosis can still read it), so a pair that runs for days grows without bound
   * (about 1 KB per instance: bench/results/retention.md). With `closed: n`, only the newest `n`
   * closed (completed or failed) instances are kept: an older one is compared one last time (a
   * report it raises is written first), then evicted from both engines, and its matrix row is
   * reused by a later instance. The log keeps every history; an evicted id still cannot be
   * started again. Incremental checkpoints cannot span an eviction (take full ones).
   */
  readonly retention?: { readonly closed: number };
  /** Errors no call waits for (a handler that threw mid-run, a stalled instance). */
  readonly onError?: (error: WorkflowMirrorError) => void;
  /** Default: the system clock. Pass a VirtualClock for tests and simulations. */
  readonly clock?: Clock;
  /** Faults to inject into the primary (tests and the demo). */
  readonly faults?: readonly Fault[];
  /** Make Date.now / Math.random throw inside handlers. Default true. */
  readonly guardDeterminism?: boolean;
}

/** Lag of the mirror behind the primary, per workflow type. */
export interface LagReport {
  readonly workflowType: string;
  /** Instances whose primary and mirror are at different seqs. */
  readonly laggingInstances: number;
  /** Largest seq difference (primary ahead positive, mirror ahead negative). */
  readonly maxLag: number;
}

/** Counters of a run. */
export interface MirrorRunStats {
  readonly primary: Readonly<PrimaryStats>;
  readonly mirror: Readonly<MirrorStats>;
  readonly comparisons: Readonly<DetectorStats>;
  readonly backend: string;
  readonly lag: readonly LagReport[];
  readonly faultsFired: readonly FiredFault[];
  /** Instances each engine holds now: what runs plus the closed ones kept (see `retention`). */
  readonly instancesHeld: { readonly primary: number; readonly mirror: number };
}

/** What {@link WorkflowMirror.predict} says of one instance. */
/** Tolerance changes kept by a pair (the newest). */
const MAX_TOLERANCE_CHANGES = 1_000;

/** The name under which a WorkflowMirror's own mirror reports its position to the log. */
export const IN_PROCESS_MIRROR = 'in-process mirror';

/** A primary and its mirror, compared. */
export class WorkflowMirror {
  readonly primary: PrimaryEngine;
  readonly mirror: MirrorEngine;
  readonly detector: AnomalyDetector;
  readonly log: EventLog;
  readonly clock: Clock;
  /** The SQLite anomaly store, when reports are kept. */
  readonly store: SqliteAnomalyStore | undefined;
  private readonly fleets: FleetRegistry;
  private readonly tee: InProcessTee;
  private readonly policy: ComparisonPolicy;
  /** The comparison backends in use: the fallback chain, its per-backend batch counts and failures. */
  readonly comparator: FallbackComparator;
  /** Lead mode, when `lead` was given to {@link WorkflowMirror.open}. */
  readonly lead: LeadMode | undefined;
  /** Tolerance changes made by adaptive tolerance (`compare.adaptiveTolerance`), the newest 1,000. */
  readonly toleranceChanges: (ToleranceChange & { readonly workflowType: string })[] = [];
  private readonly adaptive = new Map<Fleet, AdaptiveTolerance>();
  /** History forecast, when `history` was given to {@link WorkflowMirror.open}. */
  readonly history: HistoryForecaster | undefined;
  private readonly sink: AnomalyFanout;
  private readonly faultPlan: FaultPlan | undefined;
  private readonly dueRows = new Map<Fleet, Set<number>>();
  private readonly detectorFleets = new Map<Fleet, DetectorFleet>();
  private readonly pending = new Set<Promise<unknown>>();
  private roundRunning = false;
  private roundAgain = false;
  private readonly ownsLog: boolean;
  private closed = false;
  /** Closed instances to keep (`retention.closed`); undefined keeps every one. */
  private readonly keepClosed: number | undefined;
  /** Closed instances in the order they closed, oldest first, from `closedHead` on (see `retention`). */
  private closedQueue: { readonly fleet: Fleet; readonly workflowId: string }[] = [];
  private closedHead = 0;
  private evicting = false;

  private constructor(
    options: WorkflowMirrorOptions,
    log: EventLog,
    ownsLog: boolean,
    store: SqliteAnomalyStore | undefined,
    comparator: FallbackComparator,
  ) {
    this.log = log;
    this.ownsLog = ownsLog;
    this.keepClosed = retentionOf(options.retention);
    this.store = store;
    this.comparator = comparator;
    this.clock = options.clock ?? new SystemClock();
    // Matrices go where the comparator reads them in place (wasm memory), or on the heap.
    this.fleets = new FleetRegistry(options.workflows, comparator.storage);
    for (const fleet of this.fleets.all()) this.dueRows.set(fleet, new Set());
    const sinks: AnomalySink[] = [];
    if (store !== undefined) sinks.push(store);
    if (options.anomalies?.jsonl !== undefined) sinks.push(new JsonlFileSink(options.anomalies.jsonl));
    if (options.onAnomaly !== undefined) sinks.push(callbackSink(options.onAnomaly));
    sinks.push(...(options.anomalies?.sinks ?? []));
    this.sink = new AnomalyFanout(sinks);
    this.faultPlan = options.faults !== undefined && options.faults.length > 0 ? new FaultPlan(options.faults) : undefined;
    this.policy = new ComparisonPolicy(options.compare?.every ?? {}, this.clock);
    this.detector = new AnomalyDetector({
      comparator,
      threshold: options.compare?.threshold ?? 0,
      ...(options.compare?.severity !== undefined ? { bands: options.compare.severity } : {}),
      ...(options.compare?.missingWeight !== undefined ? { missingWeight: options.compare.missingWeight } : {}),
      clock: this.clock,
      sink: this.sink,
      diagnose: async (_fleet, workflowId) =>
        diagnose(this.primary.instance(workflowId), this.mirror.instance(workflowId), await this.log.readInstance(workflowId)),
      describe: (fleet, side, workflowId, field, encoded) => this.describeField(fleet, side, workflowId, field, encoded),
      onClean: (fleet, row, seq) => this.primary.forgetDeliveries(fleet.index.idOf(row), seq),
    });
    const adaptive = options.compare?.adaptiveTolerance;
    if (adaptive !== undefined) {
      for (const fleet of this.fleets.all()) {
        const workflowType = fleet.compiled.name;
        this.adaptive.set(
          fleet,
          new AdaptiveTolerance(fleet.compiled.layout, {
            ...adaptive,
            fieldNames: fleet.compiled.layout.names,
            paused: () => this.detector.openCount(workflowType) > 0,
            onChange: (change) => {
              this.toleranceChanges.push({ ...change, workflowType });
              if (this.toleranceChanges.length > MAX_TOLERANCE_CHANGES) this.toleranceChanges.shift();
              adaptive.onChange?.(change);
            },
          }),
        );
      }
    }
    this.history =
      options.history === undefined
        ? undefined
        : new HistoryForecaster({
            ...options.history,
            clock: this.clock,
            onReport: (report) => this.track(this.detector.raise(report)),
          });
    const guardDeterminism = options.guardDeterminism ?? true;
    this.lead =
      options.lead === undefined
        ? undefined
        : new LeadMode({
            guardDeterminism,
            ...options.lead,
            threshold: options.lead.threshold ?? options.compare?.threshold ?? 0,
            onAnomaly: (report) => this.track(Promise.resolve(this.sink.write(report))),
          });
    const lead = this.lead;
    this.mirror = new MirrorEngine({
      fleets: this.fleets,
      guardDeterminism,
      ...(lead === undefined ? {} : { onBeforeApply: lead.onBeforeApply }),
      onApplied: this.mirrorHook(lead, this.history),
      onNonDeterminism: (finding) => this.track(this.raiseNonDeterminism(finding)),
      onUnapplied: (unapplied) => {
        if (unapplied.reason === 'gap') this.track(this.catchUp(unapplied.event.workflowId));
      },
    });
    this.primary = new PrimaryEngine({
      log,
      fleets: this.fleets,
      activities: options.activities,
      clock: this.clock,
      guardDeterminism,
      ...(this.faultPlan !== undefined ? { faults: this.faultPlan } : {}),
      onApplied: (instance, event, fleet) => this.afterPrimaryApplied(fleet, instance.row, event),
      ...(options.onError !== undefined ? { onError: options.onError } : {}),
    });
    // The mirror hears only the duplicated stream; it holds no reference to the primary.
    this.tee = new InProcessTee(log, [(events) => this.mirror.apply(events)]);
  }

  /** Opens the log and the anomaly store and wires a primary to its mirror. */
  static async open(options: WorkflowMirrorOptions): Promise<WorkflowMirror> {
    retentionOf(options.retention); // refused before anything is opened, so nothing is left open
    const logOption = options.log ?? { kind: 'sqlite' };
    let log: EventLog;
    let ownsLog = true;
    let sqlitePath: string | undefined;
    switch (logOption.kind) {
      case 'memory':
        log = new MemoryEventLog();
        break;
      case 'custom':
        log = logOption.log;
        ownsLog = false;
        break;
      case 'sqlite':
        sqlitePath = logOption.path ?? './wfmirror.db';
        log = await SqliteEventLog.open({
          path: sqlitePath,
          ...(logOption.groupCommit !== undefined ? { groupCommit: logOption.groupCommit } : {}),
        });
        break;
    }
    const storeOption = options.anomalies?.store;
    const storePath = typeof storeOption === 'string' ? storeOption : storeOption === false ? undefined : sqlitePath;
    const store = storePath !== undefined ? SqliteAnomalyStore.open({ path: storePath }) : undefined;
    const comparator = await createComparator(options.accelerator ?? {});
    return new WorkflowMirror(options, log, ownsLog, store, comparator);
  }

  /** Starts an instance on the primary (the mirror follows through the stream). */
  start(workflowType: string, workflowId: string, input?: unknown): Promise<void> {
    return this.primary.start(workflowType, workflowId, input);
  }

  /** Sends a signal to a running instance. */
  signal(workflowId: string, name: string, payload?: unknown): Promise<void> {
    return this.primary.signal(workflowId, name, payload);
  }

  /** Waits until the primary is idle and every comparison and report it caused has finished. */
  async drain(): Promise<void> {
    for (;;) {
      await this.primary.whenIdle();
      if (this.pending.size === 0) return;
      await Promise.all([...this.pending]);
    }
  }

  /**
   * On a virtual clock: drains, fires the next due timers, and repeats until nothing is left to
   * do. Returns the virtual time reached.
   */
  async settle(): Promise<number> {
    const clock = this.clock;
    if (!(clock instanceof VirtualClock)) throw new TypeError('settle() needs a VirtualClock; with a real clock, use drain()');
    await this.drain();
    while (clock.fireNext()) await this.drain();
    return clock.now();
  }

  /**
   * What would happen to `workflowId` if `events` arrived (from its current seq, or after `fromSeq`
   * of its history): a fork of its mirrored state runs them with the same handlers; nothing
   * reaches the primary, the log or an activity. See ts/predict/what-if.ts.
   * @throws WhatIfError
   */
  async whatIf(workflowId: string, events: readonly HypotheticalEvent[], options?: { fromSeq?: number }): Promise<WhatIfResult> {
    // No drain: activities in flight may never return (that may be the very question); the
    // mirror holds every durable event already, delivered by the tee at commit.
    return whatIf({
      log: this.log,
      mirror: this.mirror,
      workflowId,
      events,
      ...(options?.fromSeq === undefined ? {} : { fromSeq: options.fromSeq }),
    });
  }

  /**
   * One hypothesis over every instance of `workflowType` (e.g. every open `charge` fails): the
   * mirror's instances are forked in memory, the hypothesis's events applied with the same
   * handlers, and the forked fleet compared with the real one on this pair's comparator. Nothing
   * reaches the primary, the log or an activity. See ts/predict/fleet-what-if.ts.
   */
  async whatIfFleet(workflowType: string, hypothesis: FleetWhatIfOptions['hypothesis']): Promise<FleetWhatIfResult> {
    // No drain, as in whatIf.
    return fleetWhatIf({ mirror: this.mirror, workflowType, hypothesis, comparator: this.comparator });
  }

  /**
   * What the mirror expects next for `workflowId` (needs `lead`): the activities it waits for with
   * their predicted results and where each prediction comes from (the definition's `predict`, or
   * the learner with its sample count and spread), the timers it waits for, and the predicted
   * state after them (`lookahead` steps). Undefined for an unknown instance.
   * @throws TypeError when the pair was opened without `lead`
   */
  predict(workflowId: string): InstancePrediction | undefined {
    if (this.lead === undefined) throw new TypeError('predict() needs lead mode: WorkflowMirror.open({ lead: {} })');
    return predictInstance(this.mirror, this.lead, workflowId);
  }

  /** Compares every instance of every fleet now (the final check of a run). */
  async compareAll(): Promise<ComparisonRound[]> {
    await this.drain();
    const rounds: ComparisonRound[] = [];
    for (const fleet of this.fleets.all()) rounds.push(await this.compareFleet(fleet));
    await this.sink.flush();
    return rounds;
  }

  /** Lag per workflow type. */
  lag(): LagReport[] {
    return this.fleets.all().map((fleet) => {
      let laggingInstances = 0;
      let maxLag = 0;
      for (let row = 0; row < fleet.index.size; row++) {
        const p = fleet.primary.seqOf(row);
        const m = fleet.mirror.seqOf(row);
        const lag = (Number.isFinite(p) ? p : 0) - (Number.isFinite(m) ? m : 0);
        if (lag !== 0) {
          laggingInstances++;
          if (Math.abs(lag) > Math.abs(maxLag)) maxLag = lag;
        }
      }
      return { workflowType: fleet.compiled.name, laggingInstances, maxLag };
    });
  }

  /** Counters of the run so far. */
  stats(): MirrorRunStats {
    return {
      primary: this.primary.stats,
      mirror: this.mirror.stats,
      comparisons: this.detector.stats,
      backend: this.comparator.name,
      lag: this.lag(),
      faultsFired: this.faultPlan?.fired ?? [],
      instancesHeld: { primary: this.primary.instanceCount, mirror: this.mirror.instanceCount },
    };
  }

  /**
   * Drains, then writes a checkpoint of the mirror (see {@link MirrorEngine.checkpoint}): full by
   * default, `{ incremental: true }` for what changed since the previous one. A mirror restarts
   * from it with `MirrorEngine.restore` plus the log after its `position`. The primary is not in
   * it: what a new primary resumes from is the log.
   */
  async checkpoint(options?: MirrorCheckpointOptions): Promise<Uint8Array> {
    await this.drain();
    return this.mirror.checkpoint(options);
  }

  /** Drains, flushes the sinks and closes the log (if this object opened it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.drain();
    // Leave the in-process mirror's last position in a fenced log, for `wfmirror status`; best
    // effort: closing must not fail because a report could not be written.
    const log = this.log as Partial<FencedLog>;
    if (typeof log.reportMirrorPosition === 'function') {
      await log
        .reportMirrorPosition({ name: IN_PROCESS_MIRROR, position: this.mirror.position, time: Date.now() })
        .catch(() => undefined);
    }
    this.tee.close();
    await this.sink.close();
    this.comparator.dispose();
    if (this.ownsLog) await this.log.close();
  }

  private detectorFleet(fleet: Fleet): DetectorFleet {
    let view = this.detectorFleets.get(fleet);
    if (view === undefined) {
      view = {
        name: fleet.compiled.name,
        layout: fleet.compiled.layout,
        primary: fleet.primary,
        mirror: fleet.mirror,
        index: fleet.index,
      };
      this.detectorFleets.set(fleet, view);
    }
    return view;
  }

  private afterPrimaryApplied(fleet: Fleet, row: number, event: HistoryEvent): void {
    if (this.policy.onEvent()) this.requestRound();
    if (fleet.compiled.isSignificant(event)) {
      this.dueRows.get(fleet)!.add(row);
    }
    this.compareIfAligned(fleet, row);
    // The mirror may hear of a close before the primary has applied it (the log delivers at
    // commit, before the append resolves): an eviction waiting for this primary goes on now.
    if (this.keepClosed !== undefined && isClosingEvent(event.type)) {
      this.evictOverRetention();
    }
  }

  /** The mirror's onApplied: the aligned-row check, then lead mode and history forecast when on. */
  private mirrorHook(
    lead: LeadMode | undefined,
    history: HistoryForecaster | undefined,
  ): (instance: MirrorInstance, event: HistoryEvent, fleet: Fleet) => void {
    if (lead === undefined && history === undefined)
      return (instance, event, fleet) => this.afterMirrorApplied(fleet, instance, event);
    return (instance, event, fleet) => {
      lead?.onApplied(instance, event, fleet);
      history?.observe(event, undefined, fleet.compiled.name);
      // Last: it may evict the instance, which the hooks above still read.
      this.afterMirrorApplied(fleet, instance, event);
    };
  }

  private afterMirrorApplied(fleet: Fleet, instance: MirrorInstance, event: HistoryEvent): void {
    this.compareIfAligned(fleet, instance.row);
    if (this.keepClosed !== undefined && isClosingEvent(event.type)) {
      this.closedQueue.push({ fleet, workflowId: instance.workflowId });
      this.evictOverRetention();
    }
  }

  /** Closed instances still held beyond `retention.closed`. */
  private get overRetention(): number {
    return this.closedQueue.length - this.closedHead - this.keepClosed!;
  }

  /**
   * Evicts the oldest closed instances until `retention.closed` remain. Synchronous while each
   * last comparison is (a clean row); a deviating row's report is awaited before its instance goes,
   * and evictions after it wait their turn.
   */
  private evictOverRetention(): void {
    if (this.evicting) return;
    while (this.overRetention > 0) {
      const { fleet, workflowId } = this.closedQueue[this.closedHead]!;
      const onPrimary = this.primary.instance(workflowId);
      // Both sides must have closed it; the primary's own hook calls again once it has. One the
      // primary stalled on (its log failed after the close was written) is left to resume: kept.
      if (onPrimary?.status === 'running' && onPrimary.stalled === undefined) return;
      this.closedHead++;
      if (onPrimary?.status === 'running') continue;
      if (this.closedHead > 1024 && this.closedHead * 2 > this.closedQueue.length) {
        this.closedQueue = this.closedQueue.slice(this.closedHead);
        this.closedHead = 0;
      }
      const compared = this.lastComparison(fleet, workflowId);
      if (compared === undefined) {
        this.evict(fleet, workflowId);
        continue;
      }
      this.evicting = true;
      this.track(
        compared.then(
          () => this.evictAfterReport(fleet, workflowId),
          (error: unknown) => {
            this.evictAfterReport(fleet, workflowId);
            throw error;
          },
        ),
      );
      return;
    }
  }

  private evictAfterReport(fleet: Fleet, workflowId: string): void {
    this.evict(fleet, workflowId);
    this.evicting = false;
    this.evictOverRetention();
  }

  /** Compares a closing instance's row once more if both sides stand at its last seq; a Promise while a report is written. */
  private lastComparison(fleet: Fleet, workflowId: string): Promise<ComparisonRound> | undefined {
    const row = fleet.index.get(workflowId);
    if (row === undefined) return undefined;
    const seq = fleet.primary.seqOf(row);
    if (!(seq > 0) || seq !== fleet.mirror.seqOf(row)) return undefined;
    const round = this.detector.compareRow(this.detectorFleet(fleet), row);
    return round instanceof Promise ? round : undefined;
  }

  /** Evicts a closed instance from both engines and forgets its row (see `retention`). */
  private evict(fleet: Fleet, workflowId: string): void {
    const row = fleet.index.get(workflowId);
    this.primary.evict(workflowId);
    this.mirror.evict(workflowId);
    // Its closing append resolved before the primary closed it (we waited for that): none is pending.
    this.log.forgetInstance?.(workflowId);
    if (row !== undefined && fleet.index.get(workflowId) === undefined) {
      this.dueRows.get(fleet)!.delete(row);
      this.detector.forgetRow(fleet.compiled.name, row);
    }
  }

  /** A significant event's row is compared as soon as both sides stand at the same seq. */
  private compareIfAligned(fleet: Fleet, row: number): void {
    const due = this.dueRows.get(fleet)!;
    if (due.size === 0 || !due.has(row)) return;
    if (fleet.primary.seqOf(row) !== fleet.mirror.seqOf(row)) return;
    due.delete(row);
    const round = this.detector.compareRow(this.detectorFleet(fleet), row);
    if (round instanceof Promise) this.track(round);
  }

  /** One fleet round, then adaptive tolerance learns from the rows it found aligned. */
  private compareFleet(fleet: Fleet): Promise<ComparisonRound> {
    const round = this.detector.compareFleet(this.detectorFleet(fleet));
    const adaptive = this.adaptive.get(fleet);
    // No extra turn when nothing learns: a round's timing against the engines stays as it was.
    if (adaptive === undefined) return round;
    return round.then((done) => {
      adaptive.observe(fleet.primary, fleet.mirror, { start: 0, count: fleet.index.size });
      return done;
    });
  }

  private requestRound(): void {
    if (this.roundRunning) {
      this.roundAgain = true;
      return;
    }
    this.roundRunning = true;
    this.track(this.runRounds());
  }

  private async runRounds(): Promise<void> {
    try {
      do {
        this.roundAgain = false;
        this.policy.roundStarted();
        for (const fleet of this.fleets.all()) await this.compareFleet(fleet);
      } while (this.roundAgain);
    } finally {
      this.roundRunning = false;
    }
  }

  private async raiseNonDeterminism(finding: NonDeterminismFinding): Promise<void> {
    await this.detector.raise(
      commandMismatchReport({ ...finding, versionSkew: finding.instance.versionSkew }, this.detector.threshold, this.clock.now()),
    );
  }

  /** Re-reads an instance's tail from the log after the mirror saw a gap in the stream. */
  private async catchUp(workflowId: string): Promise<void> {
    // An instance evicted meanwhile (closed: its history is complete) must not be replayed back in.
    const instance = this.mirror.instance(workflowId);
    if (instance === undefined) return;
    this.mirror.apply(await this.log.readInstance(workflowId, instance.seq + 1));
  }

  private describeField(
    fleet: DetectorFleet,
    side: 'primary' | 'mirror',
    workflowId: string,
    field: number,
    encoded: number,
  ): FieldValue {
    if (fleet.layout.kinds[field] === 'str' && !Number.isNaN(encoded)) {
      const instance = side === 'primary' ? this.primary.instance(workflowId) : this.mirror.instance(workflowId);
      const value = instance?.state[fleet.layout.names[field]!];
      if (typeof value === 'string') return value;
    }
    return fleet.layout.decodeField(field, encoded);
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => console.error('wfmirror: comparison failed:', error));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }
}

/** `retention.closed`, checked; undefined when no retention was asked for. */
function retentionOf(retention: WorkflowMirrorOptions['retention']): number | undefined {
  if (retention === undefined) return undefined;
  const closed: unknown = (retention as { closed?: unknown } | null)?.closed;
  if (typeof closed !== 'number' || !Number.isSafeInteger(closed) || closed < 0) {
    throw new TypeError(`retention.closed must be a non-negative integer (closed instances to keep), got ${String(closed)}`);
  }
  return closed;
}
