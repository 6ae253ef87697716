/**
 * Recovery events for the report, read from event logs' failover records.
 *
 * What is durable: an SQLite event log keeps, in its `event_log_meta` table, the epoch (each
 * promotion claims the next one, fencing off the primary before it), the last heartbeat
 * `{owner, epoch, time}` of the primary, and each mirror's last position report
 * `{name, position, time}` (ts/history/sqlite-event-log.ts). Nothing stores when a promotion
 * happened or how long it took (`wfmirror demo` prints those, the log does not keep them), so a
 * promotion is shown with the bound the log does give: it came after the replaced primary's last
 * heartbeat. Heartbeat and report times are the writers' wall clocks; anomaly times are the
 * workflows' clock (virtual in the demo), so the two are listed apart, not on one axis.
 *
 * Logs are opened read-only. Reading the meta rows directly (rather than through
 * `SqliteEventLog.open`, which opens for writing, sets pragmas and starts a writer thread) keeps
 * the report from touching a log a running primary owns; the layout is checked by its schema
 * version, so a future layout is reported as unreadable rather than misread.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Heartbeat, MirrorPosition } from '../history/event-log.js';
import { checkHeartbeat, checkMirrorPosition } from '../history/fencing.js';
import { SQLITE_SCHEMA_VERSION } from '../history/sqlite-schema.js';
import { NotAnEventLogError, ReportInputNotFoundError, UnreadableReportInputError } from './errors.js';

/** What one event log says about failover. */
export interface RecoveryLog {
  readonly path: string;
  /** The current epoch: how many times the log was claimed by a new primary (0 = never). */
  readonly epoch: number;
  /** The last durable event's position. */
  readonly logPosition: number;
  /** The last heartbeat, if any primary beat; `replaced` when its epoch is older than the log's. */
  readonly heartbeat: (Heartbeat & { readonly replaced: boolean }) | null;
  /** Each mirror's last report, with its lag behind `logPosition`. */
  readonly mirrors: readonly (MirrorPosition & { readonly lag: number })[];
}

/** Kinds of {@link RecoveryEvent}, in the order they are listed when their times tie. */
export const RECOVERY_EVENT_KINDS = ['primary-heartbeat', 'promotion', 'mirror-report'] as const;
export type RecoveryEventKind = (typeof RECOVERY_EVENT_KINDS)[number];

/** One line of the report's recovery table. */
export interface RecoveryEvent {
  readonly kind: RecoveryEventKind;
  /** The log it was read from. */
  readonly log: string;
  /** Wall-clock time (ms); null for a promotion, whose time the log does not keep. */
  readonly time: number | null;
  /** For a promotion: it happened after this time (the replaced primary's last heartbeat); null when unknown. */
  readonly notBefore: number | null;
  /** The epoch concerned: the beating primary's, the one a promotion claimed; null for a mirror report. */
  readonly epoch: number | null;
  /** For a mirror report: its position and lag; null otherwise. */
  readonly position: number | null;
  readonly lag: number | null;
  readonly detail: string;
}

/**
 * The logs a report reads recovery events from when none are named: the input itself when it is
 * an event log too (the default store sits beside the log), and the demo's failover log
 * (`failover.db`) in the same folder. Files that do not exist are left out.
 */
export function defaultRecoveryLogs(input: string): string[] {
  const candidates = [input, join(dirname(input), 'failover.db')];
  const seen = new Set<string>();
  const found: string[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const real = realpathSync(path);
    if (seen.has(real)) continue;
    seen.add(real);
    if (isEventLog(path)) found.push(path);
  }
  return found;
}

/** True when `path` is an SQLite file with an event log's meta table (any error: false). */
export function isEventLog(path: string): boolean {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_log_meta'").get() !== undefined;
  } catch {
    return false;
  } finally {
    db?.close();
  }
}

/**
 * Reads the failover records of the event log at `path`, read-only.
 * @throws ReportInputNotFoundError, NotAnEventLogError, UnreadableReportInputError
 */
