/**
 * Anomaly reports kept queryable in SQLite (better-sqlite3), in a table of their own named
 * `anomalies`, so the store can live in the same database file as the event log.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { encodeFields, isAnomalyCause, parseReport } from './codec.js';
import { AnomalySinkClosedError, CorruptAnomalyRowError, InvalidAnomalyReportError } from './errors.js';
import { ANOMALY_CAUSES, type AnomalyCause, type AnomalyReport, SEVERITIES, type Severity } from './report.js';
import { atLeast, isSeverity, severitiesAtLeast } from './severity.js';
import { type AnomalySink, resolveMinSeverity, type SeverityFilterOptions } from './sink.js';

/** Options of {@link SqliteAnomalyStore}. */
export interface SqliteAnomalyStoreOptions extends SeverityFilterOptions {
  /**
   * What a second write of an id already stored does. `ignore` (default) keeps the first
   * report, so re-sending reports (after a crash, from a replay) changes nothing; `replace`
   * keeps the latest, e.g. to follow a severity that grows.
   */
  readonly onDuplicate?: 'ignore' | 'replace';
}

/** Options of {@link SqliteAnomalyStore.open}. */
export interface OpenSqliteAnomalyStoreOptions extends SqliteAnomalyStoreOptions {
  /** The database file (created with its directory if missing), or `:memory:`. */
  readonly path: string;
}

/** Filters of {@link SqliteAnomalyStore.query}; all optional and combined with AND. */
export interface AnomalyQuery {
  readonly workflowId?: string;
  /** Exactly this severity. */
  readonly severity?: Severity;
  /** This severity or worse. */
  readonly minSeverity?: Severity;
  readonly cause?: AnomalyCause;
  /** At most this many reports. */
  readonly limit?: number;
  /** Skip this many reports first (with `limit`, for paging). */
  readonly offset?: number;
}

/** What {@link SqliteAnomalyStore.countBy} returns: every severity and cause is present, 0 when none. */
export interface AnomalyCounts {
  readonly bySeverity: Record<Severity, number>;
  readonly byCause: Record<AnomalyCause, number>;
  readonly total: number;
}

