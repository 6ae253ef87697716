/**
 * A mirror's position, reported to the log now and then, so that another process can show how
 * far behind each mirror is (`wfmirror status`). Like heartbeats, through the log: the one thing
 * primary, mirrors and operators all reach.
 */
import type { WorkflowMirrorError } from '../base-error.js';
import type { Clock, TimerHandle } from '../clock/clock.js';
import { SystemClock } from '../clock/system-clock.js';
import type { FencedLog } from '../history/event-log.js';
import { HeartbeatFailedError } from './errors.js';
import type { LogFollower } from './mirror-lag.js';

/** Options of {@link startMirrorReports}. */
export interface MirrorReportOptions {
  readonly log: FencedLog;
  /** The mirror's name in the reports, e.g. `mirror-1`. */
  readonly name: string;
  readonly mirror: LogFollower;
  /** Time between reports (ms). Default 1,000. */
  readonly intervalMs?: number;
  /** Wall clock for the reports' times and the interval (default: the system clock; a virtual workflow clock would make ages meaningless). */
  readonly clock?: Clock;
  /** A report that could not be written (the next one is still tried). */
  readonly onError?: (error: WorkflowMirrorError) => void;
}

/** Reports running until stopped. */
export interface MirrorReportHandle {
  /** Writes one report now (e.g. after a catch-up), besides the periodic ones. */
  reportNow(): Promise<void>;
  /** Stops reporting; with `forget`, also removes the mirror's report (it was promoted or retired). */
  stop(options?: { forget?: boolean }): Promise<void>;
}

/** Reports the mirror's position once now, then every `intervalMs`, until stopped. */
export function startMirrorReports(options: MirrorReportOptions): MirrorReportHandle {
  const intervalMs = options.intervalMs ?? 1_000;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0)
    throw new TypeError(`intervalMs must be a positive number, got ${intervalMs}`);
  const clock = options.clock ?? new SystemClock();
  let stopped = false;
  let timer: TimerHandle | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const write = (): Promise<void> =>
    options.log
      .reportMirrorPosition({ name: options.name, position: options.mirror.position, time: clock.now() })
      .catch((cause: unknown) => options.onError?.(new HeartbeatFailedError(options.name, cause)));
  const tick = (): void => {
    timer = undefined;
    if (stopped) return;
    inFlight = write().finally(() => {
      if (!stopped) timer = clock.setTimer(tick, intervalMs);
    });
  };
  tick();
  return {
    reportNow() {
      inFlight = inFlight.then(write);
      return inFlight;
    },
    async stop(stopOptions) {
      stopped = true;
      if (timer !== undefined) clock.clearTimer(timer);
      await inFlight;
      if (stopOptions?.forget === true) await options.log.forgetMirror(options.name);
    },
  };
}
