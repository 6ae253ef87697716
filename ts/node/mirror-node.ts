/**
 * A mirror node: replays the shards it owns from the streams into a MirrorEngine, keeps a copy of
 * the primaries' state matrices from their deltas, compares the two on its comparator (a GPU
 * node's accelerator), and writes anomaly reports.
 *
 * Start-up: its state lives in memory, so it first replays its shards from every registered
 * primary's durable log (read-only), asks the primaries for full deltas of its shards, and then
 * follows the streams in group `mirror` (its pending entries first: a node restarted under the
 * same name picks up what it had read and not acknowledged). A node that replaces a dead one
 * under another name takes the dead one's pending entries over by XAUTOCLAIM.
 *
 * The stream is at-least-once; the applier (stream-applier.ts) makes it exactly-once in effect
 * (duplicates ignored by seq, gaps re-read from the source's log, dead-lettered entries' events
 * re-read by their header). Entries are acknowledged only after they were applied.
 *
 * Comparisons run every `compareEveryMs` when something changed, and once more at close, on rows
 * where both sides stand at the same seq (lag is not deviation). Causes are named from what the
 * mirror knows (version skew, non-determinism); the primary's delivery journal stays on the
 * primary node, so a deviation with neither is reported as `unknown`, saying so.
 *
 * `close()` is the graceful shutdown: stop reading (the entry in hand is finished and
 * acknowledged), compare once more, flush and close the sinks, leave a last report in Redis.
 */

import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { callbackSink } from '../anomaly/callback-sink.js';
import { commandMismatchReport } from '../anomaly/command-mismatch-report.js';
import { AnomalyDetector, type DetectorFleet, type DetectorStats, type Diagnosis, type FieldValue } from '../anomaly/detector.js';
import { AnomalyFanout } from '../anomaly/fanout.js';
import { JsonlFileSink } from '../anomaly/jsonl-sink.js';
import type { AnomalySink } from '../anomaly/sink.js';
import { SqliteAnomalyStore } from '../anomaly/sqlite-anomaly-store.js';
import { SystemClock } from '../clock/system-clock.js';
import type { FallbackComparator } from '../compare/fallback-comparator.js';
import { type AcceleratorOptions, createComparator } from '../compare/select-backend.js';
import { type Fleet, FleetRegistry } from '../engine/fleet.js';
import type { MirrorEngine, MirrorStats, NonDeterminismFinding } from '../engine/mirror-engine.js';
import { closeRedis, openRedis, settlesWithin } from '../stream/redis/connection.js';
import { RedisEventConsumer } from '../stream/redis/consumer.js';
import { type StreamKeys, streamKeys } from '../stream/redis/keys.js';
import type { ConsumerStats } from '../stream/transport.js';
import type { AnyWorkflowDefinition } from '../workflow/define.js';
import { InvalidNodeOptionError } from './errors.js';
import { type MirrorReport, writeMirrorReport } from './node-registry.js';
import { PrimaryReplicas, type ReplicaStats } from './primary-replicas.js';
import { RegisteredSourceLogs, type SourceLogs } from './source-logs.js';
import { type ApplierStats, MirrorStreamApplier } from './stream-applier.js';

/** Options of {@link MirrorNode.open}. */
export interface MirrorNodeOptions {
  readonly redisUrl: string;
  readonly prefix?: string;
  readonly shards: number;
  /** The shards this node consumes (default all). One mirror node per shard at a time. */
  readonly owned?: readonly number[];
  /** Its consumer name: stable across restarts of this node, different from every other node's. */
  readonly name: string;
  readonly workflows: readonly AnyWorkflowDefinition[];
  /** The comparison backend (a GPU node: `{ backend: 'webgpu' }` or `auto` with its profile). Default auto. */
  readonly accelerator?: AcceleratorOptions;
  /** A deviation above this is an anomaly. Default 0. */
  readonly threshold?: number;
  /** Comparison rounds at most this often (ms). Default 250. */
  readonly compareEveryMs?: number;
  /** Append reports as JSON lines here. */
  readonly jsonl?: string;
  /** Keep reports in this SQLite file. */
  readonly store?: string;
  /** More sinks. */
  readonly sinks?: readonly AnomalySink[];
  /** Entries pending longer than this are claimed (ms). Default 30,000. */
  readonly claimIdleMs?: number;
  /** Gather acks this long (ms). Default 0: ack after each read. */
  readonly ackDelayMs?: number;
  /** Write this node's report to Redis this often (ms). Default 1,000. */
  readonly reportEveryMs?: number;
  /** Where the primaries' logs are read (default: their registrations, read-only on this machine). */
  readonly sourceLogs?: SourceLogs;
  /** Told of trouble the node works around (handler failures, broken delta chains, unreadable logs). */
  readonly onError?: (error: unknown) => void;
}

