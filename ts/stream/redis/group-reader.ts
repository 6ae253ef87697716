/**
 * Reads a consumer group's entries for one consumer, on a connection of its own (XREADGROUP
 * BLOCK holds its connection). Each time it starts, and after every reconnect, it first reads
 * what this consumer was given and has not acknowledged (its pending list, from id 0, page by
 * page), then new entries (`>`): so entries delivered just before a crash or a Redis restart are
 * handled again rather than left pending. A read in progress can be cut short with
 * {@link GroupReader.unblock} (CLIENT UNBLOCK from the control connection), for a quick stop.
 */
import type { Redis } from 'ioredis';
import { readGroup } from './read-group.js';
import { parseReadReply, type StreamEntry } from './replies.js';

/** Options of {@link GroupReader}. */
export interface GroupReaderOptions {
  readonly streams: readonly string[];
  readonly group: string;
  readonly consumer: string;
  /** Entries per stream per read (XREADGROUP COUNT). */
  readonly count: number;
  /** How long a read waits for new entries (ms). */
  readonly blockMs: number;
}

/** One consumer's reads of one group over several streams. */
export class GroupReader {
  readonly #reader: Redis;
  readonly #control: Redis;
  readonly #options: GroupReaderOptions;
  /** Per stream, where reading the pending list goes on; undefined once it is read through. */
  #pendingCursors: Map<string, string> | undefined;
  #clientId: number | undefined;
  /** Set when the connection closed; the next 'ready' is a reconnect. */
  #lost = false;
  /** Times the reading connection came back after a loss. */
  reconnects = 0;

  /**
   * @param reader a connection used only by this reader (it blocks).
   * @param control another connection, for CLIENT UNBLOCK.
   */
  constructor(reader: Redis, control: Redis, options: GroupReaderOptions) {
    this.#reader = reader;
    this.#control = control;
    this.#options = options;
    this.#pendingCursors = freshCursors(options.streams);
    // Counted from 'close' to 'ready' (not by counting 'ready': the first one may come before this listener).
    reader.on('close', () => {
      this.#lost = true;
      this.#clientId = undefined;
    });
    reader.on('ready', () => {
      if (!this.#lost) return;
      this.#lost = false;
      this.reconnects++;
      this.#pendingCursors = freshCursors(this.#options.streams);
    });
  }

  /** True while the pending list is being read (entries are redeliveries). */
  get readingPending(): boolean {
    return this.#pendingCursors !== undefined;
  }

  /**
   * The next entries: pending ones first, then new ones (waiting up to `blockMs`; [] when none came).
   * A group that vanished (Redis lost its data) is reported as NoGroupError (errors.ts), for the caller to recreate.
   * @throws NoGroupError, or the connection's error
   */
  async read(): Promise<StreamEntry[]> {
    if (this.#clientId === undefined) this.#clientId = Number(await this.#reader.client('ID'));
    const { streams, group, consumer, count, blockMs } = this.#options;
    const cursors = this.#pendingCursors;
    if (cursors !== undefined) {
      const entries = parseReadReply(
        await readGroup(this.#reader, group, consumer, count, undefined, streams, [...cursors.values()]),
      );
      if (entries.length === 0) {
        this.#pendingCursors = undefined;
        return this.read();
      }
      for (const entry of entries) cursors.set(entry.stream, entry.id);
      return entries;
    }
    return parseReadReply(
      await readGroup(
        this.#reader,
        group,
        consumer,
        count,
        blockMs,
        streams,
        streams.map(() => '>'),
      ),
    );
  }

  /** Starts over with the pending list (after a handler failure, say). */
  rereadPending(): void {
    this.#pendingCursors = freshCursors(this.#options.streams);
  }

  /** Cuts a blocked read short (it returns no entries). Harmless when none is blocked. */
  async unblock(): Promise<void> {
    if (this.#clientId === undefined) return;
    await this.#control.client('UNBLOCK', this.#clientId).catch(() => undefined);
  }
}

function freshCursors(streams: readonly string[]): Map<string, string> {
  return new Map(streams.map((s) => [s, '0']));
}
