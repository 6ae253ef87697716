/**
 * The consuming side of the Redis Streams transport: one per mirror node, reading group `mirror`
 * on the events and deltas streams of the shards it owns, under its own consumer name.
 *
 * One loop does everything in order, so handlers never run concurrently:
 *
 * 1. read (XREADGROUP COUNT `count` BLOCK `blockMs`): this consumer's pending entries first (at
 *    start and after a reconnect), then new ones;
 * 2. hand each entry to its handler, in stream order; an entry that does not decode is parked in
 *    the dead-letter stream with the error's code and message (XADD + XACK in one MULTI) and
 *    `rejected` is told, so its events can be re-read from the source's log;
 * 3. acknowledge what the handlers applied (XACK per stream, pipelined; with `ackDelayMs`, acks
 *    are gathered over that long first). A handler that throws leaves its entry pending;
 * 4. every `claimIntervalMs`, XAUTOCLAIM entries that have been pending longer than `claimIdleMs`,
 *    on any consumer of the group: a dead consumer's entries, and this consumer's own failed ones.
 *
 * Redis restarting is survived by the connection (commands wait and are resent) and by step 1
 * (the pending list is read again after a reconnect); a group that vanished is created again.
 */
import type { Redis } from 'ioredis';
import type { ConsumerStats, EventConsumer, RejectedEntry, StreamHandlers } from '../transport.js';
import { closeRedis, openRedis, settlesWithin, sleep } from './connection.js';
import { decodeDeltaEntry, decodeEventEntry, type EntryAddress, readEventEntryHeader } from './entry-format.js';
import { CorruptStreamEntryError, NoGroupError, TransportClosedError } from './errors.js';
import { GroupReader } from './group-reader.js';
import { claimShardCount, ensureGroups } from './groups.js';
import { checkOwnedShards, checkShardCount, MIRROR_GROUP, type StreamKeys, streamKeys } from './keys.js';
import { parseAutoclaimReply, type StreamEntry } from './replies.js';

/** Options of {@link RedisEventConsumer.open}. */
export interface RedisConsumerOptions {
  readonly url: string;
  readonly prefix?: string;
  /** The deployment's shard count. */
  readonly shards: number;
  /** The shards this consumer reads (default all). Each shard should have one consuming node at a time. */
  readonly owned?: readonly number[];
  /** This consumer's name in the group: stable across restarts of the same node. */
  readonly consumer: string;
  /** Entries per stream per read. Default 500. */
  readonly count?: number;
  /** How long a read waits for entries (ms). Default 1,000. */
  readonly blockMs?: number;
  /** Gather acks this long before sending them (ms); 0 (default) acks after every read. */
  readonly ackDelayMs?: number;
  /** Entries pending longer than this (ms) are claimed. Default 30,000. */
  readonly claimIdleMs?: number;
  /** How often to look for such entries (ms). Default claimIdleMs / 2. */
  readonly claimIntervalMs?: number;
  /** Dead letters kept, about (XADD MAXLEN ~). Default 100,000. */
  readonly deadLetterMaxLen?: number;
  /** Told of handler failures and connection trouble (the loop goes on). */
  readonly onError?: (error: unknown) => void;
}

interface StreamInfo {
  readonly kind: 'events' | 'deltas';
  readonly shard: number;
}

/** Reads the shard streams in group `mirror` and hands entries to the handlers. */
export class RedisEventConsumer implements EventConsumer {
  readonly stats: ConsumerStats = {
    entries: 0,
    events: 0,
    deltaMessages: 0,
    acknowledged: 0,
    claimed: 0,
    deadLettered: 0,
    handlerFailures: 0,
    reconnects: 0,
  };
  readonly consumer: string;
  readonly owned: readonly number[];
  readonly #redis: Redis;
  readonly #readerConnection: Redis;
  readonly #reader: GroupReader;
  readonly #keys: StreamKeys;
  readonly #shards: number;
  readonly #streams = new Map<string, StreamInfo>();
  readonly #ackDelayMs: number;
  readonly #claimIdleMs: number;
  readonly #claimIntervalMs: number;
  readonly #deadLetterMaxLen: number;
  readonly #onError: (error: unknown) => void;
  #toAck = new Map<string, string[]>();
  #lastAckAt = 0;
  #nextClaimAt = 0;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #stopped = false;

