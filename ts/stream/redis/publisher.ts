/**
 * The publishing side of the Redis Streams transport: one per primary node.
 *
 * Its input is the primary's durable log: every committed batch (from `EventLog.subscribe`, so
 * nothing is published before it is durable) is queued and sent in the background. Sending is
 * batched: whatever queued up while the previous send was in flight goes out in the next one, as
 * one EventBatch entry per shard (at most `maxEntryEvents` events each), all XADDs of a send in
 * one MULTI/EXEC together with the new "published" position of this source
 * (`HSET wfm:published <source> <pos>`). The entries and the position therefore move together:
 * after a crash or restart the publisher reads the position and re-publishes the log after it,
 * so a batch committed but never published is not lost (re-published entries are duplicates the
 * mirrors ignore).
 *
 * Events travel in pos order and the log's positions have no holes, so the publisher knows
 * exactly what it has: when its queue would pass `maxQueuedEvents` (Redis down for long), or a
 * batch does not follow the last published position, it drops the queue and reads the log from
 * the published position instead. A send that fails (Redis restarting, LOADING) is retried with
 * the same events until it succeeds or the publisher is closed.
 */
import type { Redis } from 'ioredis';
import type { EventLog } from '../../history/event-log.js';
import type { HistoryEvent } from '../../history/events.js';
import { type DeltaMessage, type EventPublisher, shardOf } from '../transport.js';
import { closeRedis, openRedis, settlesWithin, sleep } from './connection.js';
import { deltaEntryFields, type EntryFields, eventEntryFields } from './entry-format.js';
import { InvalidTransportOptionError, TransportClosedError } from './errors.js';
import { claimShardCount, ensureGroups } from './groups.js';
import { checkShardCount, type StreamKeys, streamKeys } from './keys.js';
import { damage, type PublisherFault } from './publisher-faults.js';

/** Options of {@link RedisEventPublisher.open}. */
export interface RedisPublisherOptions {
  /** `redis://host:port`. */
  readonly url: string;
  /** Key prefix (default `wfm`). */
  readonly prefix?: string;
  /** The deployment's shard count. */
  readonly shards: number;
  /** This primary node's name: consumers re-read its log on a gap. */
  readonly source: string;
  /** The durable log the events come from (re-read after a restart or a queue overflow). */
  readonly log: Pick<EventLog, 'readRange'>;
  /** Events per stream entry, at most. Default 2,000. */
  readonly maxEntryEvents?: number;
  /** Events per MULTI, at most. Default 20,000. */
  readonly maxSendEvents?: number;
  /** Events queued in memory before the queue is dropped for a re-read of the log. Default 200,000. */
  readonly maxQueuedEvents?: number;
  /** Wait between two attempts of a failed send (ms). Default 200. */
  readonly retryDelayMs?: number;
  /**
   * Faults to inject (tests, the node roles' --transport-fault). A `reorder` holds its entry back
   * until the next entry of its shard (or a flush) while the published position moves on: a
   * publisher that dies meanwhile loses it from the stream, and the mirrors find its events by
   * the gap they leave.
   */
  readonly faults?: readonly PublisherFault[];
  /** Told of failed sends (they are retried) and other trouble. */
  readonly onError?: (error: unknown) => void;
}

/** Counters of a publisher. */
export interface PublisherStats {
  entries: number;
  events: number;
  /** MULTI/EXEC round trips. */
  sends: number;
  /** Sends that failed and were tried again. */
  retries: number;
  /** Times the queue was dropped and the log read instead. */
  logReads: number;
  deltaMessages: number;
  faultsFired: number;
  /** Times the published position was found behind after a reconnect (Redis lost writes) and the log re-read from it. */
  rewinds: number;
}

interface Entry {
  readonly shard: number;
  readonly fields: EntryFields;
}

