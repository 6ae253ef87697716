/**
 * `WorkerMirror`: the mirror fleet in worker threads, fed through SharedArrayBuffer rings, its
 * state matrices in shared memory (DESIGN.md section 9, "one machine").
 *
 * The main thread keeps what only it can do cheaply: it subscribes to the primary's log (as
 * InProcessTee does), splits each durable batch by shard (`shardOf`, the stable hash the Redis
 * transport uses too), takes each new instance's row from the primary's own Fleet (`rowFor`: ONE
 * row index for both sides), and writes one encoded message per shard into that shard's ring
 * (shard-feeder.ts: live while the ring has room, from the log when it has not; never waiting,
 * never dropping). Each shard worker replays its instances (shard-mirror.ts) and copies the rows
 * it touched into the shared mirror matrices, where the main thread's comparator reads them in
 * place, aligned row for row with the primary's matrices (compare-shared.ts).
 *
 * What the primary's thread pays per batch: one hash per event (several shards only), one
 * FlatBuffers encoding of the events (the log's EventWriter), one copy into the ring, a few atomic
 * stores, and at most one wake-up of a sleeping worker per event-loop turn. Measured on the 2-vCPU
 * VM (shared, loaded), 200,000 order events replayed into one shard: 0.17-0.25 us per event on the
 * main thread, against about 4 us per event for the primary itself on the memory log. A shard
 * that fell behind is fed from the log, which costs the main thread the same encoding again, plus
 * the reads. `stats().mainThreadMs` adds both up, so a benchmark can set it against the primary's
 * time whatever else shares the cores.
 *
 * A worker that dies is reported (MirrorWorkerDiedError, through `onError` and from
 * `whenCaughtUp`); nothing is lost: `restartShard` starts a new worker that replays the shard's
 * instances from the log. A new WorkerMirror also starts by replaying the log from position 0,
 * so it can be opened over a log that already holds history.
 */

import { isAbsolute } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { WorkflowMirrorError } from '../../base-error.js';
import type { Fleet, FleetRegistry } from '../../engine/fleet.js';
import type { EncodedEvents, EventLog } from '../../history/event-log.js';
import type { HistoryEvent } from '../../history/events.js';
import { shardOf } from '../transport.js';
import {
  InvalidWorkerMirrorOptionsError,
  MirrorFeedError,
  type MirrorWorkerDiedError,
  MirrorWorkerStartError,
  SharedMatrixFullError,
  WorkerMirrorClosedError,
} from './errors.js';
import { GatheredEvents } from './gathered-events.js';
import type { WorkerNonDeterminismFinding, WorkerUnappliedEvent, WorkflowModule } from './shard-protocol.js';
import { ShardRunner } from './shard-runner.js';
import { DEFAULT_MAX_ROWS, SharedStateMatrix } from './shared-state-matrix.js';
import { shardWorkerPath } from './worker-script.js';

/** Default ring size per shard: 1 MiB (thousands of typical events). */
export const DEFAULT_RING_BYTES = 1 << 20;
/** Default events per readRange while a shard catches up from the log. */
export const DEFAULT_CATCH_UP_CHUNK = 2_000;
/** Events gathered at most before they are forwarded without waiting for the event-loop turn. */
const FORWARD_SLICE_EVENTS = 512;
/** How long close() lets a worker drain before terminating it (ms). */
const CLOSE_GRACE_MS = 5_000;
/** How long one wait for a worker's progress lasts before everything is checked again (ms). */
const PROGRESS_SLICE_MS = 50;

