/**
 * Reading the anomaly reports a report page is built from: the SQLite store (the `anomalies`
 * table, by default beside the event log in `.wfmirror/wfmirror.db`) or a JSONL file of reports
 * (`anomalies.jsonl`). Both are opened read-only, so a report can be built while a run writes.
 *
 * The kind is detected from the content (SQLite's 16-byte header, or JSON lines), and from the
 * extension when the content cannot tell (an empty file: a WAL database whose pages are all still
 * in its `-wal` file, or a JSONL file nothing was written to yet).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import Database from 'better-sqlite3';
import { decodeReport } from '../anomaly/codec.js';
import { InvalidAnomalyReportError, MalformedJsonlLineError } from '../anomaly/errors.js';
import type { AnomalyReport } from '../anomaly/report.js';
import { SqliteAnomalyStore } from '../anomaly/sqlite-anomaly-store.js';
import { NoAnomalyTableError, ReportInputFormatError, ReportInputNotFoundError, UnreadableReportInputError } from './errors.js';

/** Where the reports come from. */
export type ReportInputKind = 'sqlite' | 'jsonl';

/** The reports of one input, checked. */
export interface LoadedAnomalies {
  readonly kind: ReportInputKind;
  readonly path: string;
  /** In detection-time order (SQLite: as the store's `query()` returns them; JSONL: file order, sorted). */
  readonly reports: readonly AnomalyReport[];
  /**
   * JSONL only: lines whose id was already seen. The JSONL sink appends whatever it is given, the
   * store keeps the first report of an id; the report page counts as the store does.
   */
  readonly duplicatesIgnored: number;
  /** JSONL only: the file ended in a line still being written (no newline yet, not valid JSON): left out. */
  readonly incompleteLastLine: boolean;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const SQLITE_EXTENSIONS = new Set(['.db', '.sqlite', '.sqlite3']);

/** Says whether `path` is an SQLite database or a JSONL file of reports (see the module comment). */
export function detectInputKind(path: string): ReportInputKind {
  const head = readHead(path, 64);
  if (head.length >= SQLITE_HEADER.length && head.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER)) return 'sqlite';
  const text = head.toString('utf8').trimStart();
  if (text === '') {
    if (head.length > 0) return 'jsonl'; // whitespace only: an empty JSONL file with blank lines
    return SQLITE_EXTENSIONS.has(extname(path).toLowerCase()) || existsSync(`${path}-wal`) ? 'sqlite' : 'jsonl';
  }
  if (text.startsWith('{')) return 'jsonl';
  throw new ReportInputFormatError(path, 'is neither an SQLite database nor a JSONL file of anomaly reports');
}

/**
 * Reads every report of `path`. `kind` `auto` detects it; an explicit kind that the content
 * contradicts (`--db` on a JSONL file) is refused.
 * @throws ReportInputNotFoundError, ReportInputFormatError, NoAnomalyTableError, UnreadableReportInputError
 */
export function loadAnomalies(path: string, kind: ReportInputKind | 'auto' = 'auto'): LoadedAnomalies {
  const detected = detectInputKind(path);
  if (kind !== 'auto' && kind !== detected) {
    throw new ReportInputFormatError(
      path,
      kind === 'sqlite'
        ? 'is not an SQLite database (it reads as JSONL: use --jsonl)'
        : 'is an SQLite database, not JSONL (use --db)',
    );
  }
  return detected === 'sqlite' ? loadSqlite(path) : loadJsonl(path);
}

function readHead(path: string, bytes: number): Buffer {
  if (!existsSync(path)) throw new ReportInputNotFoundError(path);
  if (!statSync(path).isFile()) throw new ReportInputFormatError(path, 'is not a file');
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const n = readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function loadSqlite(path: string): LoadedAnomalies {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (cause) {
    throw new UnreadableReportInputError(path, (cause as Error).message, { cause });
  }
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'anomalies'").get();
    if (hasTable === undefined) throw new NoAnomalyTableError(path);
    // The store's own reader: every row is checked as the store checks it, and a read-only
    // connection guarantees the report changes nothing (the store's CREATE ... IF NOT EXISTS are
    // no-ops on a database that has its table and indexes).
    const store = new SqliteAnomalyStore(db);
    const reports = store.query();
    return { kind: 'sqlite', path, reports, duplicatesIgnored: 0, incompleteLastLine: false };
  } catch (cause) {
    if (cause instanceof NoAnomalyTableError) throw cause;
    const problem =
      (cause as { code?: unknown }).code === 'SQLITE_READONLY'
        ? 'its anomalies table lacks an index this version creates (written by an older version?); open it once with a WorkflowMirror or SqliteAnomalyStore'
        : (cause as Error).message;
    throw new UnreadableReportInputError(path, problem, { cause });
  } finally {
    db.close();
  }
}

function loadJsonl(path: string): LoadedAnomalies {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new UnreadableReportInputError(path, (cause as Error).message, { cause });
  }
  const lines = text.split('\n');
  // The last element is what follows the last newline: empty for a complete file, else a line a
  // writer may still be appending (the JSONL sink writes whole lines, but not atomically).
  const tail = lines.length - 1;
  const seen = new Set<string>();
  const reports: AnomalyReport[] = [];
  let duplicatesIgnored = 0;
  let incompleteLastLine = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let report: AnomalyReport;
    try {
      report = decodeReport(line);
    } catch (err) {
      if (i === tail && err instanceof SyntaxError) {
        incompleteLastLine = true;
        continue;
      }
      const problem =
        err instanceof SyntaxError
          ? `not valid JSON (${err.message})`
          : err instanceof InvalidAnomalyReportError
            ? err.message
            : String(err);
      const cause = new MalformedJsonlLineError(path, i + 1, problem, { cause: err });
      throw new UnreadableReportInputError(path, cause.message, { cause });
    }
    if (seen.has(report.id)) {
      duplicatesIgnored++;
      continue;
    }
    seen.add(report.id);
    reports.push(report);
  }
  // Same order as the store's query(): detection time, then id.
  reports.sort((a, b) => a.detectedAt - b.detectedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { kind: 'jsonl', path, reports, duplicatesIgnored, incompleteLastLine };
}
