/**
 * Decides whether the primary is alive from the heartbeats in the log: dead after `timeoutMs`
 * without a beat, or when declared dead by a call (an operator, an orchestrator that saw the
 * process exit). Beat times are the primary's clock and "now" is the detector's, so across
 * machines both must be wall clocks within a fraction of the timeout of each other.
 */
import type { Clock } from '../clock/clock.js';
import type { FencedLog, Heartbeat } from '../history/event-log.js';

/** What the detector concluded. */
export type PrimaryState =
  /** A beat arrived within the timeout. */
  | 'alive'
  /** No beat within the timeout, or declared dead. */
  | 'dead'
  /** The last beat is from an epoch older than the log's: the primary has already been replaced. */
  | 'replaced'
  /** No beat at all yet, and the detector has not waited a whole timeout since it started. */
  | 'unknown';

/** One conclusion, with what it rests on. */
export interface PrimaryStatus {
  readonly state: PrimaryState;
  /** The last beat read from the log, if any. */
  readonly lastBeat: Heartbeat | undefined;
  /** The log's epoch when checked. */
  readonly epoch: number;
  /** ms since the last beat (or since the detector started, without one). */
  readonly silentForMs: number;
  /** Why it is dead: `timeout` or the reason given to {@link FailureDetector.declareDead}. */
  readonly reason?: string;
}

/** Options of {@link FailureDetector}. */
export interface FailureDetectorOptions {
  readonly log: FencedLog;
  readonly clock: Clock;
  /** Silence after which the primary counts as dead (ms). Default 5,000. */
  readonly timeoutMs?: number;
}

/** Reads heartbeats and says whether the primary is alive. */
export class FailureDetector {
  readonly #log: FencedLog;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #startedAt: number;
  #declared: string | undefined;

  constructor(options: FailureDetectorOptions) {
    const timeoutMs = options.timeoutMs ?? 5_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw new TypeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
    this.#log = options.log;
    this.#clock = options.clock;
    this.#timeoutMs = timeoutMs;
    this.#startedAt = options.clock.now();
  }

  /** Declares the primary dead now, whatever its heartbeats say (e.g. its process was seen to exit). */
  declareDead(reason: string): void {
    this.#declared = reason;
  }

  /** Reads the log's last beat and epoch and concludes. */
  async check(): Promise<PrimaryStatus> {
    const [lastBeat, epoch] = await Promise.all([this.#log.lastHeartbeat(), this.#log.epoch()]);
    const now = this.#clock.now();
    const silentForMs = now - (lastBeat?.time ?? this.#startedAt);
    const status = (state: PrimaryState, reason?: string): PrimaryStatus => ({
      state,
      lastBeat,
      epoch,
      silentForMs,
      ...(reason === undefined ? {} : { reason }),
    });
    if (lastBeat !== undefined && lastBeat.epoch < epoch) return status('replaced');
    if (this.#declared !== undefined) return status('dead', this.#declared);
    if (silentForMs > this.#timeoutMs) return status('dead', 'timeout');
    return status(lastBeat === undefined ? 'unknown' : 'alive');
  }
}