/** Options of {@link WorkerMirror.start}. */
export interface WorkerMirrorOptions {
  /** The primary's log: subscribed to, and read from when a shard catches up. */
  readonly log: EventLog;
  /** The primary's fleets: rows come from their shared row index; one shared mirror matrix per fleet. */
  readonly fleets: FleetRegistry;
  /** Where the workers import the definitions from: one entry per fleet (same names). */
  readonly workflows: readonly WorkflowModule[];
  /** Worker threads, each mirroring the instances that hash to it. Default 1. */
  readonly shards?: number;
  /** Bytes of each shard's ring: a power of two, at least 1 KiB. Default 1 MiB. */
  readonly ringBytes?: number;
  /** Rows reserved per shared matrix (address space; memory is committed as rows are used). Default 4,194,304. */
  readonly maxRows?: number;
  /** Events per readRange while catching up from the log. Default 2,000. */
  readonly catchUpChunk?: number;
  /**
   * Linux nice value of each shard worker's thread, 0 to 19 (higher: the scheduler favours the
   * primary's threads more). Default: inherited (normally 0). A mirror at low priority takes
   * less from a primary whose threads need the same cores, and falls behind instead when the
   * cores are saturated (its lag shows in `stats()`; a ring that fills is caught up from the
   * log). Ignored on other platforms, where a nice value is the whole process's.
   */
  readonly niceness?: number;
  /** Make Date.now / Math.random throw inside the workers' handlers. Default true. */
  readonly guardDeterminism?: boolean;
  /** A worker's mirror found non-determinism (raise it as an anomaly: cause non-determinism, or version-skew). */
  readonly onNonDeterminism?: (finding: WorkerNonDeterminismFinding) => void;
  /** A worker's mirror could not apply an event. */
  readonly onUnapplied?: (unapplied: WorkerUnappliedEvent) => void;
  /** Errors no call waits for: a worker died, a shard could not be fed, a shared matrix is full. Default: console.error. */
  readonly onError?: (error: WorkflowMirrorError) => void;
  /** Another worker script (tests). Default: the built `shard-worker.js`. */
  readonly workerScript?: string;
}

/** A definition as the workers loaded it. */
export interface WorkerDefinition {
  readonly name: string;
  readonly fingerprint: string;
  /**
   * False when the workers' code differs from the primary's fleet (another build, or a module
   * transformed differently on one side): every instance the primary starts is then version skew.
   */
  readonly matchesPrimary: boolean;
}

/** Counters of one shard. Worker-side counts restart from 0 when the shard is restarted. */
export interface WorkerShardStats {
  readonly shard: number;
  readonly alive: boolean;
  /** Fed from the log (catching up, or the ring was full) rather than live. */
  readonly spilling: boolean;
  readonly eventsSent: number;
  /** Events sent as the log's own encoding of them (the SQLite log's), copied rather than encoded again. */
  readonly eventsCopied: number;
  readonly eventsProcessed: number;
  /** Events applied by the worker's mirror (duplicates and unapplied ones excluded). */
  readonly eventsApplied: number;
  /** Events written to the ring and not yet processed. */
  readonly lag: number;
  /** The highest log position the worker applied. */
  readonly appliedPosition: number;
  /** Every event of the shard up to this log position has been written to the ring. */
  readonly sentPosition: number;
  /** Writes that waited for room (catch-up from the log). */
  readonly ringFullWaits: number;
  /** Live batches that did not fit the ring (the shard then caught up from the log). */
  readonly spills: number;
  /** Main-thread time spent encoding and writing this shard's catch-up messages (ms). */
  readonly catchUpMs: number;
  readonly ringUsedBytes: number;
  readonly nonDeterminism: number;
  readonly unapplied: number;
  /** Instances mirrored without a shared row (their matrix was full). */
  readonly unpublished: number;
  readonly restarts: number;
  /** The worker thread's nice value as it read it back; null when `niceness` was not given or not applied (not Linux). */
  readonly niceness: number | null;
}

/** Counters of a WorkerMirror. */
export interface WorkerMirrorStats {
  readonly shards: readonly WorkerShardStats[];
  /** Events applied, all shards. */
  readonly applied: number;
  /** Events written and not yet processed, all shards. */
  readonly lag: number;
  readonly ringFullWaits: number;
  readonly spills: number;
  /** The highest log position the subscription delivered. */
  readonly deliveredPosition: number;
  /** Batches the subscription delivered, and the main thread's time spent forwarding them (ms). */
  readonly forwardedBatches: number;
  readonly forwardMs: number;
  /**
   * Everything the worker mirror cost the main thread (ms): forwarding plus catch-up encoding.
   * Against the primary's own time, this is the share of its thread the mirror takes, whatever
   * other load shares the machine's cores.
   */
  readonly mainThreadMs: number;
}