/** Publishes a primary's durable batches to the shard streams. */
export class RedisEventPublisher implements EventPublisher {
  readonly source: string;
  readonly stats: PublisherStats = {
    entries: 0,
    events: 0,
    sends: 0,
    retries: 0,
    logReads: 0,
    deltaMessages: 0,
    faultsFired: 0,
    rewinds: 0,
  };
  readonly #redis: Redis;
  readonly #keys: StreamKeys;
  readonly #shards: number;
  readonly #log: Pick<EventLog, 'readRange'>;
  readonly #maxEntryEvents: number;
  readonly #maxSendEvents: number;
  readonly #maxQueuedEvents: number;
  readonly #retryDelayMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #faults: PublisherFault[];
  /** Durable batches not sent yet, in pos order. */
  #queue: (readonly HistoryEvent[])[] = [];
  #queued = 0;
  /** True when the queue may lack events after #published: they are read from the log. */
  #behind = true;
  #published = 0;
  /** The highest pos handed to publish(). */
  #highestSeen = 0;
  #running: Promise<void> | undefined;
  #waiters: { pos: number; resolve: () => void }[] = [];
  #entryOrdinal = 0;
  /** An entry held back by a `reorder` fault until the next entry of its shard. */
  #held: Entry | undefined;
  #resyncSeen: Map<string, number> | undefined;
  /** Set when the connection came back: Redis may have lost its last writes, the published position with them. */
  #checkPosition = false;
  #closed = false;

  private constructor(redis: Redis, options: RedisPublisherOptions, keys: StreamKeys) {
    this.#redis = redis;
    this.#keys = keys;
    this.source = options.source;
    this.#shards = options.shards;
    this.#log = options.log;
    this.#maxEntryEvents = positive('maxEntryEvents', options.maxEntryEvents ?? 2_000);
    this.#maxSendEvents = positive('maxSendEvents', options.maxSendEvents ?? 20_000);
    this.#maxQueuedEvents = positive('maxQueuedEvents', options.maxQueuedEvents ?? 200_000);
    this.#retryDelayMs = positive('retryDelayMs', options.retryDelayMs ?? 200);
    this.#onError = options.onError ?? (() => undefined);
    this.#faults = [...(options.faults ?? [])];
    let lost = false;
    redis.on('close', () => {
      lost = true;
    });
    redis.on('ready', () => {
      if (!lost) return;
      lost = false;
      this.#checkPosition = true;
      this.#kick();
    });
  }

  /**
   * Connects, creates the streams and groups, checks the shard count, and starts re-publishing
   * the log after this source's published position (a restart's unpublished tail).
   * @throws InvalidTransportOptionError, ShardCountMismatchError
   */
  static async open(options: RedisPublisherOptions): Promise<RedisEventPublisher> {
    checkShardCount(options.shards);
    if (typeof options.source !== 'string' || options.source.length === 0 || options.source.includes(' ')) {
      throw new InvalidTransportOptionError('source', 'must be a non-empty name without spaces');
    }
    const keys = streamKeys(options.prefix);
    const redis = openRedis(options.url, {
      connectionName: `wfm-publisher-${options.source}`,
      ...(options.onError !== undefined ? { onError: options.onError } : {}),
    });
    try {
      await claimShardCount(redis, keys, options.shards);
      await ensureGroups(redis, keys, options.shards);
      const publisher = new RedisEventPublisher(redis, options, keys);
      const stored = Number((await redis.hget(keys.published, options.source)) ?? 0);
      publisher.#published = Number.isSafeInteger(stored) && stored > 0 ? stored : 0;
      publisher.#kick();
      return publisher;
    } catch (error) {
      redis.disconnect();
      throw error;
    }
  }

  get publishedPosition(): number {
    return this.#published;
  }

