import type { Clock, TimerHandle } from './clock.js';

/** The real clock: wall time and Node timers. The only place the engines' time comes from in production. */
export class SystemClock implements Clock {
  private nextId = 1;
  private readonly handles = new Map<number, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  setTimer(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const timeout = setTimeout(() => {
      this.handles.delete(id);
      callback();
    }, ms);
    this.handles.set(id, timeout);
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    const timeout = this.handles.get(handle.id);
    if (timeout !== undefined) {
      clearTimeout(timeout);
      this.handles.delete(handle.id);
    }
  }
}