export function readRecoveryLog(path: string): RecoveryLog {
  if (!existsSync(path)) throw new ReportInputNotFoundError(path, 'event log');
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (cause) {
    throw new UnreadableReportInputError(path, (cause as Error).message, { cause });
  }
  try {
    let meta: Map<string, string>;
    try {
      const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_log_meta'").get();
      if (hasMeta === undefined) throw new NotAnEventLogError(path);
      const rows = db.prepare('SELECT key, value FROM event_log_meta').all() as { key: string; value: string }[];
      meta = new Map(rows.map((r) => [r.key, r.value]));
    } catch (cause) {
      if (cause instanceof NotAnEventLogError) throw cause;
      throw new UnreadableReportInputError(path, (cause as Error).message, { cause });
    }
    const version = meta.get('schema_version');
    if (version !== String(SQLITE_SCHEMA_VERSION)) {
      throw new NotAnEventLogError(path, `has schema version ${String(version)}, this version reads ${SQLITE_SCHEMA_VERSION}`);
    }
    const epoch = meta.has('epoch') ? Number(meta.get('epoch')) : 0;
    if (!Number.isSafeInteger(epoch) || epoch < 0)
      throw new UnreadableReportInputError(path, `its epoch is not an integer: ${meta.get('epoch')}`);
    const logPosition = Number(db.prepare('SELECT coalesce(max(pos), 0) FROM events').pluck().get());
    const beatText = meta.get('heartbeat');
    const beat = beatText === undefined ? undefined : parseRecord(path, 'heartbeat', beatText, checkHeartbeat);
    const mirrors = [...meta]
      .filter(([key]) => key.startsWith('mirror:'))
      .map(([key, value]) => parseRecord(path, key, value, checkMirrorPosition))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((m) => ({ ...m, lag: Math.max(0, logPosition - m.position) }));
    return {
      path,
      epoch,
      logPosition,
      heartbeat: beat === undefined ? null : { ...beat, replaced: beat.epoch < epoch },
      mirrors,
    };
  } finally {
    db.close();
  }
}

function parseRecord<T>(path: string, key: string, text: string, check: (value: T) => T): T {
  try {
    return check(JSON.parse(text) as T);
  } catch (cause) {
    throw new UnreadableReportInputError(path, `its ${key} record is unreadable (${(cause as Error).message})`, { cause });
  }
}

/**
 * The recovery events of some logs, in time order (a promotion placed just after the heartbeat it
 * follows; one with no bound first). Pure: tested without files.
 */
export function recoveryEvents(logs: readonly RecoveryLog[]): RecoveryEvent[] {
  const events: RecoveryEvent[] = [];
  for (const log of logs) {
    const beat = log.heartbeat;
    if (beat !== null) {
      events.push({
        kind: 'primary-heartbeat',
        log: log.path,
        time: beat.time,
        notBefore: null,
        epoch: beat.epoch,
        position: null,
        lag: null,
        detail: beat.replaced
          ? `last heartbeat of ${beat.owner} (epoch ${beat.epoch}); it was replaced: the log is at epoch ${log.epoch}`
          : `last heartbeat of ${beat.owner}, the current primary (epoch ${beat.epoch})`,
      });
    }
    for (let claimed = 1; claimed <= log.epoch; claimed++) {
      // Only the primary of the epoch just before a claim can bound it: its last beat came before the claim.
      const bound = beat !== null && beat.epoch === claimed - 1 ? beat.time : null;
      events.push({
        kind: 'promotion',
        log: log.path,
        time: null,
        notBefore: bound,
        epoch: claimed,
        position: null,
        lag: null,
        detail: `epoch ${claimed} claimed: a new primary took over and the primary of epoch ${claimed - 1} was fenced off`,
      });
    }
    for (const m of log.mirrors) {
      events.push({
        kind: 'mirror-report',
        log: log.path,
        time: m.time,
        notBefore: null,
        epoch: null,
        position: m.position,
        lag: m.lag,
        detail: `${m.name} reported position ${m.position} of ${log.logPosition} (${m.lag === 0 ? 'caught up' : `${m.lag} behind`})`,
      });
    }
  }
  const at = (e: RecoveryEvent) => e.time ?? e.notBefore ?? Number.NEGATIVE_INFINITY;
  return events
    .map((event, index) => ({ event, index }))
    .sort(
      (a, b) =>
        at(a.event) - at(b.event) ||
        RECOVERY_EVENT_KINDS.indexOf(a.event.kind) - RECOVERY_EVENT_KINDS.indexOf(b.event.kind) ||
        a.index - b.index,
    )
    .map(({ event }) => event);
}
