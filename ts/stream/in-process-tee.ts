import type { EventLog } from '../history/event-log.js';
import type { HistoryEvent } from '../history/events.js';

/** Receives the duplicated stream. */
export type StreamConsumer = (events: readonly HistoryEvent[]) => void;

/**
 * Duplicates the log's stream inside one process: every durable batch goes to each consumer
 * (the mirror) in order. A consumer that throws is reported and does not stop the others or the
 * primary. Worker-thread and Redis transports offer the same shape.
 */
export class InProcessTee {
  private readonly unsubscribe: () => void;
  delivered = 0;

  constructor(
    log: EventLog,
    private readonly consumers: readonly StreamConsumer[],
    private readonly onConsumerError: (error: unknown) => void = (error) =>
      console.error('wfmirror: stream consumer failed:', error),
  ) {
    this.unsubscribe = log.subscribe((events) => this.forward(events));
  }

  private forward(events: readonly HistoryEvent[]): void {
    this.delivered += events.length;
    for (const consumer of this.consumers) {
      try {
        consumer(events);
      } catch (error) {
        this.onConsumerError(error);
      }
    }
  }

  /** Stops duplicating. */
  close(): void {
    this.unsubscribe();
  }
}
