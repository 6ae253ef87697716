/**
 * Time as the engines see it. The engines and workflow code never read the wall clock or start
 * real timers themselves: they are handed a Clock, so tests and the demo can run on virtual time
 * and replay is deterministic.
 */
export interface Clock {
  /** Milliseconds since an epoch the clock chooses. */
  now(): number;
  /** Runs `callback` once `ms` have passed on this clock; returns a handle for {@link clearTimer}. */
  setTimer(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer that has not fired; no effect otherwise. */
  clearTimer(handle: TimerHandle): void;
}

/** Opaque timer handle. */
export interface TimerHandle {
  readonly id: number;
}

/** A promise that resolves after `ms` on `clock`. */
export function sleepOn(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimer(resolve, ms);
  });
}
