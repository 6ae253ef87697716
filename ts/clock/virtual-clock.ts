import type { Clock, TimerHandle } from './clock.js';

interface PendingTimer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in (time, creation) order when the clock is
 * advanced past them, so a run on virtual time is the same every time.
 */
export class VirtualClock implements Clock {
  private time: number;
  private nextId = 1;
  // Sorted by (at, id). Insertion is a binary search: timer counts here are modest, and
  // keeping the array sorted makes advance() and nextTimerAt() trivial.
  private readonly timers: PendingTimer[] = [];

  constructor(startMs = 0) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, ms: number): TimerHandle {
    const timer: PendingTimer = { id: this.nextId++, at: this.time + Math.max(0, ms), callback };
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = this.timers[mid]!;
      if (other.at <= timer.at) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, timer);
    return { id: timer.id };
  }

  clearTimer(handle: TimerHandle): void {
    const index = this.timers.findIndex((t) => t.id === handle.id);
    if (index >= 0) this.timers.splice(index, 1);
  }

  /** Number of timers not fired yet. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** When the earliest pending timer fires, or undefined when none is pending. */
  nextTimerAt(): number | undefined {
    return this.timers[0]?.at;
  }

  /** Moves time forward to `target`, firing every timer due on the way, in order. */
  advanceTo(target: number): void {
    while (this.timers.length > 0 && this.timers[0]!.at <= target) {
      const timer = this.timers.shift()!;
      this.time = Math.max(this.time, timer.at);
      timer.callback();
    }
    this.time = Math.max(this.time, target);
  }

  /** Moves time forward by `ms`. */
  advanceBy(ms: number): void {
    this.advanceTo(this.time + ms);
  }

  /**
   * Fires every timer that is due at the earliest pending time (and moves time there).
   * Returns false when no timer was pending.
   */
  fireNext(): boolean {
    const at = this.nextTimerAt();
    if (at === undefined) return false;
    this.advanceTo(at);
    return true;
  }
}
