/**
 * The subscribers of one log. Kept apart from the logs so both deliver batches the same way: one
 * listener's exception never reaches the appender or the other listeners.
 */
import type { EncodedEvents, EventListener } from './event-log.js';
import type { HistoryEvent } from './events.js';

/** Told about a listener that threw; it must not throw itself (if it does, that is ignored). */
export type ListenerErrorHandler = (error: unknown, events: readonly HistoryEvent[]) => void;

/** Listeners of one log, delivered to in subscription order. */
export class ListenerSet {
  // Copy-on-write: emit() iterates the array it started with, so a listener that subscribes or
  // unsubscribes during delivery changes only what the *next* batch sees.
  #listeners: readonly EventListener[] = [];
  readonly #onError: ListenerErrorHandler;

  /** @param onError defaults to printing the first failure to console.error (later ones are dropped, not to flood). */
  constructor(onError?: ListenerErrorHandler) {
    this.#onError = onError ?? consoleOnce();
  }

  /** Adds `listener`; the returned function removes it (calling it twice is harmless). */
  add(listener: EventListener): () => void {
    // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
    const entry: EventListener = (events, encoded) => listener(events, encoded);
    this.#listeners = [...this.#listeners, entry];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== entry);
    };
  }

  /** Delivers one batch (and its stored encoding, where the log has one) to every listener. */
  emit(events: readonly HistoryEvent[], encoded?: EncodedEvents): void {
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(events, encoded);
      } catch (error) {
        try {
          this.#onError(error, events);
        } catch {
          // The error handler failing must not break the append either.
        }
      }
    }
  }

  /** How many subscriptions are active. */
  get size(): number {
    return this.#listeners.length;
  }
}

function consoleOnce(): ListenerErrorHandler {
  let reported = false;
  return (error) => {
    if (reported) return;
    reported = true;
    console.error('workflow-mirror: an event log listener threw (further listener errors are not printed):', error);
  };
}
