import type { HistoryEvent, NewEvent } from './events.js';

/** Options of {@link EventLog.append}. */
export interface AppendOptions {
  /**
   * The caller hands the payload objects over: the log checks them and deep-freezes them in place
   * instead of copying them. The engines do this (values given to them become history); use it
   * only for objects nobody will change afterwards. Default false: the log keeps frozen copies.
   */
  readonly owned?: boolean;
}

/** Called with each batch of events once it is durable, in append order. */
export type EventListener = (events: readonly HistoryEvent[]) => void;

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
}
