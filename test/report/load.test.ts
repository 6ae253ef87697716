/**
 * Loading a report's input: the SQLite store and JSONL files, detected by content; bad input gets
 * a typed error and is left exactly as it was; recovery records read from real event logs.
 */
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MalformedJsonlLineError } from '../../ts/anomaly/errors.js';
import { JsonlFileSink } from '../../ts/anomaly/jsonl-sink.js';
import { SqliteAnomalyStore } from '../../ts/anomaly/sqlite-anomaly-store.js';
import { SqliteEventLog } from '../../ts/history/sqlite-event-log.js';
import {
  NoAnomalyTableError,
  NotAnEventLogError,
  ReportInputFormatError,
  ReportInputNotFoundError,
  UnreadableReportInputError,
} from '../../ts/report/errors.js';
import { detectInputKind, loadAnomalies } from '../../ts/report/load.js';
import { defaultRecoveryLogs, isEventLog, readRecoveryLog } from '../../ts/report/recovery.js';
import { manyReports, tempDir } from '../anomaly/fixtures.js';
import { someEvents } from '../history/fixtures.js';

const { dir, cleanup } = tempDir('report-load');
afterAll(cleanup);

async function storeWith(name: string, n: number): Promise<string> {
  const path = join(dir, name);
  const store = SqliteAnomalyStore.open({ path });
  for (const r of manyReports(n)) store.write(r);
  await store.close();
  return path;
}

function snapshot(path: string): { bytes: Buffer; mtimeMs: number } {
  return { bytes: readFileSync(path), mtimeMs: statSync(path).mtimeMs };
}

describe('loadAnomalies', () => {
  it('reads the SQLite store read-only: the reports its query() returns, in the same order', async () => {
    const path = await storeWith('store.db', 40);
    const before = snapshot(path);
    const loaded = loadAnomalies(path);
    expect(snapshot(path)).toEqual(before);
    expect(loaded.kind).toBe('sqlite');
    const store = SqliteAnomalyStore.open({ path });
    expect(loaded.reports).toEqual(store.query());
    await store.close();
    expect(loaded.reports).toHaveLength(40);
    expect(loadAnomalies(path, 'sqlite').reports).toHaveLength(40);
  });

  it('reads a JSONL file, counting repeated ids once as the store does, and skipping a last line still being written', async () => {
    const path = join(dir, 'reports.jsonl');
    const sink = new JsonlFileSink(path);
    const reports = manyReports(10);
    for (const r of reports) sink.write(r);
    sink.write(reports[3]!); // the same anomaly sent twice
    await sink.close();
    appendFileSync(path, '{"id":"half-writ'); // a writer mid-line
    const loaded = loadAnomalies(path);
    expect(loaded).toMatchObject({ kind: 'jsonl', duplicatesIgnored: 1, incompleteLastLine: true });
    expect(loaded.reports).toEqual([...reports].sort((a, b) => a.detectedAt - b.detectedAt));
  });

  it('refuses a malformed line in the middle with a typed error naming the line, and changes nothing', () => {
    const path = join(dir, 'bad.jsonl');
    const good = JSON.stringify(manyReports(1)[0]);
    writeFileSync(path, `${good}\n{"id": 3}\n${good}\n`);
    const before = snapshot(path);
    let error: unknown;
    try {
      loadAnomalies(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnreadableReportInputError);
    expect((error as UnreadableReportInputError).code).toBe('REPORT_INPUT_UNREADABLE');
    expect((error as Error).cause).toBeInstanceOf(MalformedJsonlLineError);
    expect(((error as Error).cause as MalformedJsonlLineError).line).toBe(2);
    expect(snapshot(path)).toEqual(before);
  });

  it('detects the kind from the content, refuses the wrong flag, a missing file, a foreign file and a database without the table', async () => {
    const db = await storeWith('named.jsonl', 1); // an SQLite file with a misleading name
    expect(detectInputKind(db)).toBe('sqlite');
    const jsonl = join(dir, 'named.db');
    writeFileSync(jsonl, `${JSON.stringify(manyReports(1)[0])}\n`);
    expect(detectInputKind(jsonl)).toBe('jsonl');
    expect(() => loadAnomalies(jsonl, 'sqlite')).toThrow(ReportInputFormatError);
    expect(() => loadAnomalies(jsonl, 'sqlite')).toThrow(/use --jsonl/);
    expect(() => loadAnomalies(db, 'jsonl')).toThrow(/use --db/);
    expect(() => loadAnomalies(join(dir, 'nowhere.db'))).toThrow(ReportInputNotFoundError);
    const foreign = join(dir, 'picture.png');
    writeFileSync(foreign, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]));
    expect(() => loadAnomalies(foreign)).toThrow(ReportInputFormatError);
    expect(() => loadAnomalies(dir)).toThrow(/is not a file/);

    const logOnly = join(dir, 'log-only.db');
    const log = SqliteEventLog.open({ path: logOnly });
    await log.append('w', 0, someEvents(2));
    await log.close();
    const before = snapshot(logOnly);
    expect(() => loadAnomalies(logOnly)).toThrow(NoAnomalyTableError);
    expect(snapshot(logOnly).bytes.equals(before.bytes)).toBe(true);
  });

  it('reads an empty JSONL file as no reports, and an empty .db as a database without the table', () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    expect(loadAnomalies(empty).reports).toEqual([]);
    const emptyDb = join(dir, 'empty.db');
    writeFileSync(emptyDb, '');
    expect(detectInputKind(emptyDb)).toBe('sqlite');
    expect(() => loadAnomalies(emptyDb)).toThrow(NoAnomalyTableError);
  });

  it('wraps a corrupt row of the store in a typed error', async () => {
    const path = await storeWith('corrupt.db', 3);
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path);
    db.prepare("UPDATE anomalies SET fields = '{not json' WHERE rowid = 2").run();
    db.close();
    expect(() => loadAnomalies(path)).toThrow(UnreadableReportInputError);
    expect(() => loadAnomalies(path)).toThrow(/fields is not valid JSON/);
  });
});

