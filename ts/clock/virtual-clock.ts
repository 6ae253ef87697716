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
  // A binary min-heap on (at, id). Cleared timers are only marked, and dropped when they reach
  // the top: runs create and clear a timer per activity attempt (its timeout), so both must be cheap.
  private readonly heap: PendingTimer[] = [];
  private readonly cleared = new Set<number>();
  private readonly live = new Set<number>();

  constructor(startMs = 0) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, ms: number): TimerHandle {
    const timer: PendingTimer = { id: this.nextId++, at: this.time + Math.max(0, ms), callback };
    const heap = this.heap;
    let i = heap.length;
    heap.push(timer);
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (!before(timer, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = timer;
    this.live.add(timer.id);
    return { id: timer.id };
  }

  clearTimer(handle: TimerHandle): void {
    if (this.live.delete(handle.id)) this.cleared.add(handle.id);
  }

  /** Number of timers not fired or cleared yet. */
  get pendingTimers(): number {
    return this.live.size;
  }

  /** When the earliest pending timer fires, or undefined when none is pending. */
  nextTimerAt(): number | undefined {
    this.dropCleared();
    return this.heap[0]?.at;
  }

  /** Moves time forward to `target`, firing every timer due on the way, in order. */
  advanceTo(target: number): void {
    for (;;) {
      this.dropCleared();
      const top = this.heap[0];
      if (top === undefined || top.at > target) break;
      this.pop();
      this.live.delete(top.id);
      this.time = Math.max(this.time, top.at);
      top.callback();
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

  private dropCleared(): void {
    while (this.heap.length > 0 && this.cleared.has(this.heap[0]!.id)) this.cleared.delete(this.pop().id);
  }

  private pop(): PendingTimer {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before(a: PendingTimer, b: PendingTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.id < b.id);
}