  private constructor(redis: Redis, readerConnection: Redis, options: RedisConsumerOptions, keys: StreamKeys, owned: number[]) {
    this.#redis = redis;
    this.#readerConnection = readerConnection;
    this.#keys = keys;
    this.#shards = options.shards;
    this.consumer = options.consumer;
    this.owned = owned;
    for (const shard of owned) {
      this.#streams.set(keys.events(shard), { kind: 'events', shard });
      this.#streams.set(keys.deltas(shard), { kind: 'deltas', shard });
    }
    this.#ackDelayMs = options.ackDelayMs ?? 0;
    this.#claimIdleMs = options.claimIdleMs ?? 30_000;
    this.#claimIntervalMs = options.claimIntervalMs ?? Math.max(10, this.#claimIdleMs / 2);
    this.#deadLetterMaxLen = options.deadLetterMaxLen ?? 100_000;
    this.#onError = options.onError ?? (() => undefined);
    this.#reader = new GroupReader(readerConnection, redis, {
      streams: [...this.#streams.keys()],
      group: MIRROR_GROUP,
      consumer: options.consumer,
      count: options.count ?? 500,
      blockMs: options.blockMs ?? 1_000,
    });
  }

  /**
   * Connects (two connections: one blocks in reads), checks the shard count and creates the
   * groups. Call {@link start} to begin reading.
   * @throws InvalidTransportOptionError, ShardCountMismatchError
   */
  static async open(options: RedisConsumerOptions): Promise<RedisEventConsumer> {
    checkShardCount(options.shards);
    const owned = checkOwnedShards(options.owned ?? Array.from({ length: options.shards }, (_, i) => i), options.shards);
    const keys = streamKeys(options.prefix);
    const onError = options.onError;
    const redis = openRedis(options.url, {
      connectionName: `wfm-consumer-${options.consumer}`,
      ...(onError !== undefined ? { onError } : {}),
    });
    const reader = openRedis(options.url, {
      connectionName: `wfm-reader-${options.consumer}`,
      ...(onError !== undefined ? { onError } : {}),
    });
    try {
      await claimShardCount(redis, keys, options.shards);
      await ensureGroups(redis, keys, options.shards);
      return new RedisEventConsumer(redis, reader, options, keys, owned);
    } catch (error) {
      redis.disconnect();
      reader.disconnect();
      throw error;
    }
  }

  async start(handlers: StreamHandlers): Promise<void> {
    if (this.#stopped || this.#loop !== undefined) throw new TransportClosedError('start');
    // The first claim runs at once: a node replacing a dead one takes its entries over without waiting.
    this.#nextClaimAt = 0;
    this.#loop = this.#run(handlers);
  }

  async requestResync(shard: number): Promise<void> {
    await this.#redis.hincrby(this.#keys.resync, String(shard), 1);
  }

  /**
   * Stops reading, lets the entry in hand finish, sends the acks, closes both connections. While
   * Redis is away this waits at most `timeoutMs` (default 5,000): what is not acknowledged then
   * stays pending, for this node's next start or another node's claim.
   */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (this.#stopped) return;
    this.#stopping = true;
    void this.#reader.unblock();
    const ended = await settlesWithin(this.#loop ?? Promise.resolve(), timeoutMs);
    this.#stopped = true;
    if (ended)
      await settlesWithin(
        this.#flushAcks().catch((error: unknown) => this.#onError(error)),
        timeoutMs,
      );
    this.#readerConnection.disconnect();
    await closeRedis(this.#redis);
  }

  async #run(handlers: StreamHandlers): Promise<void> {
    let failures = 0;
    while (!this.#stopping) {
      try {
        if (Date.now() >= this.#nextClaimAt) {
          await this.#claim(handlers);
          this.#nextClaimAt = Date.now() + this.#claimIntervalMs;
        }
        const entries = await this.#reader.read();
        this.stats.reconnects = this.#reader.reconnects;
        await this.#handleAll(entries, handlers);
        if (this.#ackDelayMs === 0 || Date.now() - this.#lastAckAt >= this.#ackDelayMs) await this.#flushAcks();
        failures = 0;
      } catch (error) {
        if (this.#stopping) break;
        this.#onError(error);
        if (error instanceof NoGroupError) await ensureGroups(this.#redis, this.#keys, this.#shards).catch(() => undefined);
        // Redis is away (the connection retries meanwhile) or refused something: wait a little, growing.
        failures++;
        await sleep(Math.min(50 * failures, 1_000));
      }
    }
  }

  async #handleAll(entries: readonly StreamEntry[], handlers: StreamHandlers): Promise<void> {
    for (const entry of entries) await this.#handle(entry, handlers);
  }

  async #handle(entry: StreamEntry, handlers: StreamHandlers): Promise<void> {
    const info = this.#streams.get(entry.stream);
    if (info === undefined) return;
    if (entry.fields === null) {
      // Deleted from the stream while pending (trimmed): nothing to apply, only to acknowledge.
      this.#queueAck(entry);
      return;
    }
    const at: EntryAddress = { stream: entry.stream, entryId: entry.id, shard: info.shard, shards: this.#shards };
    this.stats.entries++;
    try {
      if (info.kind === 'events') {
        const batch = decodeEventEntry(at, entry.fields);
        await handlers.events(batch);
        this.stats.events += batch.events.length;
      } else {
        await handlers.deltas(decodeDeltaEntry(at, entry.fields));
        this.stats.deltaMessages++;
      }
      this.#queueAck(entry);
    } catch (error) {
      if (error instanceof CorruptStreamEntryError) {
        await this.#reject(entry, info, error, handlers);
        return;
      }
      // Left pending: the claim pass hands it out again once it has been idle for claimIdleMs.
      this.stats.handlerFailures++;
      this.#onError(error);
    }
  }

  /** Parks a corrupt entry as a dead letter and acknowledges it, in one MULTI; tells `rejected` first. */
  async #reject(entry: StreamEntry, info: StreamInfo, error: CorruptStreamEntryError, handlers: StreamHandlers): Promise<void> {
    const fields = entry.fields ?? [];
    const header = info.kind === 'events' ? readEventEntryHeader(fields) : {};
    const rejected: RejectedEntry = { shard: info.shard, kind: info.kind, entryId: entry.id, ...header, error };
    try {
      await handlers.rejected(rejected);
    } catch (handlerError) {
      this.#onError(handlerError);
    }
    const letter: (string | Buffer)[] = [
      'stream',
      entry.stream,
      'id',
      entry.id,
      'group',
      MIRROR_GROUP,
      'consumer',
      this.consumer,
      'code',
      error.code,
      'reason',
      error.message,
      'time',
      String(Date.now()),
    ];
    // The original fields follow, renamed `orig:<name>`, so an operator can inspect or replay it.
    for (let i = 0; i + 1 < fields.length; i += 2) letter.push(`orig:${fields[i]!.toString('latin1')}`, fields[i + 1]!);
    const results = await this.#redis
      .multi()
      .xadd(this.#keys.dead, 'MAXLEN', '~', String(this.#deadLetterMaxLen), '*', ...letter)
      .xack(entry.stream, MIRROR_GROUP, entry.id)
      .exec();
    const failed = results?.find(([e]) => e !== null)?.[0];
    if (results === null || failed !== undefined) throw failed ?? new Error('MULTI was discarded');
    this.stats.deadLettered++;
    this.stats.acknowledged++;
  }

  #queueAck(entry: StreamEntry): void {
    let ids = this.#toAck.get(entry.stream);
    if (ids === undefined) {
      ids = [];
      this.#toAck.set(entry.stream, ids);
    }
    ids.push(entry.id);
  }

  async #flushAcks(): Promise<void> {
    this.#lastAckAt = Date.now();
    if (this.#toAck.size === 0) return;
    const batch = this.#toAck;
    this.#toAck = new Map();
    try {
      const pipeline = this.#redis.pipeline();
      for (const [stream, ids] of batch) pipeline.xack(stream, MIRROR_GROUP, ...ids);
      const results = await pipeline.exec();
      const failed = results?.find(([e]) => e !== null)?.[0];
      if (results === null || failed !== undefined) throw failed ?? new Error('pipeline was discarded');
      for (const ids of batch.values()) this.stats.acknowledged += ids.length;
    } catch (error) {
      // Put them back: they are sent with the next acks (until then they stay pending, which is safe).
      for (const [stream, ids] of batch) {
        const later = this.#toAck.get(stream);
        this.#toAck.set(stream, later === undefined ? ids : [...ids, ...later]);
      }
      throw error;
    }
  }

  /** XAUTOCLAIM over every owned stream: entries idle longer than claimIdleMs, any consumer's. */
  async #claim(handlers: StreamHandlers): Promise<void> {
    for (const stream of this.#streams.keys()) {
      let cursor = '0-0';
      do {
        if (this.#stopping) return;
        const reply = parseAutoclaimReply(
          stream,
          await this.#redis.callBuffer(
            'XAUTOCLAIM',
            stream,
            MIRROR_GROUP,
            this.consumer,
            String(this.#claimIdleMs),
            cursor,
            'COUNT',
            '200',
          ),
        );
        cursor = reply.cursor;
        this.stats.claimed += reply.entries.filter((e) => e.fields !== null).length;
        await this.#handleAll(reply.entries, handlers);
        await this.#flushAcks();
      } while (cursor !== '0-0');
    }
  }
}
