/**
 * One shard on the main thread: its worker thread, its ring, its status block and its feeder, and
 * the worker's life (ready, findings, death, close). WorkerMirror holds one per shard and replaces
 * it on a restart.
 */
import { Worker } from 'node:worker_threads';
import { EventRing } from '../ring/event-ring.js';
import { MirrorWorkerDiedError, MirrorWorkerStartError } from './errors.js';
import { ShardFeeder, type ShardFeederOptions } from './shard-feeder.js';
import type { ShardWorkerData, ShardWorkerMessage, WorkerNonDeterminismFinding, WorkerUnappliedEvent } from './shard-protocol.js';
import { ShardStatus } from './shard-status.js';

/** What a worker said when it was ready: the definitions it mirrors. */
export type ShardReady = Extract<ShardWorkerMessage, { type: 'ready' }>['workflows'];

/** Options of {@link ShardRunner}. */
export interface ShardRunnerOptions {
  readonly shard: number;
  readonly script: string;
  readonly ringBytes: number;
  readonly workerData: Omit<ShardWorkerData, 'shard' | 'ring' | 'status'>;
  readonly feeder: Omit<ShardFeederOptions, 'ring' | 'onError'>;
  /** The highest log position the subscription has delivered so far. */
  readonly seenThrough: number;
  readonly onNonDeterminism: (finding: WorkerNonDeterminismFinding) => void;
  readonly onUnapplied: (unapplied: WorkerUnappliedEvent) => void;
  readonly onFeedError: (error: unknown) => void;
  readonly onDied: (error: MirrorWorkerDiedError) => void;
}

export class ShardRunner {
  readonly shard: number;
  readonly ring: EventRing;
  readonly status = ShardStatus.create();
  readonly feeder: ShardFeeder;
  readonly worker: Worker;
  /** Resolves with the worker's definitions once it is ready; rejects with MirrorWorkerStartError. */
  readonly ready: Promise<ShardReady>;
  /** The worker thread's nice value once it is ready (null: left as inherited, or not Linux). */
  niceness: number | null = null;
  /** Set when the worker died while mirroring. */
  failure: MirrorWorkerDiedError | undefined;
  readonly #exited: Promise<number>;
  #closing = false;
  /** Findings (non-determinism, unapplied events) received from the worker, to set against its counters. */
  #findingsReceived = 0;
  #lastWords: string | undefined;
  #crash: unknown;

  constructor(options: ShardRunnerOptions) {
    this.shard = options.shard;
    this.ring = EventRing.create(options.ringBytes);
    const data: ShardWorkerData = {
      ...options.workerData,
      shard: options.shard,
      ring: this.ring.buffer,
      status: this.status.buffer,
    };
    this.worker = new Worker(options.script, { workerData: data });
    // An idle mirror must not keep the process alive; awaited work holds it through timers.
    this.worker.unref();
    let settleReady!: { resolve(ready: ShardReady): void; reject(error: unknown): void };
    this.ready = new Promise<ShardReady>((resolve, reject) => {
      settleReady = { resolve, reject };
    });
    // Whoever awaits `ready` sees the rejection; one nobody awaited must not crash the process.
    this.ready.catch(() => undefined);
    let isReady = false;
    this.worker.on('message', (message: ShardWorkerMessage) => {
      switch (message.type) {
        case 'ready':
          isReady = true;
          this.niceness = message.niceness;
          settleReady.resolve(message.workflows);
          return;
        case 'start-failed':
          settleReady.reject(new MirrorWorkerStartError(options.shard, message.message));
          return;
        case 'non-determinism':
          this.#findingsReceived++;
          options.onNonDeterminism(message.finding);
          return;
        case 'unapplied':
          this.#findingsReceived++;
          options.onUnapplied(message.unapplied);
          return;
        case 'failed':
          this.#lastWords = message.code === undefined ? message.message : `${message.code}: ${message.message}`;
      }
    });
    this.worker.on('error', (error) => {
      this.#crash = error;
    });
    this.#exited = new Promise<number>((resolve) => {
      this.worker.on('exit', (code) => {
        resolve(code);
        if (this.#closing) return;
        this.feeder.stop();
        this.ring.abort();
        if (!isReady) {
          settleReady.reject(
            new MirrorWorkerStartError(options.shard, this.#describeExit(code, 'exited before it was ready'), {
              cause: this.#crash,
            }),
          );
          return;
        }
        this.failure = new MirrorWorkerDiedError(
          options.shard,
          code,
          this.status.progress().position,
          this.#describeExit(code, 'exited'),
          { cause: this.#crash },
        );
        options.onDied(this.failure);
      });
    });
    this.feeder = new ShardFeeder({ ...options.feeder, ring: this.ring, onError: options.onFeedError }, 0, options.seenThrough);
  }

  /** Events written and not yet processed by the worker. */
  get lagEvents(): number {
    return this.feeder.eventsSent - this.status.progress().eventsProcessed;
  }

  /** True when everything written has been processed and the feeder is live. */
  get processedAll(): boolean {
    return !this.feeder.spilling && ((this.feeder.messagesWritten - this.status.messages) | 0) === 0;
  }

  /**
   * Findings the worker counted in its published progress that have not reached the main thread
   * yet. The worker posts each one while it applies, before it publishes the counters, but a
   * posted message arrives in a later event-loop turn than the shared memory it raced.
   */
  get findingsInFlight(): number {
    const progress = this.status.progress();
    return progress.nonDeterminism + progress.unapplied - this.#findingsReceived;
  }

  /** Everything written processed, the feeder live, and every finding delivered. */
  get caughtUp(): boolean {
    return this.processedAll && this.findingsInFlight === 0;
  }

  /**
   * Ends the worker: the ring is closed (it drains what is in it first, then leaves its loop), and
   * the thread is terminated if it has not exited within `graceMs`.
   */
  async close(graceMs: number): Promise<void> {
    this.#closing = true;
    this.feeder.stop();
    this.ring.close();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([this.#exited, grace]);
    clearTimeout(timer);
    await this.worker.terminate();
  }

  /** Ends the worker now, without draining (before a restart replaces it). */
  async kill(): Promise<void> {
    this.#closing = true;
    this.feeder.stop();
    this.ring.abort();
    await this.worker.terminate();
  }

  #describeExit(code: number, what: string): string {
    const detail = this.#lastWords ?? (this.#crash instanceof Error ? this.#crash.message : undefined);
    return `the worker ${what} (code ${code})${detail === undefined ? '' : `: ${detail}`}`;
  }
}