/** Counters of a mirror node. */
export interface MirrorNodeStats {
  readonly mirror: Readonly<MirrorStats>;
  readonly applier: Readonly<ApplierStats>;
  readonly consumer: Readonly<ConsumerStats>;
  readonly replicas: Readonly<ReplicaStats>;
  readonly comparisons: Readonly<DetectorStats>;
  readonly backend: string;
  /** Events applied from the logs at start (before following the streams). */
  readonly caughtUp: number;
}

/** What a mirror instance ended as (for checks against an undisturbed run). */
export interface MirroredInstance {
  readonly workflowId: string;
  readonly workflowType: string;
  readonly seq: number;
  readonly status: string;
  readonly state: Readonly<Record<string, unknown>>;
}

/** A mirror node. */
export class MirrorNode {
  readonly name: string;
  readonly owned: readonly number[];
  readonly detector: AnomalyDetector;
  readonly fleets: FleetRegistry;
  readonly #applier: MirrorStreamApplier;
  readonly #replicas: PrimaryReplicas;
  readonly #consumer: RedisEventConsumer;
  readonly #comparator: FallbackComparator;
  readonly #sink: AnomalyFanout;
  readonly #logs: SourceLogs;
  readonly #redis: Redis;
  readonly #keys: StreamKeys;
  readonly #onError: (error: unknown) => void;
  readonly #detectorFleets = new Map<Fleet, DetectorFleet>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #timers: NodeJS.Timeout[] = [];
  #dirty = false;
  #round: Promise<void> | undefined;
  #caughtUp = 0;
  #closed = false;

