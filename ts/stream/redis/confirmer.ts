/**
 * The reader of group `primary`: in this design the primary engines are fed by their own durable
 * log, in process (the log is the source of truth and runs ahead of any broker), so no engine
 * consumes the primaries' copy of the stream. The primary nodes read it anyway, as confirmers:
 * each entry read and acknowledged here is one the broker holds for both sides. Their acks are
 * what lets the trimmer drop entries (it trims below what *both* groups acknowledged), and their
 * group's lag (`wfmirror status --redis`) shows whether the primaries' side keeps up. A deployment
 * whose primaries were fed from the broker would put its engine where the acks are.
 *
 * It also trims, every `trimIntervalMs`: the events streams below both groups' acknowledgements,
 * the deltas streams below the mirror group's.
 */
import type { Redis } from 'ioredis';
import { closeRedis, openRedis, settlesWithin, sleep } from './connection.js';
import { NoGroupError } from './errors.js';
import { GroupReader } from './group-reader.js';
import { ensureGroups } from './groups.js';
import { checkShardCount, MIRROR_GROUP, PRIMARY_GROUP, type StreamKeys, streamKeys } from './keys.js';
import { trimAcknowledged } from './trim.js';

/** Options of {@link RedisPrimaryConfirmer.open}. */
export interface ConfirmerOptions {
  readonly url: string;
  readonly prefix?: string;
  readonly shards: number;
  /** Consumer name in group `primary` (the primary node's name). */
  readonly consumer: string;
  /** Trim this often (ms); 0 never trims. Default 5,000. */
  readonly trimIntervalMs?: number;
  /** Entries per stream per read. Default 1,000. */
  readonly count?: number;
  readonly blockMs?: number;
  readonly onError?: (error: unknown) => void;
}

/** Counters of a confirmer. */
export interface ConfirmerStats {
  confirmed: number;
  trimmed: number;
}

/** Acknowledges entries in group `primary` and trims the streams. */
export class RedisPrimaryConfirmer {
  readonly stats: ConfirmerStats = { confirmed: 0, trimmed: 0 };
  readonly #redis: Redis;
  readonly #readerConnection: Redis;
  readonly #reader: GroupReader;
  readonly #keys: StreamKeys;
  readonly #shards: number;
  readonly #trimIntervalMs: number;
  readonly #onError: (error: unknown) => void;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #nextTrimAt = 0;

  private constructor(redis: Redis, readerConnection: Redis, options: ConfirmerOptions, keys: StreamKeys) {
    this.#redis = redis;
    this.#readerConnection = readerConnection;
    this.#keys = keys;
    this.#shards = options.shards;
    this.#trimIntervalMs = options.trimIntervalMs ?? 5_000;
    this.#onError = options.onError ?? (() => undefined);
    this.#reader = new GroupReader(readerConnection, redis, {
      streams: Array.from({ length: options.shards }, (_, s) => keys.events(s)),
      group: PRIMARY_GROUP,
      consumer: options.consumer,
      count: options.count ?? 1_000,
      blockMs: options.blockMs ?? 1_000,
    });
  }

  /** Connects and starts confirming. */
  static async open(options: ConfirmerOptions): Promise<RedisPrimaryConfirmer> {
    checkShardCount(options.shards);
    const keys = streamKeys(options.prefix);
    const connection = { ...(options.onError !== undefined ? { onError: options.onError } : {}) };
    const redis = openRedis(options.url, { connectionName: `wfm-confirmer-${options.consumer}`, ...connection });
    const reader = openRedis(options.url, { connectionName: `wfm-confirm-reader-${options.consumer}`, ...connection });
    try {
      await ensureGroups(redis, keys, options.shards);
    } catch (error) {
      redis.disconnect();
      reader.disconnect();
      throw error;
    }
    const confirmer = new RedisPrimaryConfirmer(redis, reader, options, keys);
    confirmer.#nextTrimAt = Date.now() + confirmer.#trimIntervalMs;
    confirmer.#loop = confirmer.#run();
    return confirmer;
  }

  /** Trims every shard's streams now; returns the entries removed. */
  async trim(exact = false): Promise<number> {
    let removed = 0;
    for (let s = 0; s < this.#shards; s++) {
      removed += await trimAcknowledged(this.#redis, this.#keys.events(s), [PRIMARY_GROUP, MIRROR_GROUP], exact);
      removed += await trimAcknowledged(this.#redis, this.#keys.deltas(s), [MIRROR_GROUP], exact);
    }
    this.stats.trimmed += removed;
    return removed;
  }

  /** Stops after the read in progress, acknowledging what it got (waits at most `timeoutMs` while Redis is away). */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    void this.#reader.unblock();
    await settlesWithin(this.#loop ?? Promise.resolve(), timeoutMs);
    this.#readerConnection.disconnect();
    await closeRedis(this.#redis);
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopping) {
      try {
        const entries = await this.#reader.read();
        if (entries.length > 0) {
          const byStream = new Map<string, string[]>();
          for (const e of entries) {
            const ids = byStream.get(e.stream);
            if (ids === undefined) byStream.set(e.stream, [e.id]);
            else ids.push(e.id);
          }
          const pipeline = this.#redis.pipeline();
          for (const [stream, ids] of byStream) pipeline.xack(stream, PRIMARY_GROUP, ...ids);
          await pipeline.exec();
          this.stats.confirmed += entries.length;
        }
        if (this.#trimIntervalMs > 0 && Date.now() >= this.#nextTrimAt) {
          this.#nextTrimAt = Date.now() + this.#trimIntervalMs;
          await this.trim();
        }
        failures = 0;
      } catch (error) {
        if (this.#stopping) break;
        this.#onError(error);
        if (error instanceof NoGroupError) await ensureGroups(this.#redis, this.#keys, this.#shards).catch(() => undefined);
        failures++;
        await sleep(Math.min(50 * failures, 1_000));
      }
    }
  }
}