describe('readRecoveryLog', () => {
  it('reads epoch, last position, the last heartbeat and mirror reports of a real log, read-only', async () => {
    const path = join(dir, 'failover.db');
    const log = SqliteEventLog.open({ path });
    await log.append('w', 0, someEvents(6), { epoch: 0 });
    await log.heartbeat({ owner: 'primary-1', epoch: 0, time: 9_000 });
    await log.claimEpoch(0);
    await log.reportMirrorPosition({ name: 'mirror-2', position: 4, time: 9_500 });
    await log.close();
    const before = snapshot(path);
    const read = readRecoveryLog(path);
    expect(read).toEqual({
      path,
      epoch: 1,
      logPosition: 6,
      heartbeat: { owner: 'primary-1', epoch: 0, time: 9_000, replaced: true },
      mirrors: [{ name: 'mirror-2', position: 4, time: 9_500, lag: 2 }],
    });
    expect(snapshot(path).bytes.equals(before.bytes)).toBe(true);
    expect(isEventLog(path)).toBe(true);
  });

  it('finds the store’s own log and the demo’s failover log beside it, and refuses a file that is no log', async () => {
    const sub = join(dir, 'run');
    mkdirSync(sub);
    const main = join(sub, 'wfmirror.db');
    const log = SqliteEventLog.open({ path: main });
    await log.close();
    const store = SqliteAnomalyStore.open({ path: main });
    await store.close();
    expect(defaultRecoveryLogs(main)).toEqual([main]);
    const failover = SqliteEventLog.open({ path: join(sub, 'failover.db') });
    await failover.close();
    expect(defaultRecoveryLogs(main)).toEqual([main, join(sub, 'failover.db')]);
    mkdirSync(join(dir, 'alone'));
    const storeOnly = await storeWith('alone/store-only.db', 1);
    expect(defaultRecoveryLogs(storeOnly)).toEqual([]);
    expect(() => readRecoveryLog(storeOnly)).toThrow(NotAnEventLogError);
    expect(() => readRecoveryLog(join(dir, 'absent.db'))).toThrow(ReportInputNotFoundError);
  });
});
