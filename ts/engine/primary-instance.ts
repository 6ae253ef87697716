/** What the primary keeps per instance, what it is told, and what it counts. */
import type { WorkflowMirrorError } from '../base-error.js';
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { EventLog } from '../history/event-log.js';
import type { HistoryEvent, NewEvent } from '../history/events.js';
import type { ActivityImplementations } from './activity-runner.js';
import type { Command } from './commands.js';
import type { FaultPlan } from './faults.js';
import type { Fleet, FleetRegistry } from './fleet.js';
import type { InstanceRuntime } from './instance.js';

/** What the primary remembers of an event its handler consumed (for diagnosing anomalies). */
export interface JournalEntry {
  readonly seq: number;
  readonly type: HistoryEvent['type'];
  /** The payload the handler actually received. */
  readonly payload: unknown;
}

/** An instance on the primary. */
export interface PrimaryInstance extends InstanceRuntime {
  readonly fleet: Fleet;
  /** Inbound events waiting for their step; one step runs at a time, in order. */
  readonly queue: QueuedEvent[];
  /** True while a step of this instance runs. */
  busy: boolean;
  /** Handler deliveries since the last clean comparison, newest last, at most {@link JOURNAL_LIMIT}. */
  readonly journal: JournalEntry[];
  /** Seq up to which the journal was dropped after a clean comparison (0: complete from the start). */
  journalFrom: number;
  /** Set when the log refused or failed an append; the instance (its queue intact) waits for {@link PrimaryEngine.resume}. */
  stalled: WorkflowMirrorError | undefined;
  /** Commands a handler issued whose events are not in the log yet (kept across a stall, appended first on resume). */
  unissued: { readonly triggerTime: number; readonly commands: readonly Command[] } | undefined;
  readonly timers: Set<TimerHandle>;
}

/** An instance handed to {@link PrimaryEngine.adopt}. */
export interface AdoptedInstance {
  readonly workflowId: string;
  readonly workflowType: string;
  /** The state object as of `seq` (copied). */
  readonly state: Readonly<Record<string, unknown>>;
  readonly seq: number;
  readonly status: InstanceRuntime['status'];
  readonly startedFingerprint: string;
  /** ActivityScheduled and TimerStarted events of the history still without their outcome. */
  readonly outstanding: readonly HistoryEvent[];
  /** Commands issued after the last event whose command events are not in the history. */
  readonly unissued?: { readonly triggerTime: number; readonly commands: readonly Command[] } | undefined;
}

/** An inbound event waiting for its step, and who waits for it (signals do). */
export interface QueuedEvent {
  readonly event: NewEvent;
  readonly waiter: { resolve(): void; reject(error: unknown): void } | undefined;
}

/** Deliveries kept per instance for diagnosis. */
export const JOURNAL_LIMIT = 256;

/** Options of {@link PrimaryEngine}. */
export interface PrimaryEngineOptions {
  readonly log: EventLog;
  readonly fleets: FleetRegistry;
  readonly activities: ActivityImplementations;
  readonly clock: Clock;
  /** Swap Date.now / Math.random for throwing stand-ins while handlers run. Default true. */
  readonly guardDeterminism?: boolean;
  readonly faults?: FaultPlan;
  /** Called after each event is applied (handler run or command appended), in seq order per instance. */
  readonly onApplied?: (instance: PrimaryInstance, event: HistoryEvent, fleet: Fleet) => void;
  /** Errors no caller is waiting for: a handler that threw later in a run, a stalled instance. */
  readonly onError?: (error: WorkflowMirrorError) => void;
  /**
   * The epoch this primary writes with (see FencedLog): every append carries it, so once a newer
   * owner has claimed the log, this primary's appends are refused (`FencedError`) and its
   * instances stall instead of writing after they were taken over. Default: appends carry none.
   */
  readonly epoch?: number;
}

/** Counters of a primary. */
export interface PrimaryStats {
  eventsAppended: number;
  handlersRun: number;
  activitiesRun: number;
  activityFailures: number;
  started: number;
  completed: number;
  failed: number;
  stalled: number;
  /** Closed instances forgotten by {@link PrimaryEngine.evict}. */
  evicted: number;
}
