/**
 * What the main thread and a shard worker say to each other besides the ring: the worker's start
 * data, and the few messages a worker posts (its findings are rare; its progress is in shared
 * memory, see shard-status.ts). Everything here survives structured cloning.
 */
import type { HistoryEvent } from '../../history/events.js';
import type { SharedMatrixHandle } from './shared-state-matrix.js';

/** A workflow definition a worker imports: functions cannot cross threads, modules can. */
export interface WorkflowModule {
  /**
   * A module specifier the worker can import: a `file:` URL (or an absolute path) of built
   * JavaScript. The primary should run the very same module, so both compute the same fingerprint.
   */
  readonly module: string | URL;
  /** The export holding the definition. Default `default`. */
  readonly export?: string;
}

/** `workerData` of a shard worker. */
export interface ShardWorkerData {
  readonly shard: number;
  readonly ring: SharedArrayBuffer;
  readonly status: SharedArrayBuffer;
  readonly matrices: readonly SharedMatrixHandle[];
  /** Resolved to URL strings by the main thread. */
  readonly workflows: readonly { readonly module: string; readonly export: string }[];
  readonly guardDeterminism: boolean;
  /** The nice value the worker gives its own thread (Linux only), or undefined to keep the inherited one. */
  readonly niceness: number | undefined;
}

/** A non-determinism finding of a worker's mirror (the in-process finding, without the instance object). */
export interface WorkerNonDeterminismFinding {
  readonly shard: number;
  readonly workflowId: string;
  readonly workflowType: string;
  readonly seq: number;
  readonly detail: string;
  /** The instance was started by other code than the worker's definition (cause: version skew). */
  readonly versionSkew: boolean;
}

/** An event a worker's mirror could not apply. */
export interface WorkerUnappliedEvent {
  readonly shard: number;
  readonly event: HistoryEvent;
  readonly reason: 'gap' | 'unknown-instance' | 'unknown-workflow';
  /** The seq the worker's instance stands at (0 when it has none): a gap is re-read after it. */
  readonly instanceSeq: number;
}

/** What a worker posts. */
export type ShardWorkerMessage =
  | {
      readonly type: 'ready';
      readonly workflows: readonly { readonly name: string; readonly fingerprint: string }[];
      /** The thread's nice value as the worker read it back after setting it; null where none was asked for or it cannot be set per thread. */
      readonly niceness: number | null;
    }
  | { readonly type: 'start-failed'; readonly message: string }
  | { readonly type: 'non-determinism'; readonly finding: WorkerNonDeterminismFinding }
  | { readonly type: 'unapplied'; readonly unapplied: WorkerUnappliedEvent }
  | { readonly type: 'failed'; readonly message: string; readonly code: string | undefined; readonly stack: string | undefined };