export class WorkerMirror {
  readonly shardCount: number;
  /** The definitions the workers loaded, checked against the primary's fleets. */
  definitions: readonly WorkerDefinition[] = [];
  readonly #options: WorkerMirrorOptions;
  readonly #script: string;
  readonly #ringBytes: number;
  readonly #catchUpChunk: number;
  readonly #modules: readonly { readonly module: string; readonly export: string }[];
  readonly #matrices = new Map<Fleet, SharedStateMatrix>();
  readonly #byType = new Map<string, SharedStateMatrix>();
  readonly #runners: ShardRunner[] = [];
  readonly #restarts: number[];
  readonly #buckets: GatheredEvents[];
  readonly #fullReported = new Set<string>();
  readonly #onError: (error: WorkflowMirrorError) => void;
  #unsubscribe: (() => void) | undefined;
  #delivered = 0;
  #forwardedBatches = 0;
  #forwardMs = 0;
  /** Events received since the last forward (see {@link WorkerMirror.#receive}). */
  readonly #pending = new GatheredEvents();
  #flushScheduled = false;
  #closed = false;

  private constructor(options: WorkerMirrorOptions) {
    this.#options = options;
    this.shardCount = options.shards ?? 1;
    this.#ringBytes = options.ringBytes ?? DEFAULT_RING_BYTES;
    this.#catchUpChunk = options.catchUpChunk ?? DEFAULT_CATCH_UP_CHUNK;
    this.#onError = options.onError ?? ((error) => console.error('wfmirror: worker mirror:', error));
    checkOptions(options, this.shardCount, this.#ringBytes, this.#catchUpChunk);
    this.#script = options.workerScript ?? shardWorkerPath();
    this.#modules = options.workflows.map(resolveModule);
    for (const fleet of options.fleets.all()) {
      const matrix = SharedStateMatrix.create(fleet.compiled.name, fleet.compiled.layout, options.maxRows ?? DEFAULT_MAX_ROWS);
      this.#matrices.set(fleet, matrix);
      this.#byType.set(fleet.compiled.name, matrix);
    }
    this.#restarts = new Array<number>(this.shardCount).fill(0);
    this.#buckets = Array.from({ length: this.shardCount }, () => new GatheredEvents());
  }

  /**
   * Starts the shard workers, subscribes to the log and resolves once every worker is ready. Each
   * shard first replays what the log already holds, then follows it live.
   * @throws InvalidWorkerMirrorOptionsError, MirrorWorkerScriptMissingError, MirrorWorkerStartError
   *   (a module did not load, an export is no definition, the definitions do not match the fleets).
   */
  static async start(options: WorkerMirrorOptions): Promise<WorkerMirror> {
    const mirror = new WorkerMirror(options);
    // Subscribed first, so that every batch from now on is either seen live or read by catch-up.
    mirror.#unsubscribe = options.log.subscribe((events, encoded) => mirror.#receive(events, encoded));
    try {
      for (let shard = 0; shard < mirror.shardCount; shard++) mirror.#runners.push(mirror.#startRunner(shard));
      const ready = await Promise.all(mirror.#runners.map((runner) => runner.ready));
      for (const workflows of ready) mirror.#checkDefinitions(workflows);
    } catch (error) {
      await mirror.#shutDown(false);
      throw error;
    }
    return mirror;
  }

  /** The shard of an instance. */
  shardOf(workflowId: string): number {
    return this.shardCount === 1 ? 0 : shardOf(workflowId, this.shardCount);
  }

  /**
   * The shared mirror matrix of `workflowType`: row r belongs to the instance of row r of the
   * primary's matrix (`fleets.get(workflowType).primary`). Read it in place (compare-shared.ts).
   */
  matrix(workflowType: string): SharedStateMatrix {
    const matrix = this.#byType.get(workflowType);
    if (matrix === undefined) {
      throw new InvalidWorkerMirrorOptionsError(`no fleet "${workflowType}" (known: ${[...this.#byType.keys()].join(', ')})`);
    }
    return matrix;
  }

  /**
   * Resolves once every shard has applied every event the log delivered so far (and no shard is
   * still catching up from the log), and every finding those events raised has been handed to
   * `onNonDeterminism` / `onUnapplied`.
   * @throws MirrorWorkerDiedError when a shard's worker is dead; MirrorFeedError when a shard
   *   cannot be fed; WorkerMirrorClosedError after close.
   */
  async whenCaughtUp(): Promise<void> {
    for (;;) {
      if (this.#closed) throw new WorkerMirrorClosedError('whenCaughtUp');
      this.#flushPending();
      let waitedOn: ShardRunner | undefined;
      for (const runner of this.#runners) {
        if (runner.failure !== undefined) throw runner.failure;
        if (runner.feeder.failure !== undefined) {
          throw new MirrorFeedError(runner.shard, 'catching up from the log failed', { cause: runner.feeder.failure });
        }
        if (!runner.caughtUp) {
          waitedOn = runner;
          break;
        }
      }
      if (waitedOn === undefined) return;
      // Everything processed and only findings in flight: the worker's port delivers them next turn.
      if (waitedOn.feeder.spilling) await Promise.race([waitedOn.feeder.whenLive(), delay(PROGRESS_SLICE_MS)]);
      else if (waitedOn.processedAll) await nextTurn();
      else await waitedOn.status.waitForProgress(waitedOn.status.messages, PROGRESS_SLICE_MS);
    }
  }

  /** Counters per shard and in all. */
  stats(): WorkerMirrorStats {
    const shards = this.#runners.map((runner): WorkerShardStats => {
      const progress = runner.status.progress();
      const feeder = runner.feeder;
      return {
        shard: runner.shard,
        alive: runner.failure === undefined,
        spilling: feeder.spilling,
        eventsSent: feeder.eventsSent,
        eventsCopied: feeder.eventsCopied,
        eventsProcessed: progress.eventsProcessed,
        eventsApplied: progress.eventsApplied,
        lag: feeder.eventsSent - progress.eventsProcessed,
        appliedPosition: progress.position,
        sentPosition: feeder.sentThrough,
        ringFullWaits: runner.ring.stats.fullWaits,
        spills: feeder.spills,
        catchUpMs: feeder.catchUpMs,
        ringUsedBytes: runner.ring.usedBytes(),
        nonDeterminism: progress.nonDeterminism,
        unapplied: progress.unapplied,
        unpublished: progress.unpublished,
        restarts: this.#restarts[runner.shard]!,
        niceness: runner.niceness,
      };
    });
    const sum = (pick: (s: WorkerShardStats) => number) => shards.reduce((total, s) => total + pick(s), 0);
    return {
      shards,
      applied: sum((s) => s.eventsApplied),
      lag: sum((s) => s.lag),
      ringFullWaits: sum((s) => s.ringFullWaits),
      spills: sum((s) => s.spills),
      deliveredPosition: this.#delivered,
      forwardedBatches: this.#forwardedBatches,
      forwardMs: this.#forwardMs,
      mainThreadMs: this.#forwardMs + sum((s) => s.catchUpMs),
    };
  }

  /**
   * Replaces shard `shard`'s worker (dead or not) by a new one that replays the shard's instances
   * from the log (position 0) and then follows it live; resolves once it is ready. Its rows in the
   * shared matrices are rewritten as the replay reaches them.
   * @throws MirrorWorkerStartError; WorkerMirrorClosedError after close.
   */
  async restartShard(shard: number): Promise<void> {
    if (this.#closed) throw new WorkerMirrorClosedError('restartShard');
    const old = this.#runners[shard];
    if (old === undefined) throw new InvalidWorkerMirrorOptionsError(`no shard ${String(shard)} (shards: ${this.shardCount})`);
    await old.kill();
    const runner = this.#startRunner(shard);
    this.#runners[shard] = runner;
    this.#restarts[shard]!++;
    this.#checkDefinitions(await runner.ready);
  }

  /**
   * Stops following the log, lets every live shard apply what it was sent (drain), then ends the
   * workers. The shared matrices stay readable.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#shutDown(true);
  }

  async #shutDown(drain: boolean): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#flushPending();
    if (drain) {
      try {
        await this.whenCaughtUp();
      } catch {
        // A dead shard cannot drain; it was reported when it died. The others are closed below.
      }
    }
    this.#closed = true;
    await Promise.all(this.#runners.map((runner) => runner.close(CLOSE_GRACE_MS)));
  }

  #startRunner(shard: number): ShardRunner {
    const single = this.shardCount === 1;
    const count = this.shardCount;
    return new ShardRunner({
      shard,
      script: this.#script,
      ringBytes: this.#ringBytes,
      workerData: {
        matrices: [...this.#matrices.values()].map((matrix) => matrix.handle),
        workflows: this.#modules,
        guardDeterminism: this.#options.guardDeterminism ?? true,
        niceness: this.#options.niceness,
      },
      feeder: {
        log: this.#options.log,
        owns: single ? () => true : (workflowId) => shardOf(workflowId, count) === shard,
        rowOf: (event) => this.#rowOf(event),
        catchUpChunk: this.#catchUpChunk,
      },
      seenThrough: this.#delivered,
      onNonDeterminism: (finding) => this.#options.onNonDeterminism?.(finding),
      onUnapplied: (unapplied) => this.#options.onUnapplied?.(unapplied),
      onFeedError: (error) => this.#onError(new MirrorFeedError(shard, 'catching up from the log failed', { cause: error })),
      onDied: (error: MirrorWorkerDiedError) => this.#onError(error),
    });
  }

  /**
   * The subscription. A log may deliver one event per batch (the memory log does, and a SQLite
   * log under light load nearly does); encoding, copying into the ring and waking the worker once
   * per such batch cost the primary more than the rest of the mirror. So batches are gathered and
   * forwarded once per event-loop turn: one message for everything the primary appended meanwhile.
   */
  #receive(events: readonly HistoryEvent[], encoded: EncodedEvents | undefined): void {
    // Not timed: gathering is a push per event; what costs is forwarding, which #forward times.
    this.#pending.addBatch(events, encoded);
    // A primary that never yields to the event loop (a memory log resolves appends as microtasks)
    // would otherwise hold everything until it stops: forward in slices of this size too.
    if (this.#pending.length >= FORWARD_SLICE_EVENTS) {
      this.#flushPending();
      return;
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flushPending);
    }
  }

