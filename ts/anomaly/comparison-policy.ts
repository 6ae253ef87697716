import type { Clock } from '../clock/clock.js';

/** When fleet-wide comparison rounds are due. */
export interface ComparisonSchedule {
  /** A round after this many applied events (fleet-wide). Default 1,000; 0 disables. */
  readonly events?: number;
  /** A round once this many ms (on the engines' clock) passed since the last. Default 250; 0 disables. */
  readonly ms?: number;
}

/**
 * Counts events and time and says when a comparison round is due. Rounds never overlap: while
 * one runs, due-ness accumulates and the next starts when it ends.
 */
export class ComparisonPolicy {
  private readonly everyEvents: number;
  private readonly everyMs: number;
  private eventsSince = 0;
  private lastRoundAt: number;

  constructor(
    schedule: ComparisonSchedule,
    private readonly clock: Clock,
  ) {
    this.everyEvents = schedule.events ?? 1000;
    this.everyMs = schedule.ms ?? 250;
    if (!Number.isInteger(this.everyEvents) || this.everyEvents < 0) {
      throw new TypeError(`compare.every.events must be an integer >= 0, got ${String(schedule.events)}`);
    }
    if (!Number.isFinite(this.everyMs) || this.everyMs < 0) {
      throw new TypeError(`compare.every.ms must be a finite number >= 0, got ${String(schedule.ms)}`);
    }
    this.lastRoundAt = clock.now();
  }

  /** Counts one applied event; true when a round is due. */
  onEvent(): boolean {
    this.eventsSince++;
    if (this.everyEvents > 0 && this.eventsSince >= this.everyEvents) return true;
    return this.everyMs > 0 && this.clock.now() - this.lastRoundAt >= this.everyMs;
  }

  /** Marks that a round started now. */
  roundStarted(): void {
    this.eventsSince = 0;
    this.lastRoundAt = this.clock.now();
  }
}