/** Columns in the order of the insert statement. */
interface AnomalyRow {
  id: string;
  workflow_id: string;
  workflow_type: string;
  seq: number;
  deviation: number;
  threshold: number;
  severity: string;
  cause: string;
  detail: string;
  detected_at: number;
  fields: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS anomalies (
  id            TEXT PRIMARY KEY,
  workflow_id   TEXT NOT NULL,
  workflow_type TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  deviation     REAL NOT NULL,
  threshold     REAL NOT NULL,
  severity      TEXT NOT NULL,
  cause         TEXT NOT NULL,
  detail        TEXT NOT NULL,
  detected_at   REAL NOT NULL,
  fields        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS anomalies_by_time ON anomalies (detected_at, id);
CREATE INDEX IF NOT EXISTS anomalies_by_workflow ON anomalies (workflow_id, detected_at, id);
`;

const COLUMNS = 'id, workflow_id, workflow_type, seq, deviation, threshold, severity, cause, detail, detected_at, fields';
const VALUES =
  '@id, @workflow_id, @workflow_type, @seq, @deviation, @threshold, @severity, @cause, @detail, @detected_at, @fields';
const UPDATE_ALL = COLUMNS.split(', ')
  .filter((c) => c !== 'id')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

/** Past this many buffered reports the batch is written at once, bounding memory under a burst. */
const MAX_BATCH = 1000;

/**
 * An {@link AnomalySink} that keeps reports in SQLite and answers queries about them.
 *
 * `write` checks the report and buffers it; the buffer is written in one transaction on the
 * next turn of the event loop (`setImmediate`), when it reaches 1000 reports, on `flush()` and
 * on `close()`. Queries flush first, so they see every report written before them. A deferred
 * write that fails (database locked, disk full) cannot throw where it happened: its reports stay
 * buffered and are retried by the next write's turn, `flush()`, `close()` or query, which throw
 * if the retry fails too. No report is dropped on an error.
 *
 * Every row read back is checked: a corrupt one throws {@link CorruptAnomalyRowError}.
 */
export class SqliteAnomalyStore implements AnomalySink {
  private readonly db: Database.Database;
  private readonly ownsDb: boolean;
  private readonly min: Severity;
  private readonly insertBatch: (rows: readonly AnomalyRow[]) => void;
  private readonly selectById: Database.Statement<[string]>;
  private readonly queries = new Map<string, Database.Statement<unknown[]>>();
  private pending: AnomalyRow[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;

  /**
   * Opens (or creates) a database file of its own, in WAL mode so readers (a dashboard, the
   * CLI) do not block the writer. `close()` closes the database.
   */
  static open(options: OpenSqliteAnomalyStoreOptions): SqliteAnomalyStore {
    const path: unknown = options?.path;
    if (typeof path !== 'string' || path === '') {
      throw new TypeError('SqliteAnomalyStore.open options.path must be a non-empty string');
    }
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      return new SqliteAnomalyStore(db, options, true);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /**
   * A store in a database someone else opened (e.g. the event log's file): only the
   * `anomalies` table is created and touched, the journal mode is left as the owner set it,
   * and `close()` leaves the database open.
   * @param db an open better-sqlite3 database.
   * @param options see {@link SqliteAnomalyStoreOptions}.
   * @param ownsDb whether `close()` closes `db` too; {@link SqliteAnomalyStore.open} passes true.
   */
  constructor(db: Database.Database, options: SqliteAnomalyStoreOptions = {}, ownsDb = false) {
    const onDuplicate: unknown = options.onDuplicate ?? 'ignore';
    if (onDuplicate !== 'ignore' && onDuplicate !== 'replace') {
      throw new TypeError(`SqliteAnomalyStore options.onDuplicate must be 'ignore' or 'replace' (got ${String(onDuplicate)})`);
    }
    this.min = resolveMinSeverity(options, 'SqliteAnomalyStore options.minSeverity');
    this.db = db;
    this.ownsDb = ownsDb;
    db.exec(SCHEMA);
    const conflict = onDuplicate === 'ignore' ? 'DO NOTHING' : `DO UPDATE SET ${UPDATE_ALL}`;
    const insert = db.prepare<[AnomalyRow]>(`INSERT INTO anomalies (${COLUMNS}) VALUES (${VALUES}) ON CONFLICT (id) ${conflict}`);
    this.insertBatch = db.transaction((rows: readonly AnomalyRow[]) => {
      for (const row of rows) insert.run(row);
    });
    this.selectById = db.prepare<[string]>(`SELECT ${COLUMNS} FROM anomalies WHERE id = ?`);
  }

  /** Checks and buffers one report; an invalid one throws {@link InvalidAnomalyReportError} and nothing is stored. */
  write(report: AnomalyReport): void {
    this.assertOpen();
    if (!atLeast(report.severity, this.min)) return;
    this.pending.push(toRow(parseReport(report)));
    if (this.pending.length >= MAX_BATCH) {
      this.flushSync();
    } else if (this.scheduled === undefined) {
      this.scheduled = setImmediate(() => {
        this.scheduled = undefined;
        try {
          this.writePending();
        } catch {
          // Kept pending; see the class comment. Throwing here would crash the process.
        }
      });
    }
  }

  /** Writes every buffered report in one transaction, synchronously; on return they are durable. */
  flushSync(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    this.writePending();
  }

  /** Writes every buffered report; resolves once they are committed. */
  async flush(): Promise<void> {
    this.assertOpen();
    this.flushSync();
  }

  /** Flushes, then closes the database if {@link SqliteAnomalyStore.open} opened it. Calling it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flushSync();
    this.closed = true;
    if (this.ownsDb) this.db.close();
  }

  /** Reports matching every given filter, ordered by detection time then id. */
  query(filter: AnomalyQuery = {}): AnomalyReport[] {
    this.readyToRead();
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.workflowId !== undefined) {
      if (typeof filter.workflowId !== 'string') throw new TypeError('query.workflowId must be a string');
      where.push('workflow_id = ?');
      params.push(filter.workflowId);
    }
    if (filter.severity !== undefined) {
      if (!isSeverity(filter.severity)) throw new TypeError(`query.severity must be one of ${SEVERITIES.join(', ')}`);
      where.push('severity = ?');
      params.push(filter.severity);
    }
    if (filter.minSeverity !== undefined) {
      if (!isSeverity(filter.minSeverity)) throw new TypeError(`query.minSeverity must be one of ${SEVERITIES.join(', ')}`);
      const allowed = severitiesAtLeast(filter.minSeverity);
      where.push(`severity IN (${allowed.map(() => '?').join(', ')})`);
      params.push(...allowed);
    }
    if (filter.cause !== undefined) {
      if (!isAnomalyCause(filter.cause)) throw new TypeError(`query.cause must be one of ${ANOMALY_CAUSES.join(', ')}`);
      where.push('cause = ?');
      params.push(filter.cause);
    }
    let sql = `SELECT ${COLUMNS} FROM anomalies${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY detected_at, id`;
    if (filter.limit !== undefined || filter.offset !== undefined) {
      // SQLite accepts OFFSET only after LIMIT; -1 means no limit.
      sql += ' LIMIT ? OFFSET ?';
      params.push(nonNegativeInteger(filter.limit, 'query.limit') ?? -1, nonNegativeInteger(filter.offset, 'query.offset') ?? 0);
    }
    return this.statement(sql)
      .all(...params)
      .map((row) => rowToReport(row));
  }

  /** The report with this id, or `undefined`. */
  get(id: string): AnomalyReport | undefined {
    this.readyToRead();
    const row: unknown = this.selectById.get(id);
    return row === undefined ? undefined : rowToReport(row);
  }

  /** How many reports there are, per severity, per cause, and in all. */
  countBy(): AnomalyCounts {
    this.readyToRead();
    const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    const byCause = Object.fromEntries(ANOMALY_CAUSES.map((c) => [c, 0])) as Record<AnomalyCause, number>;
    let total = 0;
    for (const { key, n } of this.groupCounts('severity')) {
      if (!isSeverity(key))
        throw new CorruptAnomalyRowError(undefined, `${n} row(s) have an unknown severity ${JSON.stringify(key)}`);
      bySeverity[key] = n;
      total += n;
    }
    for (const { key, n } of this.groupCounts('cause')) {
      if (!isAnomalyCause(key))
        throw new CorruptAnomalyRowError(undefined, `${n} row(s) have an unknown cause ${JSON.stringify(key)}`);
      byCause[key] = n;
    }
    return { bySeverity, byCause, total };
  }

  private groupCounts(column: 'severity' | 'cause'): { key: unknown; n: number }[] {
    const rows = this.statement(`SELECT ${column} AS key, COUNT(*) AS n FROM anomalies GROUP BY ${column}`).all();
    return rows.map((row) => {
      const { key, n } = row as { key: unknown; n: unknown };
      return { key, n: typeof n === 'number' ? n : Number(n) };
    });
  }

  /** Prepared statements of `query` and `countBy`, kept: there are only a few dozen distinct shapes. */
  private statement(sql: string): Database.Statement<unknown[]> {
    let stmt = this.queries.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare<unknown[]>(sql);
      this.queries.set(sql, stmt);
    }
    return stmt;
  }

  private writePending(): void {
    if (this.pending.length === 0) return;
    // The transaction either commits all rows or none; on failure they stay pending for a retry.
    this.insertBatch(this.pending);
    this.pending = [];
  }

  private readyToRead(): void {
    this.assertOpen();
    this.flushSync();
  }

  private assertOpen(): void {
    if (this.closed) throw new AnomalySinkClosedError('SqliteAnomalyStore');
  }
}

function toRow(report: AnomalyReport): AnomalyRow {
  return {
    id: report.id,
    workflow_id: report.workflowId,
    workflow_type: report.workflowType,
    seq: report.seq,
    deviation: report.deviation,
    threshold: report.threshold,
    severity: report.severity,
    cause: report.cause,
    detail: report.detail,
    detected_at: report.detectedAt,
    fields: encodeFields(report.fields),
  };
}

/** A row read back, checked column by column; anything off throws {@link CorruptAnomalyRowError}. */
function rowToReport(row: unknown): AnomalyReport {
  const r = row as Partial<Record<keyof AnomalyRow, unknown>>;
  const id = typeof r.id === 'string' ? r.id : undefined;
  if (id === undefined) throw new CorruptAnomalyRowError(undefined, `id is not text: ${String(r.id)}`);
  if (typeof r.fields !== 'string') throw new CorruptAnomalyRowError(id, 'fields is not text');
  let fields: unknown;
  try {
    fields = JSON.parse(r.fields);
  } catch (err) {
    throw new CorruptAnomalyRowError(id, `fields is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  try {
    return parseReport({
      id,
      workflowId: r.workflow_id,
      workflowType: r.workflow_type,
      seq: r.seq,
      deviation: r.deviation,
      threshold: r.threshold,
      severity: r.severity,
      cause: r.cause,
      detail: r.detail,
      detectedAt: r.detected_at,
      fields,
    });
  } catch (err) {
    if (err instanceof InvalidAnomalyReportError) throw new CorruptAnomalyRowError(id, err.message, { cause: err });
    throw err;
  }
}

function nonNegativeInteger(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${name} must be an integer >= 0 (got ${String(value)})`);
  }
  return value;
}