  private constructor(
    options: MirrorNodeOptions,
    comparator: FallbackComparator,
    consumer: RedisEventConsumer,
    redis: Redis,
    logs: SourceLogs,
  ) {
    this.name = options.name;
    this.owned = consumer.owned;
    this.#comparator = comparator;
    this.#consumer = consumer;
    this.#redis = redis;
    this.#logs = logs;
    this.#keys = streamKeys(options.prefix);
    this.#onError = options.onError ?? (() => undefined);
    const clock = new SystemClock();
    // The matrices live where the comparator reads them in place (wasm memory), or on the heap.
    this.fleets = new FleetRegistry(options.workflows, comparator.storage);
    const sinks: AnomalySink[] = [];
    if (options.store !== undefined) sinks.push(SqliteAnomalyStore.open({ path: options.store }));
    if (options.jsonl !== undefined) sinks.push(new JsonlFileSink(options.jsonl));
    sinks.push(...(options.sinks ?? []));
    if (sinks.length === 0) sinks.push(callbackSink(() => undefined));
    this.#sink = new AnomalyFanout(sinks);
    this.detector = new AnomalyDetector({
      comparator,
      threshold: options.threshold ?? 0,
      clock,
      sink: this.#sink,
      diagnose: (_fleet, workflowId) => this.#diagnose(workflowId),
      describe: (fleet, side, workflowId, field, encoded) => this.#describe(fleet, side, workflowId, field, encoded),
    });
    this.#applier = new MirrorStreamApplier({
      engine: {
        fleets: this.fleets,
        onNonDeterminism: (finding) => this.#track(this.#raiseNonDeterminism(finding)),
      },
      logs,
      shards: options.shards,
      owned: consumer.owned,
    });
    this.#replicas = new PrimaryReplicas(this.fleets, (shard) => consumer.requestResync(shard), this.#onError);
  }

  /**
   * Connects, replays the owned shards from the registered primaries' logs, asks for full deltas
   * and starts following the streams.
   * @throws InvalidNodeOptionError, InvalidTransportOptionError, ShardCountMismatchError, BackendUnavailableError
   */
  static async open(options: MirrorNodeOptions): Promise<MirrorNode> {
    if (typeof options.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(options.name)) {
      throw new InvalidNodeOptionError('name', `must be letters, digits, '.', '_' or '-', got ${JSON.stringify(options.name)}`);
    }
    const onError = options.onError ?? (() => undefined);
    const comparator = await createComparator(options.accelerator ?? {});
    const consumer = await RedisEventConsumer.open({
      url: options.redisUrl,
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
      shards: options.shards,
      ...(options.owned !== undefined ? { owned: options.owned } : {}),
      consumer: options.name,
      ...(options.claimIdleMs !== undefined ? { claimIdleMs: options.claimIdleMs } : {}),
      ...(options.ackDelayMs !== undefined ? { ackDelayMs: options.ackDelayMs } : {}),
      onError,
    });
    const redis = openRedis(options.redisUrl, { connectionName: `wfm-mirror-${options.name}`, onError });
    const logs = options.sourceLogs ?? new RegisteredSourceLogs(redis, streamKeys(options.prefix));
    const node = new MirrorNode(options, comparator, consumer, redis, logs);
    try {
      await node.#start(options);
    } catch (error) {
      await node.close().catch(() => undefined);
      throw error;
    }
    return node;
  }

  /** The mirror engine (its instances, its matrices through {@link fleets}). */
  get mirror(): MirrorEngine {
    return this.#applier.mirror;
  }

  async #start(options: MirrorNodeOptions): Promise<void> {
    // Full deltas first, so they are on their way while the logs are replayed.
    for (const shard of this.owned) await this.#consumer.requestResync(shard);
    for (const source of await this.#logs.sources()) {
      try {
        this.#caughtUp += await this.#applier.catchUp(source);
      } catch (error) {
        // A log that cannot be read now: the streams and the gap repairs will bring what they can.
        this.#onError(error);
      }
    }
    await this.#consumer.start({
      events: async (batch) => {
        await this.#applier.events(batch);
        this.#dirty = true;
      },
      deltas: async (message) => {
        await this.#replicas.apply(message);
        this.#dirty = true;
      },
      rejected: async (entry) => {
        this.#onError(entry.error);
        await this.#applier.rejected(entry);
        this.#dirty = true;
      },
    });
    const compareEveryMs = options.compareEveryMs ?? 250;
    if (compareEveryMs > 0) {
      this.#timers.push(
        setInterval(() => {
          if (this.#dirty && this.#round === undefined) this.#track(this.compareNow());
        }, compareEveryMs),
      );
    }
    this.#timers.push(setInterval(() => this.#track(this.#report('running')), options.reportEveryMs ?? 1_000));
    await this.#report('running');
  }

  /** One comparison round over every fleet (waits for a round in progress instead of starting a second). */
  compareNow(): Promise<void> {
    if (this.#round !== undefined) return this.#round;
    this.#dirty = false;
    this.#round = (async () => {
      for (const fleet of this.fleets.all()) await this.detector.compareFleet(this.#detectorFleet(fleet));
    })().finally(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  stats(): MirrorNodeStats {
    return {
      mirror: this.mirror.stats,
      applier: this.#applier.stats,
      consumer: this.#consumer.stats,
      replicas: this.#replicas.stats,
      comparisons: this.detector.stats,
      backend: this.#comparator.name,
      caughtUp: this.#caughtUp,
    };
  }

  /** Every instance the mirror holds, by id. */
  instances(): MirroredInstance[] {
    return [...this.mirror.allInstances()]
      .map((i) => ({
        workflowId: i.workflowId,
        workflowType: i.compiled.name,
        seq: i.seq,
        status: i.status,
        state: { ...i.state },
      }))
      .sort((a, b) => (a.workflowId < b.workflowId ? -1 : a.workflowId > b.workflowId ? 1 : 0));
  }

  /** Per primary node: the highest log position applied from it. */
  get positions(): ReadonlyMap<string, number> {
    return this.#applier.positions;
  }

  /**
   * Graceful shutdown (see the file comment). While Redis is away, each step that needs it waits
   * at most `timeoutMs` (default 5,000); unacknowledged entries then stay pending for the next node.
   */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    await this.#consumer.stop(timeoutMs);
    await settlesWithin(this.#settle(), timeoutMs);
    await this.compareNow().catch((error: unknown) => this.#onError(error));
    await settlesWithin(this.#settle(), timeoutMs);
    await this.#sink.close();
    await settlesWithin(
      this.#report('stopped').catch((error: unknown) => this.#onError(error)),
      timeoutMs,
    );
    await this.#logs.close();
    this.#comparator.dispose();
    await closeRedis(this.#redis);
  }

  async #settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async #report(state: MirrorReport['state']): Promise<void> {
    const sources: Record<string, { applied: number; logPosition: number | null }> = {};
    for (const [source, applied] of this.positions) {
      let logPosition: number | null = null;
      try {
        logPosition = await (await this.#logs.get(source)).lastPosition();
      } catch {
        // Another machine's log: the streams' lag (wfmirror status --redis) still tells.
      }
      sources[source] = { applied, logPosition };
    }
    const s = this.stats();
    await writeMirrorReport(this.#redis, this.#keys, {
      name: this.name,
      host: hostname(),
      pid: process.pid,
      shards: this.owned,
      applied: s.mirror.applied,
      duplicates: s.mirror.duplicatesIgnored,
      gapsRepaired: s.applier.gapsRepaired,
      deadLettered: s.consumer.deadLettered,
      anomalies: s.comparisons.anomalies,
      sources,
      time: Date.now(),
      state,
    });
  }

  #detectorFleet(fleet: Fleet): DetectorFleet {
    let view = this.#detectorFleets.get(fleet);
    if (view === undefined) {
      view = {
        name: fleet.compiled.name,
        layout: fleet.compiled.layout,
        primary: fleet.primary,
        mirror: fleet.mirror,
        index: fleet.index,
      };
      this.#detectorFleets.set(fleet, view);
    }
    return view;
  }

  /** The cause, from what this node knows: the mirror's findings. The primary's journal is on its own node. */
  #diagnose(workflowId: string): Diagnosis {
    const instance = this.mirror.instance(workflowId);
    if (instance?.versionSkew === true) {
      return {
        cause: 'version-skew',
        detail: `the primary started this instance with definition fingerprint ${instance.startedFingerprint}, this mirror runs ${instance.compiled.fingerprint} (same name, other code)`,
      };
    }
    if (instance?.nonDeterministic === true) {
      return { cause: 'non-determinism', detail: 'the replay issued other commands than the history records' };
    }
    return {
      cause: 'unknown',
      detail:
        'the primary state differs from the replay of its own history; the primary node holds the journal of its handler deliveries, so the cause (a lost or duplicated delivery, another activity result, a write outside a handler) is not narrowed here',
    };
  }

  #describe(fleet: DetectorFleet, side: 'primary' | 'mirror', workflowId: string, field: number, encoded: number): FieldValue {
    if (side === 'mirror' && fleet.layout.kinds[field] === 'str' && !Number.isNaN(encoded)) {
      const value = this.mirror.instance(workflowId)?.state[fleet.layout.names[field]!];
      if (typeof value === 'string') return value;
    }
    return fleet.layout.decodeField(field, encoded);
  }

  async #raiseNonDeterminism(finding: NonDeterminismFinding): Promise<void> {
    await this.detector.raise(
      commandMismatchReport({ ...finding, versionSkew: finding.instance.versionSkew }, this.detector.threshold, Date.now()),
    );
  }

  #track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => this.#onError(error));
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }
}