  /** Forwards what {@link WorkerMirror.#receive} gathered (also called before waiting or closing). */
  readonly #flushPending = (): void => {
    this.#flushScheduled = false;
    if (this.#pending.length === 0) return;
    try {
      this.#forward(this.#pending);
    } finally {
      this.#pending.clear();
    }
  };

  /** One gathered batch, split by shard and offered to each feeder. */
  #forward(gathered: GatheredEvents): void {
    const { events } = gathered;
    if (events.length === 0) return;
    const started = performance.now();
    const lastPos = events[events.length - 1]!.pos;
    if (lastPos > this.#delivered) this.#delivered = lastPos;
    try {
      if (this.shardCount === 1) {
        this.#runners[0]?.feeder.offer(events, lastPos, gathered);
      } else {
        const buckets = this.#buckets;
        for (let i = 0; i < events.length; i++) {
          const event = events[i]!;
          buckets[shardOf(event.workflowId, this.shardCount)]!.add(event, gathered.encoded[i], gathered.index[i]!);
        }
        for (let shard = 0; shard < buckets.length; shard++) {
          const bucket = buckets[shard]!;
          this.#runners[shard]?.feeder.offer(bucket.events, lastPos, bucket);
          bucket.clear();
        }
      }
    } catch (error) {
      // Encoding refused an event no log should hold: reported; the primary goes on.
      for (const bucket of this.#buckets) bucket.clear();
      this.#onError(new MirrorFeedError(-1, 'a delivered batch could not be forwarded', { cause: error }));
    }
    this.#forwardedBatches++;
    this.#forwardMs += performance.now() - started;
  }

  /** The shared row of a WorkflowStarted event's instance (assigned by the primary's Fleet); -1 for any other event. */
  #rowOf(event: HistoryEvent): number {
    if (event.type !== 'WorkflowStarted') return -1;
    const fleet = this.#options.fleets.find(event.payload.workflowType);
    if (fleet === undefined) return -1;
    const row = fleet.rowFor(event.workflowId);
    const matrix = this.#matrices.get(fleet)!;
    if (row >= matrix.maxRows) {
      if (!this.#fullReported.has(matrix.workflowType)) {
        this.#fullReported.add(matrix.workflowType);
        this.#onError(new SharedMatrixFullError(matrix.workflowType, matrix.maxRows));
      }
      return -1;
    }
    matrix.ensureRows(row + 1);
    return row;
  }

