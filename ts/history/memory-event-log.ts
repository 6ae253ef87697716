/**
 * An EventLog held in memory: for tests, what-if forks and benchmarks (the mirror replay benchmark
 * reads millions of events from it, so reads hand out stored events without copying).
 */

import { EpochConflictError, InvalidArgumentError, LogClosedError, WrongExpectedSeqError } from './errors.js';
import type { AppendOptions, EventListener, FencedLog, Heartbeat, MirrorPosition } from './event-log.js';
import type { HistoryEvent, NewEvent } from './events.js';
import { checkEpoch, checkHeartbeat, checkMirrorPosition, checkNotFenced } from './fencing.js';
import { type ListenerErrorHandler, ListenerSet } from './listener-set.js';
import { admitEvents, checkAppendArgs, checkPosRange, checkSeqRange } from './validate-event.js';

/** Options of {@link MemoryEventLog}. */
export interface MemoryEventLogOptions {
  /** Told when a listener throws; by default the first such error is printed with console.error. */
  readonly onListenerError?: ListenerErrorHandler;
}

/**
 * Stores events in per-instance arrays (seq k at index k-1) and one global array (pos p at index
 * p-1), so head, readInstance and readRange are array lookups and slices. "Durable" here means
 * "stored in this object": an append is complete, and its listeners called, before it returns.
 * Events are deeply frozen copies of what was appended; every read shares them.
 */
export class MemoryEventLog implements FencedLog {
  readonly #instances = new Map<string, HistoryEvent[]>();
  readonly #all: HistoryEvent[] = [];
  readonly #listeners: ListenerSet;
  #closed = false;
  #epoch = 0;
  #heartbeat: Heartbeat | undefined;
  readonly #mirrors = new Map<string, MirrorPosition>();

  constructor(options: MemoryEventLogOptions = {}) {
    this.#listeners = new ListenerSet(options.onListenerError);
  }

  /** See {@link EventLog.append}. Completes synchronously; the promise only carries the result. */
  async append(
    workflowId: string,
    expectedSeq: number,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<HistoryEvent[]> {
    return this.appendSync(workflowId, expectedSeq, events, options);
  }

  /**
   * {@link append} without the promise, for benchmarks and synchronous setup code.
   * @throws MalformedEventError, InvalidArgumentError, WrongExpectedSeqError, LogClosedError
   */
  appendSync(workflowId: string, expectedSeq: number, events: readonly NewEvent[], options?: AppendOptions): HistoryEvent[] {
    if (this.#closed) throw new LogClosedError('append');
    checkAppendArgs(workflowId, expectedSeq, events);
    checkNotFenced(options?.epoch, this.#epoch, workflowId);
    const history = this.#instances.get(workflowId);
    const head = history === undefined ? 0 : history.length;
    if (head !== expectedSeq) throw new WrongExpectedSeqError(workflowId, expectedSeq, head);
    // Every event is checked before any is stored: a refused append writes nothing.
    const out = admitEvents(workflowId, head + 1, this.#all.length + 1, events, options?.owned === true);
    if (out.length === 0) return [];
    if (history === undefined) this.#instances.set(workflowId, out.slice());
    else for (const e of out) history.push(e);
    for (const e of out) this.#all.push(e);
    this.#listeners.emit(out);
    return out.slice(); // the listeners saw `out`; the caller gets its own array
  }

  /** See {@link EventLog.readInstance}. */
  async readInstance(workflowId: string, fromSeq = 1, toSeq = Number.POSITIVE_INFINITY): Promise<HistoryEvent[]> {
    this.#ensureOpen('readInstance');
    checkSeqRange(workflowId, fromSeq, toSeq);
    const history = this.#instances.get(workflowId);
    if (history === undefined || toSeq < fromSeq) return [];
    return history.slice(Math.max(fromSeq, 1) - 1, Math.min(toSeq, history.length));
  }

  /** See {@link EventLog.readRange}. */
  async readRange(afterPos: number, limit: number): Promise<HistoryEvent[]> {
    this.#ensureOpen('readRange');
    checkPosRange(afterPos, limit);
    return this.#all.slice(afterPos, Math.min(afterPos + limit, this.#all.length));
  }

  /** See {@link EventLog.head}. */
  async head(workflowId: string): Promise<number> {
    this.#ensureOpen('head');
    if (typeof workflowId !== 'string') throw new InvalidArgumentError('workflowId', 'must be a string');
    return this.#instances.get(workflowId)?.length ?? 0;
  }

  /** See {@link EventLog.subscribe}. @throws LogClosedError */
  subscribe(listener: EventListener): () => void {
    this.#ensureOpen('subscribe');
    return this.#listeners.add(listener);
  }

  /** See {@link FencedLog.epoch}. */
  async epoch(): Promise<number> {
    this.#ensureOpen('epoch');
    return this.#epoch;
  }

  /** See {@link FencedLog.claimEpoch}. */
  async claimEpoch(expected: number): Promise<number> {
    this.#ensureOpen('claimEpoch');
    checkEpoch(expected, 'expected');
    if (expected !== this.#epoch) throw new EpochConflictError(expected, this.#epoch);
    this.#epoch = expected + 1;
    return this.#epoch;
  }

  /** See {@link FencedLog.heartbeat}. */
  async heartbeat(beat: Heartbeat): Promise<void> {
    this.#ensureOpen('heartbeat');
    this.#heartbeat = checkHeartbeat(beat);
  }

  /** See {@link FencedLog.lastPosition}. */
  async lastPosition(): Promise<number> {
    this.#ensureOpen('lastPosition');
    return this.#all.length;
  }

  /** See {@link FencedLog.reportMirrorPosition}. */
  async reportMirrorPosition(report: MirrorPosition): Promise<void> {
    this.#ensureOpen('reportMirrorPosition');
    const checked = checkMirrorPosition(report);
    this.#mirrors.set(checked.name, checked);
  }

  /** See {@link FencedLog.mirrorPositions}. */
  async mirrorPositions(): Promise<MirrorPosition[]> {
    this.#ensureOpen('mirrorPositions');
    return [...this.#mirrors.values()];
  }

  /** See {@link FencedLog.forgetMirror}. */
  async forgetMirror(name: string): Promise<void> {
    this.#ensureOpen('forgetMirror');
    this.#mirrors.delete(name);
  }

  /** See {@link FencedLog.lastHeartbeat}. */
  async lastHeartbeat(): Promise<Heartbeat | undefined> {
    this.#ensureOpen('lastHeartbeat');
    return this.#heartbeat;
  }

  /** Refuses further calls; the events stay readable by whoever holds them. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Number of events in the log (the last pos). */
  get size(): number {
    return this.#all.length;
  }

  #ensureOpen(operation: string): void {
    if (this.#closed) throw new LogClosedError(operation);
  }
}
