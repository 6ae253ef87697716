/**
 * Opening an SQLite event log file: connection settings, schema creation and the version check.
 * Kept apart from the log so the group-commit logic reads without DDL around it.
 */
import Database from 'better-sqlite3';
import { EventLogUnavailableError, SchemaVersionMismatchError } from './errors.js';

/** The layout this build reads and writes; bump it (and refuse older files) when the table changes. */
export const SQLITE_SCHEMA_VERSION = 2;

// STRICT makes SQLite refuse a value of the wrong type in a column instead of storing it as is,
// so a row can only be malformed in ways a type check cannot catch (a bad buffer, an unknown type
// code). `event` is the whole event as a FlatBuffers `Event` (schemas/event.fbs), the format every
// transport carries too; the other columns repeat what the indexes and queries need, and a row
// whose columns disagree with its buffer is refused on read. `type` is the index into EVENT_TYPES.
// Version 1 stored the payload as JSON text instead of `event`. The UNIQUE index doubles as the lookup for head and
// readInstance, and is the last line of defence against two writers numbering the same seq.
// The file may be shared with other stores (the anomaly store keeps its table beside these), so
// the event log's tables have names of their own and other tables are left alone.
const SCHEMA = `
CREATE TABLE event_log_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
CREATE TABLE events (
  pos INTEGER PRIMARY KEY,
  workflow_id TEXT NOT NULL,
  seq INTEGER NOT NULL CHECK (seq > 0),
  type INTEGER NOT NULL,
  time REAL NOT NULL,
  event BLOB NOT NULL,
  UNIQUE (workflow_id, seq)
) STRICT;
`;

/**
 * Opens (creating if needed) the event log database at `path` with WAL and synchronous=FULL, so a
 * committed transaction survives a crash or power loss: appends resolve only after that commit.
 * @throws SchemaVersionMismatchError when the file holds another schema version or is not an event log
 * @throws EventLogUnavailableError when the file cannot be opened (permissions, not a database, ...)
 */
export function openEventLogDatabase(path: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (cause) {
    throw new EventLogUnavailableError(`cannot open event log ${path}`, cause);
  }
  try {
    // Only takes effect on a new, empty file (before WAL is set and the first table is made). 16 KiB
    // pages make the inserts into the (workflow_id, seq) index split pages less often: about 15%
    // less writer time per event than the 4 KiB default in this repo's bench/engine measurements.
    db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // IMMEDIATE: two processes opening a fresh file at once must not both create the schema.
    db.transaction(() => ensureSchema(db, path)).immediate();
    return db;
  } catch (error) {
    db.close();
    if (error instanceof SchemaVersionMismatchError) throw error;
    throw new EventLogUnavailableError(`cannot open event log ${path}`, error);
  }
}

function ensureSchema(db: Database.Database, path: string): void {
  const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
  if (tables.has('event_log_meta')) {
    const raw = db.prepare("SELECT value FROM event_log_meta WHERE key = 'schema_version'").pluck().get();
    const found = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : undefined;
    if (found !== SQLITE_SCHEMA_VERSION) throw new SchemaVersionMismatchError(path, found, SQLITE_SCHEMA_VERSION);
    return;
  }
  // An events table without our version is someone else's, or an unversioned old one: never write into it.
  if (tables.has('events')) throw new SchemaVersionMismatchError(path, undefined, SQLITE_SCHEMA_VERSION);
  db.exec(SCHEMA);
  db.prepare("INSERT INTO event_log_meta (key, value) VALUES ('schema_version', ?)").run(String(SQLITE_SCHEMA_VERSION));
}
