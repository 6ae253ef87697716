import type { HistoryEvent, NewEvent } from './events.js';

/** Options of {@link EventLog.append}. */
export interface AppendOptions {
  /**
   * The caller hands the payload objects over: the log checks them and deep-freezes them in place
   * instead of copying them. The engines do this (values given to them become history); use it
   * only for objects nobody will change afterwards. Default false: the log keeps frozen copies.
   */
  readonly owned?: boolean;
  /**
   * The writer's epoch (see {@link FencedLog}). An append whose epoch is older than the log's is
   * refused with `FencedError` and nothing is written. Without it the append is not fenced.
   */
  readonly epoch?: number;
}

/** A primary's sign of life, kept by the log (the last one only). */
export interface Heartbeat {
  /** Who beats: a process or primary name. */
  readonly owner: string;
  /** The epoch the owner writes with. */
  readonly epoch: number;
  /** Clock time (ms) of the beat, on the owner's clock. */
  readonly time: number;
}

/**
 * Where a mirror stands, kept by the log (the last report per mirror name), so that a process
 * other than the mirror's (`wfmirror status`) can show each mirror's lag.
 */
export interface MirrorPosition {
  /** The mirror's name, e.g. `mirror-1`. */
  readonly name: string;
  /** The last log position it applied. */
  readonly position: number;
  /** Clock time (ms) of the report, on the mirror's clock. */
  readonly time: number;
}

/**
 * A durable batch as its log encoded it for storage: FlatBuffers `Event` buffers back to back,
 * each 8-byte aligned (ts/history/event-writer.ts). A listener that forwards events in that
 * encoding (the worker-thread mirror's ring) copies these bytes instead of encoding again. The
 * object is the listener's to keep; nothing reuses it.
 */
export interface EncodedEvents {
  readonly bytes: Uint8Array;
  /** Where event `i` of the batch starts in {@link bytes}. */
  start(i: number): number;
  /** Where event `i` of the batch ends in {@link bytes}. */
  end(i: number): number;
}

/**
 * Called with each batch of events once it is durable, in append order; `encoded` is the same
 * batch as the log stored it, from logs that encode (the SQLite log; not the memory log).
 */
export type EventListener = (events: readonly HistoryEvent[], encoded?: EncodedEvents) => void;

/**
 * An append-only, per-instance numbered history. Implementations: {@link MemoryEventLog} and
 * {@link SqliteEventLog} (the embedded default).
 */
export interface EventLog {
  /**
   * Appends `events` to `workflowId`'s history, numbering them from `expectedSeq + 1`.
   * `expectedSeq` is the seq of the last event the caller knows of (0 for a new instance); if the
   * history's head differs the append is refused with `WrongExpectedSeqError` and nothing is
   * written (optimistic concurrency). Resolves once the events are durable.
   */
  append(workflowId: string, expectedSeq: number, events: readonly NewEvent[], options?: AppendOptions): Promise<HistoryEvent[]>;
  /** Events of one instance with `fromSeq <= seq <= toSeq`, in seq order. */
  readInstance(workflowId: string, fromSeq?: number, toSeq?: number): Promise<HistoryEvent[]>;
  /** Up to `limit` events with `pos > afterPos`, in global order: how a consumer catches up. */
  readRange(afterPos: number, limit: number): Promise<HistoryEvent[]>;
  /** The seq of the instance's last event; 0 if it has none. */
  head(workflowId: string): Promise<number>;
  /** Listens to every durable batch from now on; returns the function that stops listening. */
  subscribe(listener: EventListener): () => void;
  /** Flushes what is pending and releases the log. */
  close(): Promise<void>;
  /**
   * Optional: drops what the log caches in memory of `workflowId` (its head), because the caller
   * evicted the closed instance and appends to it no more. Its history stays, and an append to it
   * is still checked against the stored head (read from storage then). Call it only when no append
   * of the instance is pending.
   */
  forgetInstance?(workflowId: string): void;
}

/**
 * An EventLog with fencing and heartbeats: what failover needs (ts/recovery). The log holds an
 * epoch, from 0; whoever takes over claims the next one with a compare-and-set, so of two racing
 * claims exactly one wins, and appends carrying an older epoch are refused from then on. Both
 * built-in logs implement it; for the SQLite log the check is made inside each commit's write
 * transaction, so it also fences a writer in another process.
 */
export interface FencedLog extends EventLog {
  /** The log's current epoch (0 for a log nobody claimed). */
  epoch(): Promise<number>;
  /**
   * Moves the epoch from `expected` to `expected + 1` and returns the new epoch.
   * @throws EpochConflictError when the epoch is not `expected` (another claim won)
   */
  claimEpoch(expected: number): Promise<number>;
  /** Records `beat` as the last heartbeat. */
  heartbeat(beat: Heartbeat): Promise<void>;
  /** The last heartbeat recorded, or undefined. */
  lastHeartbeat(): Promise<Heartbeat | undefined>;
  /**
   * The pos of the last durable event, 0 for an empty log: where a follower's position is
   * measured against (its lag), including events another process appended.
   */
  lastPosition(): Promise<number>;
  /** Records where the mirror `report.name` stands (replacing its previous report). */
  reportMirrorPosition(report: MirrorPosition): Promise<void>;
  /** The last report of every mirror, by name. */
  mirrorPositions(): Promise<MirrorPosition[]>;
  /** Forgets a mirror's reports (it was promoted or stopped): it no longer counts as following. */
  forgetMirror(name: string): Promise<void>;
}
