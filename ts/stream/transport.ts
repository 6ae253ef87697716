/**
 * The cross-machine event stream, as an interface a broker implements (Redis Streams today, see
 * ts/stream/redis; a Kafka transport would implement the same, docs/DEPLOYMENT.md says how).
 *
 * The shape follows the in-process tee: a primary's durable log is subscribed to, and every
 * committed batch goes out; mirrors receive batches in order per shard. What a broker adds, and
 * this interface makes explicit:
 *
 * - **Shards.** An instance belongs to shard `shardOf(workflowId, shards)`; each shard is one
 *   ordered stream (Redis stream, Kafka partition), so one instance's events stay in order.
 * - **At-least-once.** A batch may arrive twice (a resend after a reconnect, a claimed entry) or
 *   out of order with another (a fault). Consumers make it exactly-once in effect: the mirror
 *   ignores events it has (idempotent by instance and seq) and re-reads an instance from the
 *   source's durable log when it sees a gap. Every batch therefore names its `source` (the primary
 *   node whose log holds the events) and the log positions it covers.
 * - **Acknowledgement after apply.** A consumer's handler resolves once the batch is applied; only
 *   then is the batch acknowledged, so a consumer that dies mid-batch loses nothing (another one
 *   claims what it had not acknowledged).
 * - **Rejects.** A batch that cannot be decoded is handed to `rejected` with a typed error and
 *   parked in a dead-letter place; nothing else stops.
 * - **Deltas.** A second stream per shard carries the primaries' state-matrix deltas to the
 *   mirrors (`encodeDelta`); a mirror that cannot place one asks for a full resend.
 */
import type { WorkflowMirrorError } from '../base-error.js';
import type { EventLog } from '../history/event-log.js';
import type { HistoryEvent } from '../history/events.js';
import type { MatrixDelta } from '../state/delta.js';
import { stringHash } from '../state/string-hash.js';

/**
 * The shard of an instance: FNV-1a of its id (the same hash `str` fields use, defined over UTF-16
 * code units, so any implementation in any language agrees) modulo the shard count.
 */
export function shardOf(workflowId: string, shards: number): number {
  return stringHash(workflowId) % shards;
}

/** One delta message: the deltas of one shard's primary matrices since the previous message. */
export interface DeltaMessage {
  /**
   * The delta chain: deltas of one generation apply one after the other, each to the state the
   * previous left; a `full` message starts a new generation from empty matrices.
   */
  readonly generation: string;
  /** True when the deltas were taken from empty matrices (every row): the receiver starts over. */
  readonly full: boolean;
  /** One delta per workflow type whose matrix changed. */
  readonly deltas: readonly MatrixDelta[];
}

/** The publishing side, one per primary node (its `source` name). */
export interface EventPublisher {
  /** The primary node this publisher speaks for; consumers re-read its durable log on a gap. */
  readonly source: string;
  /**
   * Queues one durable batch of the source's log (in pos order, as `EventLog.subscribe` delivers
   * it); it is sent in the background, batched with its neighbours. Never throws: a broker that is
   * down is retried, and what could not be queued is re-read from the log.
   */
  publish(events: readonly HistoryEvent[]): void;
  /** Sends one shard's deltas; resolves once the broker has them. */
  publishDeltas(shard: number, message: DeltaMessage): Promise<void>;
  /** Shards whose consumers asked for a full delta since the last call (a consumer lost its chain). */
  takeResyncRequests(): Promise<number[]>;
  /** Resolves once every batch queued so far is in the broker. */
  flush(): Promise<void>;
  /** The last log position known to be in the broker (0 before any). */
  readonly publishedPosition: number;
  /** Flushes (as far as the broker allows) and releases the connection. */
  close(): Promise<void>;
}

/** What a consumer receives: the events of one stream entry, decoded and checked. */
export interface InboundEvents {
  readonly shard: number;
  /** The primary node that published them: its log holds them durably. */
  readonly source: string;
  /** Lowest and highest log position of the events (in the source's log). */
  readonly firstPos: number;
  readonly lastPos: number;
  readonly events: readonly HistoryEvent[];
}

/** A delta message as received. */
export interface InboundDeltas extends DeltaMessage {
  readonly shard: number;
  readonly source: string;
}

/** An entry that could not be decoded: parked in the dead letters, then acknowledged. */
export interface RejectedEntry {
  readonly shard: number;
  /** `events` or `deltas`. */
  readonly kind: 'events' | 'deltas';
  /** The broker's id of the entry. */
  readonly entryId: string;
  /** What the entry's header said, where it could be read: enough to re-read its events from the source's log. */
  readonly source?: string;
  readonly firstPos?: number;
  readonly lastPos?: number;
  readonly error: WorkflowMirrorError;
}

/** The consumer's callbacks. Each may return a promise; the entry is acknowledged after it resolves. */
export interface StreamHandlers {
  /** Applies a batch of events. Throwing (or rejecting) leaves the entry unacknowledged: it is delivered again later. */
  events(batch: InboundEvents): void | Promise<void>;
  /** Applies a delta message. */
  deltas(message: InboundDeltas): void | Promise<void>;
  /** Told of an entry that was parked as a dead letter (before it is acknowledged). */
  rejected(entry: RejectedEntry): void | Promise<void>;
}

/** Counters of a consumer. */
export interface ConsumerStats {
  /** Entries handed to a handler (including redeliveries). */
  entries: number;
  events: number;
  deltaMessages: number;
  acknowledged: number;
  /** Entries claimed after they stayed unacknowledged too long (XAUTOCLAIM): a dead consumer's, or this one's failed ones. */
  claimed: number;
  deadLettered: number;
  /** Handler calls that threw; their entries stay pending and come back. */
  handlerFailures: number;
  /** Times the connection to the broker was lost and reading resumed. */
  reconnects: number;
}

/** The consuming side: one per mirror node, for the shards it owns. */
export interface EventConsumer {
  readonly stats: Readonly<ConsumerStats>;
  /** Starts reading: first what this consumer had received and not acknowledged, then new entries. */
  start(handlers: StreamHandlers): Promise<void>;
  /** Asks the primaries for a full delta of `shard` (see {@link EventPublisher.takeResyncRequests}). */
  requestResync(shard: number): Promise<void>;
  /** Graceful stop: no new reads, the handler in progress finishes, its entries are acknowledged. */
  stop(): Promise<void>;
}

/**
 * A broker for one deployment (its shard count and key space): what a node asks for its side of
 * the stream. `redisTransport` (ts/stream/redis) is one; docs/DEPLOYMENT.md maps a Kafka one.
 */
export interface EventTransport {
  /** The publishing side of primary node `source`, whose durable log is `log` (re-read after a restart). */
  publisher(source: string, log: Pick<EventLog, 'readRange'>): Promise<EventPublisher>;
  /** The consuming side of mirror node `name`, for the shards it owns (default all). */
  consumer(name: string, owned?: readonly number[]): Promise<EventConsumer>;
}