  publish(events: readonly HistoryEvent[]): void {
    if (this.#closed || events.length === 0) return;
    const last = events[events.length - 1]!.pos;
    if (last > this.#highestSeen) this.#highestSeen = last;
    if (this.#queued + events.length > this.#maxQueuedEvents) {
      // Redis has been away for long: keep memory bounded, the log has every event.
      this.#queue = [];
      this.#queued = 0;
      this.#behind = true;
    } else {
      this.#queue.push(events);
      this.#queued += events.length;
    }
    this.#kick();
  }

  async publishDeltas(shard: number, message: DeltaMessage): Promise<void> {
    if (this.#closed) throw new TransportClosedError('publishDeltas');
    await this.#redis.xadd(this.#keys.deltas(shard), '*', ...deltaEntryFields(this.source, message));
    this.stats.deltaMessages++;
  }

  async takeResyncRequests(): Promise<number[]> {
    const counters = await this.#redis.hgetall(this.#keys.resync);
    const first = this.#resyncSeen === undefined;
    this.#resyncSeen ??= new Map();
    const due: number[] = [];
    for (const [field, value] of Object.entries(counters)) {
      const n = Number(value);
      if ((this.#resyncSeen.get(field) ?? 0) < n) {
        this.#resyncSeen.set(field, n);
        // Requests older than this publisher need no answer: its first deltas are full anyway.
        if (!first) due.push(Number(field));
      }
    }
    return due.filter((s) => Number.isSafeInteger(s) && s >= 0 && s < this.#shards).sort((a, b) => a - b);
  }

  /** Resolves once every event handed to publish() so far (and the log's tail at open) is in Redis. */
  flush(): Promise<void> {
    const target = this.#highestSeen;
    if (this.#published >= target && !this.#behind && this.#running === undefined && this.#held === undefined) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#waiters.push({ pos: target, resolve });
      this.#kick();
    });
  }

  /**
   * Waits up to `timeoutMs` (default 10,000) for what is queued to be sent, then closes the
   * connection. What did not make it is re-published from the log by the next publisher of this
   * source (it starts from the published position).
   */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.#closed) return;
    const flushed = await settlesWithin(this.flush(), timeoutMs);
    this.#closed = true;
    // A send waiting for Redis would wait forever: dropping the connection fails it (it is not retried once closed).
    if (!flushed) this.#redis.disconnect();
    await this.#running;
    await closeRedis(this.#redis);
  }

  #kick(): void {
    if (this.#running !== undefined) return;
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
      this.#settleWaiters(true);
    });
  }

  async #run(): Promise<void> {
    for (;;) {
      const events = await this.#next();
      if (events !== undefined) {
        await this.#send(this.#entries(events), events.length, events[events.length - 1]!.pos);
      } else if (this.#held !== undefined && this.#waiters.length > 0) {
        // A `reorder` fault's entry with nothing after it on its shard: a flush sends it alone.
        const held = this.#held;
        this.#held = undefined;
        await this.#send([held], 0, this.#published);
      } else {
        return;
      }
      this.#settleWaiters(false);
    }
  }

  /** The next events to send: they start right after the published position. Undefined when there are none. */
  async #next(): Promise<readonly HistoryEvent[] | undefined> {
    if (this.#checkPosition) await this.#rewindIfLost();
    this.#dropPublished();
    const head = this.#queue[0];
    if (this.#behind || (head !== undefined && head[0]!.pos !== this.#published + 1)) {
      const events = await this.#readLog();
      if (events.length > 0) return events;
      this.#behind = false;
      this.#dropPublished();
    }
    if (this.#queue.length === 0) return undefined;
    const out: HistoryEvent[] = [];
    while (this.#queue.length > 0 && out.length < this.#maxSendEvents) {
      const batch = this.#queue.shift()!;
      this.#queued -= batch.length;
      for (const event of batch) out.push(event);
    }
    return out;
  }

  /** Drops queued events at or below the published position (the log read sent them). */
  #dropPublished(): void {
    while (this.#queue.length > 0) {
      const batch = this.#queue[0]!;
      if (batch[batch.length - 1]!.pos <= this.#published) {
        this.#queue.shift();
        this.#queued -= batch.length;
      } else if (batch[0]!.pos <= this.#published) {
        const rest = batch.filter((e) => e.pos > this.#published);
        this.#queued -= batch.length - rest.length;
        this.#queue[0] = rest;
        return;
      } else {
        return;
      }
    }
  }

  /**
   * After a reconnect: a Redis that restarted without its last writes (AOF fsync'd every second,
   * a failover to a replica that lagged) lost the newest entries and, in the same MULTI, the
   * published position. When the stored position is behind ours, go back to it and re-read the
   * log from there: the entries that survived come again as duplicates, the lost ones come back.
   */
  async #rewindIfLost(): Promise<void> {
    try {
      const stored = Number((await this.#redis.hget(this.#keys.published, this.source)) ?? 0);
      this.#checkPosition = false;
      if (Number.isSafeInteger(stored) && stored < this.#published) {
        this.#published = Math.max(0, stored);
        this.#behind = true;
        this.stats.rewinds++;
      }
    } catch (error) {
      // Still away: the next round asks again.
      this.#onError(error);
    }
  }

  async #readLog(): Promise<HistoryEvent[]> {
    for (;;) {
      try {
        const events = await this.#log.readRange(this.#published, this.#maxSendEvents);
        if (events.length > 0) this.stats.logReads++;
        return events;
      } catch (error) {
        this.#onError(error);
        if (this.#closed) return [];
        await sleep(this.#retryDelayMs);
      }
    }
  }

  /**
   * Sends `entries` (`events` events, up to log position `last`) in one MULTI with the new
   * published position, retrying until it succeeds or the publisher is closed.
   */
  async #send(entries: readonly Entry[], events: number, last: number): Promise<void> {
    for (;;) {
      try {
        const multi = this.#redis.multi();
        for (const entry of entries) multi.xadd(this.#keys.events(entry.shard), '*', ...entry.fields);
        multi.hset(this.#keys.published, this.source, String(last));
        const results = await multi.exec();
        const failed = results?.find(([error]) => error !== null)?.[0];
        if (results === null || failed !== undefined) throw failed ?? new Error('MULTI was discarded');
        break;
      } catch (error) {
        this.stats.retries++;
        this.#onError(error);
        if (this.#closed) return;
        await sleep(this.#retryDelayMs);
      }
    }
    this.stats.sends++;
    this.stats.entries += entries.length;
    this.stats.events += events;
    this.#published = last;
  }

  /** One entry per shard (split at maxEntryEvents), in pos order within a shard; faults applied. */
  #entries(events: readonly HistoryEvent[]): Entry[] {
    const byShard = new Map<number, HistoryEvent[]>();
    for (const event of events) {
      const shard = shardOf(event.workflowId, this.#shards);
      let list = byShard.get(shard);
      if (list === undefined) {
        list = [];
        byShard.set(shard, list);
      }
      list.push(event);
    }
    const entries: Entry[] = [];
    for (const [shard, list] of byShard) {
      for (let i = 0; i < list.length; i += this.#maxEntryEvents) {
        this.#addWithFaults(entries, { shard, fields: eventEntryFields(this.source, list.slice(i, i + this.#maxEntryEvents)) });
      }
    }
    return entries;
  }

  #addWithFaults(entries: Entry[], entry: Entry): void {
    const ordinal = ++this.#entryOrdinal;
    const held = this.#held;
    if (held !== undefined && held.shard === entry.shard) {
      entries.push(entry, held);
      this.#held = undefined;
      return;
    }
    const at = this.#faults.findIndex((f) => f.entry === ordinal);
    if (at < 0) {
      entries.push(entry);
      return;
    }
    const fault = this.#faults.splice(at, 1)[0]!;
    this.stats.faultsFired++;
    switch (fault.kind) {
      case 'duplicate':
        entries.push(entry, entry);
        return;
      case 'reorder':
        this.#held = entry;
        return;
      case 'corrupt': {
        const fields = [...entry.fields];
        const b = fields.indexOf('b');
        fields[b + 1] = damage(fields[b + 1] as Buffer);
        entries.push({ shard: entry.shard, fields });
        return;
      }
    }
  }

  #settleWaiters(all: boolean): void {
    if (this.#waiters.length === 0) return;
    const done = this.#behind && !all ? [] : this.#waiters.filter((w) => all || w.pos <= this.#published);
    if (done.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => !done.includes(w));
    for (const w of done) w.resolve();
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidTransportOptionError(name, `must be a positive number, got ${value}`);
  return value;
}
