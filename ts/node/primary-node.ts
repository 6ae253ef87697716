/**
 * A primary node: executes workflows on its own durable SQLite log and publishes them to the
 * shard streams for the mirror nodes.
 *
 * - **One PrimaryEngine per shard**, all on the one log: an instance runs on the engine of its
 *   shard, so each shard's state matrices (and the deltas taken from them) are separate, and a
 *   mirror node that owns a shard receives exactly that shard's deltas.
 * - **Publishing from the log.** The publisher subscribes to the log: a batch is published only
 *   once it is durable, and after a restart the log's unpublished tail is published again
 *   (ts/stream/redis/publisher.ts).
 * - **Deltas** every `deltaIntervalMs`: per shard, what changed in its primary matrices since the
 *   last message (ts/state delta tracking: nothing per event), as one delta entry. A mirror that
 *   lost the chain asks for a resync; the next message of that shard is then full (a new
 *   generation, from empty matrices).
 * - **Registration**: the node writes where its log is (hash `<prefix>:nodes`), so mirrors can
 *   re-read it on a gap; its confirmer reads group `primary` and trims the streams.
 *
 * `close()` is the graceful shutdown: stop taking deltas, let the engines go idle, publish what
 * is left and a last delta per shard, stop the confirmer, close the log.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { WorkflowMirrorError } from '../base-error.js';
import type { Clock } from '../clock/clock.js';
import type { ActivityImplementations } from '../engine/activity-runner.js';
import { type Fault, FaultPlan } from '../engine/faults.js';
import { FleetDeltas, FleetRegistry } from '../engine/fleet.js';
import { PrimaryEngine, type PrimaryStats } from '../engine/primary-engine.js';
import { SqliteEventLog } from '../history/sqlite-event-log.js';
import { RedisPrimaryConfirmer } from '../stream/redis/confirmer.js';
import { closeRedis, openRedis, settlesWithin } from '../stream/redis/connection.js';
import { streamKeys } from '../stream/redis/keys.js';
import { RedisEventPublisher } from '../stream/redis/publisher.js';
import type { PublisherFault } from '../stream/redis/publisher-faults.js';
import { shardOf } from '../stream/transport.js';
import type { AnyWorkflowDefinition } from '../workflow/define.js';
import { InvalidNodeOptionError } from './errors.js';
import { registerPrimary } from './node-registry.js';

/** Options of {@link PrimaryNode.open}. */
export interface PrimaryNodeOptions {
  readonly redisUrl: string;
  readonly prefix?: string;
  readonly shards: number;
  /** The node's name: unique in the deployment, stable across restarts (its published position is kept under it). */
  readonly name: string;
  /** Its SQLite log (created if missing; an existing one is resumed and its unpublished tail published). */
  readonly dbPath: string;
  readonly workflows: readonly AnyWorkflowDefinition[];
  readonly activities: ActivityImplementations;
  readonly clock: Clock;
  /** Engine faults (tests, demos). */
  readonly faults?: readonly Fault[];
  /** Stream faults (tests, demos). */
  readonly transportFaults?: readonly PublisherFault[];
  /** Delta messages this often (ms). Default 100. */
  readonly deltaIntervalMs?: number;
  /** Stream trimming this often (ms); 0 never. Default 5,000. */
  readonly trimIntervalMs?: number;
  readonly groupCommit?: { readonly maxBatch?: number; readonly maxDelayMs?: number };
  /** Errors no call waits for (stalled instances, publishing trouble, failed delta sends). */
  readonly onError?: (error: unknown) => void;
}

/** Counters of a primary node. */
export interface PrimaryNodeStats {
  readonly primary: PrimaryStats;
  readonly published: number;
  readonly publishedPosition: number;
  readonly entries: number;
  readonly deltaMessages: number;
  readonly fullResyncs: number;
  readonly confirmed: number;
  readonly trimmed: number;
  /** Stream faults (`transportFaults`) that fired. */
  readonly transportFaultsFired: number;
}

