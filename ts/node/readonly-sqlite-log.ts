/**
 * Reading another process's SQLite event log without writing to it: what a mirror node does with
 * a primary node's durable log (on the same machine) to repair a gap in the stream. A plain
 * read-only connection: no writer thread, no schema creation, no locks held between reads (WAL
 * readers do not block the primary's writer). Rows are decoded and checked as the log itself does.
 */
import Database from 'better-sqlite3';
import type { EventLog } from '../history/event-log.js';
import type { HistoryEvent } from '../history/events.js';
import { decodeRows, ROW_COLUMNS } from '../history/sqlite-rows.js';
import { SourceLogUnavailableError } from './errors.js';

/** What a mirror reads from a primary's log. */
export type LogReader = Pick<EventLog, 'readInstance' | 'readRange'> & {
  /** The last durable position (0 for an empty log). */
  lastPosition(): Promise<number>;
  close(): Promise<void>;
};

/** A read-only view of an SQLite event log file. */
export class ReadonlySqliteLog implements LogReader {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #instance: Database.Statement<[string, number, number]>;
  readonly #range: Database.Statement<[number, number]>;
  readonly #last: Database.Statement<[]>;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.#db = db;
    this.#instance = db
      .prepare(`SELECT ${ROW_COLUMNS} FROM events WHERE workflow_id = ? AND seq >= ? AND seq <= ? ORDER BY seq`)
      .raw();
    this.#range = db.prepare(`SELECT ${ROW_COLUMNS} FROM events WHERE pos > ? ORDER BY pos LIMIT ?`).raw();
    this.#last = db.prepare('SELECT COALESCE(MAX(pos), 0) FROM events').pluck();
  }

  /**
   * Opens `path` read-only. `source` names the primary node in errors.
   * @throws SourceLogUnavailableError when the file is missing or is no event log
   */
  static open(path: string, source: string): ReadonlySqliteLog {
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
      return new ReadonlySqliteLog(path, db);
    } catch (cause) {
      db?.close();
      throw new SourceLogUnavailableError(source, `cannot be opened at ${path}`, { cause });
    }
  }

  async readInstance(workflowId: string, fromSeq = 1, toSeq = Number.MAX_SAFE_INTEGER): Promise<HistoryEvent[]> {
    return decodeRows(this.#instance.all(workflowId, fromSeq, Math.min(toSeq, Number.MAX_SAFE_INTEGER)) as unknown[][]);
  }

  async readRange(afterPos: number, limit: number): Promise<HistoryEvent[]> {
    return decodeRows(this.#range.all(afterPos, limit === Number.POSITIVE_INFINITY ? -1 : limit) as unknown[][]);
  }

  async lastPosition(): Promise<number> {
    return Number(this.#last.get());
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
