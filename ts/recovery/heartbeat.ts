/**
 * The primary's sign of life: a beat written to the log every `intervalMs` (ts/history's
 * FencedLog keeps the last one), read by a FailureDetector in whichever process watches it.
 * Through the log rather than a socket because the log is the one thing primary and standby
 * already share, and a primary that cannot reach its log is as good as dead to its workflows.
 */
import type { WorkflowMirrorError } from '../base-error.js';
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { FencedLog } from '../history/event-log.js';
import { HeartbeatFailedError } from './errors.js';

/** Options of {@link startHeartbeat}. */
export interface HeartbeatOptions {
  readonly log: FencedLog;
  /** Who beats, e.g. the primary's process name. */
  readonly owner: string;
  /** The epoch the primary writes with. */
  readonly epoch: number;
  readonly clock: Clock;
  /** Time between beats (ms); the detector's timeout should be several of these. Default 1,000. */
  readonly intervalMs?: number;
  /** A beat that could not be written (the next one is still tried). */
  readonly onError?: (error: WorkflowMirrorError) => void;
}

/** A running heartbeat. */
export interface HeartbeatHandle {
  /** Stops beating; resolves once a beat in progress has finished. */
  stop(): Promise<void>;
}

/** Beats once now, then every `intervalMs` on `clock`, until stopped. */
export function startHeartbeat(options: HeartbeatOptions): HeartbeatHandle {
  const intervalMs = options.intervalMs ?? 1_000;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0)
    throw new TypeError(`intervalMs must be a positive number, got ${intervalMs}`);
  let stopped = false;
  let timer: TimerHandle | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const beat = (): void => {
    timer = undefined;
    if (stopped) return;
    const time = options.clock.now();
    inFlight = options.log
      .heartbeat({ owner: options.owner, epoch: options.epoch, time })
      .catch((cause: unknown) => options.onError?.(new HeartbeatFailedError(options.owner, cause)))
      .finally(() => {
        if (!stopped) timer = options.clock.setTimer(beat, intervalMs);
      });
  };
  beat();
  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) options.clock.clearTimer(timer);
      await inFlight;
    },
  };
}
