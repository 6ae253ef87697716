import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AnomalySinkClosedError, CorruptAnomalyRowError, InvalidAnomalyReportError } from '../../ts/anomaly/errors.js';
import { SqliteAnomalyStore } from '../../ts/anomaly/sqlite-anomaly-store.js';
import { makeReport, manyReports, tempDir } from './fixtures.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  // Close stores before removing their directory.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
function dbPath(): string {
  const t = tempDir('sqlite');
  cleanups.push(t.cleanup);
  return join(t.dir, 'sub', 'wfmirror.db');
}
function open(path = dbPath(), options: Parameters<typeof SqliteAnomalyStore.open>[0] | object = {}): SqliteAnomalyStore {
  const store = SqliteAnomalyStore.open({ path, ...options });
  cleanups.push(() => store.close());
  return store;
}

describe('SqliteAnomalyStore', () => {
  it('stores reports and reads them back unchanged, ordered by detection time then id', async () => {
    const store = open();
    const reports = manyReports(30).reverse();
    for (const r of reports) store.write(r);
    await store.flush();
    expect(store.query()).toEqual([...reports].sort((a, b) => a.detectedAt - b.detectedAt));
    const tied = [makeReport({ id: 'b', detectedAt: 1 }), makeReport({ id: 'a', detectedAt: 1 })];
    for (const r of tied) store.write(r);
    expect(store.query({ limit: 2 }).map((r) => r.id)).toEqual(['a', 'b']);
    expect(store.get('r-000003')).toEqual(reports.find((r) => r.id === 'r-000003'));
    expect(store.get('nope')).toBeUndefined();
  });

  it('filters by each option', () => {
    const store = open();
    const reports = manyReports(30);
    for (const r of reports) store.write(r);
    const ids = (pred: (r: (typeof reports)[number]) => boolean) => reports.filter(pred).map((r) => r.id);
    expect(store.query({ workflowId: 'wf-3' }).map((r) => r.id)).toEqual(ids((r) => r.workflowId === 'wf-3'));
    expect(store.query({ severity: 'warning' }).map((r) => r.id)).toEqual(ids((r) => r.severity === 'warning'));
    expect(store.query({ minSeverity: 'warning' }).map((r) => r.id)).toEqual(ids((r) => r.severity !== 'info'));
    expect(store.query({ cause: 'lost-event' }).map((r) => r.id)).toEqual(ids((r) => r.cause === 'lost-event'));
    expect(store.query({ workflowId: 'wf-1', minSeverity: 'critical' }).map((r) => r.id)).toEqual(
      ids((r) => r.workflowId === 'wf-1' && r.severity === 'critical'),
    );
    expect(store.query({ limit: 5, offset: 10 }).map((r) => r.id)).toEqual(reports.slice(10, 15).map((r) => r.id));
    expect(store.query({ offset: 28 }).map((r) => r.id)).toEqual(reports.slice(28).map((r) => r.id));
    expect(store.query({ limit: 0 })).toEqual([]);
    expect(() => store.query({ limit: -1 })).toThrow(/query\.limit must be an integer >= 0/);
    expect(() => store.query({ severity: 'loud' as never })).toThrow(/query\.severity/);
    expect(() => store.query({ cause: 'gremlins' as never })).toThrow(/query\.cause/);
  });

  it('counts by severity and by cause, with zeros for the absent ones', () => {
    const store = open();
    expect(store.countBy().total).toBe(0);
    for (const r of manyReports(10)) store.write(r);
    const counts = store.countBy();
    expect(counts.total).toBe(10);
    expect(counts.bySeverity).toEqual({ info: 4, warning: 3, critical: 3 });
    expect(counts.byCause).toEqual({
      'non-determinism': 4,
      'duplicated-event': 0,
      'lost-event': 3,
      'version-skew': 0,
      'unexpected-activity-result': 0,
      'state-written-outside-handler': 0,
      unknown: 3,
      'history-limit': 0,
    });
  });

  it('stores the same id once; ignore keeps the first, replace the latest', async () => {
    const path = dbPath();
    const store = open(path);
    store.write(makeReport({ id: 'same', severity: 'info' }));
    await store.flush();
    store.write(makeReport({ id: 'same', severity: 'critical' }));
    store.write(makeReport({ id: 'same', severity: 'warning' }));
    expect(store.countBy().total).toBe(1);
    expect(store.get('same')?.severity).toBe('info');
    await store.close();

    const replacing = open(path, { onDuplicate: 'replace' });
    replacing.write(makeReport({ id: 'same', severity: 'critical' }));
    expect(replacing.countBy().total).toBe(1);
    expect(replacing.get('same')?.severity).toBe('critical');
  });

  it('survives close and reopen, and close without flush loses nothing', async () => {
    const path = dbPath();
    const store = SqliteAnomalyStore.open({ path });
    const reports = manyReports(2500); // more than one batch
    for (const r of reports) store.write(r);
    await store.close();
    expect(() => store.write(reports[0]!)).toThrow(AnomalySinkClosedError);
    expect(() => store.query()).toThrow(AnomalySinkClosedError);

    const reopened = open(path);
    expect(reopened.query()).toEqual(reports);
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('writes buffered reports on the next turn of the event loop without a flush', async () => {
    const path = dbPath();
    const store = open(path);
    store.write(makeReport({ id: 'soon' }));
    await new Promise((resolve) => setImmediate(resolve));
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT id FROM anomalies').all()).toEqual([{ id: 'soon' }]);
    raw.close();
  });

  it('shares one database file with another table and leaves the database open on close', async () => {
    const path = dbPath();
    const events = SqliteAnomalyStore.open({ path }); // creates the directory and file
    await events.close();
    const db = new Database(path);
    db.exec('CREATE TABLE IF NOT EXISTS events (pos INTEGER PRIMARY KEY, workflow_id TEXT NOT NULL, seq INTEGER NOT NULL)');
    db.prepare('INSERT INTO events (workflow_id, seq) VALUES (?, ?)').run('order-42', 1);
    const store = new SqliteAnomalyStore(db);
    store.write(makeReport({ id: 'shared' }));
    await store.close();
    expect(db.open).toBe(true);
    expect(db.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 1 });
    db.close();

    const again = open(path);
    expect(again.get('shared')?.id).toBe('shared');
  });

  it('refuses an invalid report at write time without poisoning the batch', () => {
    const store = open();
    store.write(makeReport({ id: 'good-1' }));
    expect(() => store.write({ ...makeReport({ id: 'bad' }), deviation: Number.NaN })).toThrow(InvalidAnomalyReportError);
    store.write(makeReport({ id: 'good-2' }));
    expect(store.query().map((r) => r.id)).toEqual(['good-1', 'good-2']);
  });

  it('keeps infinite deviations and values', () => {
    const store = open();
    const report = makeReport({
      deviation: Number.POSITIVE_INFINITY,
      fields: [
        {
          name: 'x',
          primary: Number.NEGATIVE_INFINITY,
          mirror: 0,
          contribution: Number.POSITIVE_INFINITY,
          share: 1,
          reason: 'numeric',
        },
      ],
    });
    store.write(report);
    expect(store.get(report.id)).toEqual(report);
  });

  it('turns a corrupt stored row into a typed error', async () => {
    const path = dbPath();
    const store = open(path);
    for (const r of manyReports(3)) store.write(r);
    await store.flush();
    const db = new Database(path);
    db.prepare("UPDATE anomalies SET fields = '[{not json' WHERE id = ?").run('r-000001');
    db.close();
    const err = (() => {
      try {
        store.query();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CorruptAnomalyRowError);
    expect((err as CorruptAnomalyRowError).id).toBe('r-000001');
    expect((err as CorruptAnomalyRowError).code).toBe('CORRUPT_ANOMALY_ROW');
    expect(store.get('r-000000')?.id).toBe('r-000000'); // the healthy rows still read

    const db2 = new Database(path);
    db2.prepare("UPDATE anomalies SET severity = 'fatal' WHERE id = ?").run('r-000002');
    db2.close();
    expect(() => store.get('r-000002')).toThrow(CorruptAnomalyRowError);
    expect(() => store.get('r-000002')).toThrow(/severity is not a known severity: "fatal"/);
    expect(() => store.countBy()).toThrow(/unknown severity "fatal"/);
  });

  it('filters by minSeverity and checks its options', () => {
    const store = open(dbPath(), { minSeverity: 'critical' });
    store.write(makeReport({ id: 'i', severity: 'info' }));
    store.write(makeReport({ id: 'c', severity: 'critical' }));
    expect(store.query().map((r) => r.id)).toEqual(['c']);
    expect(() => SqliteAnomalyStore.open({ path: '' })).toThrow(/options\.path/);
    expect(() => open(dbPath(), { onDuplicate: 'merge' })).toThrow(/options\.onDuplicate/);
  });
});