  /** The worker must mirror exactly the fleets' workflow types; records whether its code is the primary's. */
  #checkDefinitions(workflows: readonly { readonly name: string; readonly fingerprint: string }[]): void {
    const names = new Set(workflows.map((w) => w.name));
    const missing = [...this.#byType.keys()].filter((type) => !names.has(type));
    if (missing.length > 0) {
      throw new MirrorWorkerStartError(-1, `the workflow modules do not define ${missing.map((t) => `"${t}"`).join(', ')}`);
    }
    this.definitions = workflows.map((w) => ({
      name: w.name,
      fingerprint: w.fingerprint,
      matchesPrimary: this.#options.fleets.find(w.name)?.compiled.fingerprint === w.fingerprint,
    }));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** After the event loop's next poll, where messages from workers are delivered. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function checkOptions(options: WorkerMirrorOptions, shards: number, ringBytes: number, chunk: number): void {
  if (!Number.isSafeInteger(shards) || shards < 1 || shards > 256) {
    throw new InvalidWorkerMirrorOptionsError(`shards must be an integer from 1 to 256, got ${String(shards)}`);
  }
  if (!Number.isSafeInteger(ringBytes) || ringBytes < 1024 || (ringBytes & (ringBytes - 1)) !== 0 || ringBytes > 1 << 30) {
    throw new InvalidWorkerMirrorOptionsError(`ringBytes must be a power of two from 1024 to 2^30, got ${String(ringBytes)}`);
  }
  if (!Number.isSafeInteger(chunk) || chunk < 1) {
    throw new InvalidWorkerMirrorOptionsError(`catchUpChunk must be a positive integer, got ${String(chunk)}`);
  }
  const { niceness } = options;
  if (niceness !== undefined && (!Number.isSafeInteger(niceness) || niceness < 0 || niceness > 19)) {
    throw new InvalidWorkerMirrorOptionsError(`niceness must be an integer from 0 to 19, got ${String(niceness)}`);
  }
  if (options.workflows.length === 0) throw new InvalidWorkerMirrorOptionsError('workflows: name at least one module');
}

/** A module as a URL string the worker can import. */
function resolveModule(entry: WorkflowModule): { module: string; export: string } {
  const name = entry.export ?? 'default';
  if (entry.module instanceof URL) return { module: entry.module.href, export: name };
  if (typeof entry.module === 'string' && isAbsolute(entry.module))
    return { module: pathToFileURL(entry.module).href, export: name };
  if (typeof entry.module === 'string' && /^[a-z][a-z0-9+.-]*:/i.test(entry.module))
    return { module: entry.module, export: name };
  throw new InvalidWorkerMirrorOptionsError(
    `workflows: module ${JSON.stringify(entry.module)} must be a URL or an absolute path (a worker resolves nothing relative to your code)`,
  );
}
