/**
 * The durable outbox of alerts: a table `alert_outbox` in a SQLite file (the anomaly store's, or
 * one of its own). An alert is in it, committed, before `write` returns; it leaves the "pending"
 * set only when a receiver answered 2xx (delivered) or a 4xx that no retry can change (rejected).
 * A sink that dies, or a receiver that is down for the sink's whole life, loses nothing: the next
 * sink opened on the same file sends what is pending.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AlertmanagerAlert } from './alertmanager-alert.js';
import { CorruptAlertOutboxRowError } from './errors.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alert_outbox (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  dedup_key    TEXT NOT NULL,
  report_id    TEXT NOT NULL,
  alert        TEXT NOT NULL,
  created_at   REAL NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  repeats      INTEGER NOT NULL DEFAULT 0,
  last_error   TEXT,
  delivered_at REAL,
  rejected_at  REAL
);
CREATE INDEX IF NOT EXISTS alert_outbox_pending ON alert_outbox (delivered_at, rejected_at, id);
CREATE INDEX IF NOT EXISTS alert_outbox_by_key ON alert_outbox (dedup_key, id);
`;

/** One pending alert as the sink queues it. */
export interface OutboxEntry {
  readonly id: number;
  readonly alert: AlertmanagerAlert;
}

/** What {@link AlertOutbox.add} did with an alert. */
export type AddOutcome =
  | { readonly added: true; readonly id: number }
  /** A repeat of an alert pending or raised within the window: not added; `of` is that alert's row. */
  | { readonly added: false; readonly of: number };

/** Counts over the whole outbox (every sink that used this file). */
export interface OutboxCounts {
  readonly pending: number;
  readonly delivered: number;
  readonly rejected: number;
  /** Repeats folded into an earlier alert. */
  readonly repeats: number;
}

/** The outbox table; see the module comment. */
export class AlertOutbox {
  private readonly db: Database.Database;
  private readonly ownsDb: boolean;
  private readonly addTx: Database.Transaction<
    (key: string, reportId: string, alert: string, now: number, windowStart: number) => AddOutcome
  >;
  private readonly selectPending: Database.Statement<[number]>;
  private readonly deliver: Database.Statement<[number, number]>;
  private readonly fail: Database.Statement<[string, number]>;
  private readonly reject: Database.Statement<[number, string, number]>;
  private readonly purge: Database.Statement<[number]>;
  private readonly countAll: Database.Statement<[]>;
  private closed = false;