/** One shard's engine and delta chain. */
interface ShardPrimary {
  readonly shard: number;
  readonly fleets: FleetRegistry;
  readonly engine: PrimaryEngine;
  deltas: FleetDeltas;
  generation: string;
  generations: number;
  /** The next message must be full (a new chain): at start, and after a resync request. */
  full: boolean;
}

/** A primary node. */
export class PrimaryNode {
  readonly name: string;
  readonly log: SqliteEventLog;
  readonly publisher: RedisEventPublisher;
  readonly confirmer: RedisPrimaryConfirmer;
  readonly #shards: ShardPrimary[];
  readonly #faultPlan: FaultPlan | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #incarnation = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  readonly #unsubscribe: () => void;
  #deltaTimer: NodeJS.Timeout | undefined;
  #deltaTick: Promise<void> | undefined;
  #fullResyncs = 0;
  #closed = false;

  private constructor(
    options: PrimaryNodeOptions,
    log: SqliteEventLog,
    publisher: RedisEventPublisher,
    confirmer: RedisPrimaryConfirmer,
  ) {
    this.name = options.name;
    this.log = log;
    this.publisher = publisher;
    this.confirmer = confirmer;
    this.#onError = options.onError ?? (() => undefined);
    this.#faultPlan = options.faults !== undefined && options.faults.length > 0 ? new FaultPlan(options.faults) : undefined;
    this.#shards = Array.from({ length: options.shards }, (_, shard) => {
      const fleets = new FleetRegistry(options.workflows);
      const engine = new PrimaryEngine({
        log,
        fleets,
        activities: options.activities,
        clock: options.clock,
        ...(this.#faultPlan !== undefined ? { faults: this.#faultPlan } : {}),
        onError: (error: WorkflowMirrorError) => this.#onError(error),
      });
      return { shard, fleets, engine, deltas: new FleetDeltas(fleets, 'primary'), generation: '', generations: 0, full: true };
    });
    this.#unsubscribe = log.subscribe((events) => publisher.publish(events));
    const interval = options.deltaIntervalMs ?? 100;
    if (!Number.isFinite(interval) || interval <= 0)
      throw new InvalidNodeOptionError('deltaIntervalMs', 'must be a positive number');
    this.#deltaTimer = setInterval(() => {
      this.#deltaTick ??= this.publishDeltas()
        .catch((error: unknown) => this.#onError(error))
        .finally(() => {
          this.#deltaTick = undefined;
        });
    }, interval);
  }

  /**
   * Opens the log, registers the node, connects the publisher (which publishes the log's
   * unpublished tail) and the confirmer.
   * @throws InvalidNodeOptionError, InvalidTransportOptionError, ShardCountMismatchError, or the log's errors
   */
  static async open(options: PrimaryNodeOptions): Promise<PrimaryNode> {
    if (typeof options.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(options.name)) {
      throw new InvalidNodeOptionError('name', `must be letters, digits, '.', '_' or '-', got ${JSON.stringify(options.name)}`);
    }
    const keys = streamKeys(options.prefix);
    const dbPath = resolve(options.dbPath);
    const log = SqliteEventLog.open({ path: dbPath, ...(options.groupCommit ? { groupCommit: options.groupCommit } : {}) });
    const onError = options.onError ?? (() => undefined);
    let publisher: RedisEventPublisher | undefined;
    try {
      const redis = openRedis(options.redisUrl, { onError });
      try {
        await registerPrimary(redis, keys, {
          name: options.name,
          logPath: dbPath,
          host: hostname(),
          pid: process.pid,
          startedAt: Date.now(),
        });
      } finally {
        await closeRedis(redis);
      }
      publisher = await RedisEventPublisher.open({
        url: options.redisUrl,
        ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
        shards: options.shards,
        source: options.name,
        log,
        onError,
        ...(options.transportFaults !== undefined ? { faults: options.transportFaults } : {}),
      });
      const confirmer = await RedisPrimaryConfirmer.open({
        url: options.redisUrl,
        ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
        shards: options.shards,
        consumer: options.name,
        trimIntervalMs: options.trimIntervalMs ?? 5_000,
        onError,
      });
      return new PrimaryNode(options, log, publisher, confirmer);
    } catch (error) {
      await publisher?.close(0);
      await log.close();
      throw error;
    }
  }

  /** The engine that runs `workflowId` (its shard's). */
  engineFor(workflowId: string): PrimaryEngine {
    return this.#shards[shardOf(workflowId, this.#shards.length)]!.engine;
  }

  /** Every shard's engine, by shard. */
  get engines(): PrimaryEngine[] {
    return this.#shards.map((s) => s.engine);
  }

  start(workflowType: string, workflowId: string, input?: unknown): Promise<void> {
    return this.engineFor(workflowId).start(workflowType, workflowId, input);
  }

  signal(workflowId: string, name: string, payload?: unknown): Promise<void> {
    return this.engineFor(workflowId).signal(workflowId, name, payload);
  }

  /** Resolves when no engine has a step, activity or append in flight. */
  async whenIdle(): Promise<void> {
    await Promise.all(this.#shards.map((s) => s.engine.whenIdle()));
  }

  /** Faults that fired so far. */
  get faultsFired(): readonly { readonly kind: string; readonly workflowId: string; readonly seq: number }[] {
    return (this.#faultPlan?.fired ?? []).map((f) => ({ kind: f.fault.kind, workflowId: f.fault.workflowId, seq: f.seq }));
  }

  /**
   * One round of delta messages: for each shard whose matrices changed (or that must start a new
   * chain), its deltas since the previous message. Runs on a timer; callable directly.
   */
  async publishDeltas(): Promise<void> {
    for (const shard of await this.publisher.takeResyncRequests()) {
      const s = this.#shards[shard];
      if (s !== undefined) s.full = true;
    }
    for (const s of this.#shards) {
      const full = s.full;
      if (full) {
        // A tracker without a mark takes every row: the receiver starts this generation from empty matrices.
        s.deltas = new FleetDeltas(s.fleets, 'primary');
        s.generation = `${this.name}.${this.#incarnation}.${++s.generations}`;
        this.#fullResyncs++;
      }
      const deltas = s.deltas.take();
      if (deltas.length === 0 && !full) continue;
      try {
        await this.publisher.publishDeltas(s.shard, { generation: s.generation, full, deltas });
        s.full = false;
      } catch (error) {
        // The mark moved past deltas nobody received: the chain is broken, start a new one.
        s.full = true;
        throw error;
      }
    }
  }

  /** Waits until the engines are idle and everything is published, deltas included. */
  async drain(): Promise<void> {
    await this.whenIdle();
    await this.publisher.flush();
    await this.#deltaTick;
    await this.publishDeltas();
  }

  stats(): PrimaryNodeStats {
    const primary: PrimaryStats = {
      eventsAppended: 0,
      handlersRun: 0,
      activitiesRun: 0,
      activityFailures: 0,
      started: 0,
      completed: 0,
      failed: 0,
      stalled: 0,
      evicted: 0,
    };
    for (const s of this.#shards) {
      for (const key of Object.keys(primary) as (keyof PrimaryStats)[]) primary[key] += s.engine.stats[key];
    }
    return {
      primary,
      published: this.publisher.stats.events,
      publishedPosition: this.publisher.publishedPosition,
      entries: this.publisher.stats.entries,
      deltaMessages: this.publisher.stats.deltaMessages,
      fullResyncs: this.#fullResyncs,
      confirmed: this.confirmer.stats.confirmed,
      trimmed: this.confirmer.stats.trimmed,
      transportFaultsFired: this.publisher.stats.faultsFired,
    };
  }

  /** Graceful shutdown: drain (as far as Redis allows within `timeoutMs`), stop, close the log. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#deltaTimer);
    this.#deltaTimer = undefined;
    await settlesWithin(
      this.drain().catch((error: unknown) => this.#onError(error)),
      timeoutMs,
    );
    this.#unsubscribe();
    await this.confirmer.stop();
    await this.publisher.close(0);
    await this.log.close();
  }
}