  /**
   * Opens the outbox in a database file (created with its directory if missing; `:memory:` for
   * tests), or in an open better-sqlite3 database, which `close()` then leaves open.
   */
  static open(target: string | Database.Database): AlertOutbox {
    if (typeof target !== 'string') return new AlertOutbox(target, false);
    if (target !== ':memory:') mkdirSync(dirname(target), { recursive: true });
    const db = new Database(target);
    try {
      // WAL, as the event log and anomaly store set it: readers never block this writer.
      db.pragma('journal_mode = WAL');
      return new AlertOutbox(db, true);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private constructor(db: Database.Database, ownsDb: boolean) {
    this.db = db;
    this.ownsDb = ownsDb;
    db.exec(SCHEMA);
    const findOpen = db.prepare<[string, number]>(
      `SELECT id FROM alert_outbox WHERE dedup_key = ?
         AND ((delivered_at IS NULL AND rejected_at IS NULL) OR created_at >= ?)
       ORDER BY id DESC LIMIT 1`,
    );
    const bump = db.prepare<[number]>('UPDATE alert_outbox SET repeats = repeats + 1 WHERE id = ?');
    const insert = db.prepare<[string, string, string, number]>(
      'INSERT INTO alert_outbox (dedup_key, report_id, alert, created_at) VALUES (?, ?, ?, ?)',
    );
    // One transaction: two sinks on one file cannot both decide "not a repeat" for the same key.
    this.addTx = db.transaction((key: string, reportId: string, alert: string, now: number, windowStart: number): AddOutcome => {
      const open = findOpen.get(key, windowStart) as { id: number } | undefined;
      if (open !== undefined) {
        bump.run(open.id);
        return { added: false, of: open.id };
      }
      return { added: true, id: Number(insert.run(key, reportId, alert, now).lastInsertRowid) };
    });
    this.selectPending = db.prepare<[number]>(
      'SELECT id, alert FROM alert_outbox WHERE delivered_at IS NULL AND rejected_at IS NULL ORDER BY id LIMIT ?',
    );
    this.deliver = db.prepare<[number, number]>('UPDATE alert_outbox SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?');
    this.fail = db.prepare<[string, number]>('UPDATE alert_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?');
    this.reject = db.prepare<[number, string, number]>(
      'UPDATE alert_outbox SET rejected_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ?',
    );
    this.purge = db.prepare<[number]>('DELETE FROM alert_outbox WHERE delivered_at IS NOT NULL AND created_at < ?');
    this.countAll = db.prepare<[]>(
      `SELECT
         COALESCE(SUM(delivered_at IS NULL AND rejected_at IS NULL), 0) AS pending,
         COALESCE(SUM(delivered_at IS NOT NULL), 0) AS delivered,
         COALESCE(SUM(rejected_at IS NOT NULL), 0) AS rejected,
         COALESCE(SUM(repeats), 0) AS repeats
       FROM alert_outbox`,
    );
  }

  /**
   * Adds `alert` under `key` unless an alert of the same key is still pending or was raised at or
   * after `windowStart`; then that alert's repeat count grows instead. Committed on return.
   */
  add(key: string, reportId: string, alert: AlertmanagerAlert, now: number, windowStart: number): AddOutcome {
    return this.addTx.immediate(key, reportId, JSON.stringify(alert), now, windowStart);
  }

  /**
   * The oldest `limit` pending alerts, oldest first. A row that cannot be read back is marked
   * rejected (kept, never sent: a receiver would refuse it anyway) and returned in `corrupt`, so
   * one bad row cannot stop every alert behind it.
   */
  pending(limit: number, now: number): { entries: OutboxEntry[]; corrupt: CorruptAlertOutboxRowError[] } {
    const entries: OutboxEntry[] = [];
    const corrupt: CorruptAlertOutboxRowError[] = [];
    for (const row of this.selectPending.all(limit)) {
      const { id, alert } = row as { id: number; alert: string };
      try {
        entries.push({ id, alert: parseAlert(id, alert) });
      } catch (error) {
        if (!(error instanceof CorruptAlertOutboxRowError)) throw error;
        corrupt.push(error);
        this.reject.run(now, error.message, id);
      }
    }
    return { entries, corrupt };
  }

  /** Marks alerts delivered (a receiver answered 2xx). */
  markDelivered(ids: readonly number[], now: number): void {
    this.each(ids, (id) => this.deliver.run(now, id));
  }

  /** Counts a failed attempt on each alert, with why; they stay pending. */
  markFailed(ids: readonly number[], error: string): void {
    this.each(ids, (id) => this.fail.run(error, id));
  }

  /** Marks alerts rejected (kept for inspection, never resent). */
  markRejected(ids: readonly number[], now: number, error: string): void {
    this.each(ids, (id) => this.reject.run(now, error, id));
  }

  /** Drops delivered alerts raised before `before`: past the de-duplication window they serve no purpose. */
  purgeDelivered(before: number): number {
    return this.purge.run(before).changes;
  }

  counts(): OutboxCounts {
    const row = this.countAll.get() as Record<keyof OutboxCounts, number | bigint>;
    return {
      pending: Number(row.pending),
      delivered: Number(row.delivered),
      rejected: Number(row.rejected),
      repeats: Number(row.repeats),
    };
  }

  /** Closes the database if {@link AlertOutbox.open} opened it. Calling it again does nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsDb) this.db.close();
  }

  private each(ids: readonly number[], run: (id: number) => void): void {
    if (ids.length === 0) return;
    this.db.transaction(() => {
      for (const id of ids) run(id);
    })();
  }
}

/** A stored alert read back, checked enough that sending it cannot fail on its shape. */
function parseAlert(id: number, json: string): AlertmanagerAlert {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new CorruptAlertOutboxRowError(id, `alert is not JSON (${(error as Error).message})`, { cause: error });
  }
  const a = value as Partial<AlertmanagerAlert> | null;
  if (typeof a !== 'object' || a === null) throw new CorruptAlertOutboxRowError(id, 'alert is not an object');
  if (!isStringMap(a.labels) || Object.keys(a.labels).length === 0)
    throw new CorruptAlertOutboxRowError(id, 'labels is not a non-empty string map');
  if (!isStringMap(a.annotations)) throw new CorruptAlertOutboxRowError(id, 'annotations is not a string map');
  if (typeof a.startsAt !== 'string' || Number.isNaN(Date.parse(a.startsAt)))
    throw new CorruptAlertOutboxRowError(id, 'startsAt is not a time');
  return a as AlertmanagerAlert;
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}
