import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EpochConflictError,
  EventLogUnavailableError,
  FencedError,
  InvalidArgumentError,
  MalformedEventError,
  SchemaVersionMismatchError,
} from '../../ts/history/errors.js';
import { EventWriter } from '../../ts/history/event-writer.js';
import type { HistoryEvent, Json } from '../../ts/history/events.js';
import { MemoryEventLog } from '../../ts/history/memory-event-log.js';
import { SqliteEventLog } from '../../ts/history/sqlite-event-log.js';
import { describeEventLog } from './event-log-suite.js';
import { nextTurn, scheduled, someEvents, tempDir } from './fixtures.js';

describeEventLog('SqliteEventLog', () => {
  const tmp = tempDir();
  return {
    open: (options) => SqliteEventLog.open({ path: path.join(tmp.dir, 'log.db'), ...options }),
    cleanup: tmp.remove,
  };
});

describe('SqliteEventLog', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  const opened: { close(): unknown }[] = [];
  /** Opens a log (or a raw connection) that afterEach closes. */
  const track = <T extends { close(): unknown }>(x: T): T => {
    opened.push(x);
    return x;
  };

  beforeEach(() => {
    tmp = tempDir();
    file = path.join(tmp.dir, 'log.db');
  });

  afterEach(async () => {
    for (const x of opened.splice(0)) await x.close();
    tmp.remove();
  });

  it('keeps committed events across close and reopen', async () => {
    const first = SqliteEventLog.open({ path: file });
    const a = await first.append('a', 0, someEvents(3));
    const b = await first.append('b', 0, someEvents(1));
    await first.close();

    const second = track(SqliteEventLog.open({ path: file }));
    expect(await second.readInstance('a')).toEqual(a);
    expect(await second.readRange(0, 10)).toEqual([...a, ...b]);
    expect(await second.head('a')).toBe(3);
    const more = await second.append('a', 3, someEvents(1));
    expect(more.map((e) => [e.seq, e.pos])).toEqual([[4, 5]]);
    await expect(second.append('b', 0, someEvents(1))).rejects.toMatchObject({ code: 'WRONG_EXPECTED_SEQ', actualSeq: 1 });
  });

  it('has committed an append when it resolves (another connection sees it)', async () => {
    const log = track(SqliteEventLog.open({ path: file }));
    await log.append('a', 0, someEvents(2));
    const other = track(new Database(file, { readonly: true }));
    expect(other.prepare("SELECT count(*) FROM events WHERE workflow_id = 'a'").pluck().get()).toBe(2);
  });

  it('fences a writer in another connection at commit, and keeps the epoch and heartbeat across reopen', async () => {
    for (const writer of ['worker', 'inline'] as const) {
      const at = path.join(tmp.dir, `fence-${writer}.db`);
      const old = track(SqliteEventLog.open({ path: at, writer }));
      const promoter = track(SqliteEventLog.open({ path: at, writer })); // opened on the empty file
      await old.append('a', 0, someEvents(1), { epoch: 0 });
      expect(await promoter.claimEpoch(0)).toBe(1);
      // The promoter opened the file before the old owner's appends: after its claim it reads heads from the file.
      expect(await promoter.head('a')).toBe(1);
      // The old owner still believes epoch 0 is current: its commit finds the stored epoch newer.
      const late = await old.append('a', 1, someEvents(2), { epoch: 0 }).catch((e: unknown) => e);
      expect(late).toBeInstanceOf(FencedError);
      expect(late).toMatchObject({ epoch: 0, currentEpoch: 1 });
      expect(await promoter.readInstance('a')).toHaveLength(1); // nothing of it was written
      expect(await old.head('a')).toBe(1); // its head rolled back to the disk
      await expect(old.append('a', 1, someEvents(1), { epoch: 0 })).rejects.toBeInstanceOf(FencedError); // now refused early
      expect((await promoter.append('a', 1, someEvents(1), { epoch: 1 }))[0]!.seq).toBe(2);
      await promoter.heartbeat({ owner: 'mirror-1', epoch: 1, time: 5 });
      await old.reportMirrorPosition({ name: 'mirror-2', position: 1, time: 6 }); // seen by every connection
      expect(await promoter.mirrorPositions()).toEqual([{ name: 'mirror-2', position: 1, time: 6 }]);
      await old.close();
      await promoter.close();
      const reopened = track(SqliteEventLog.open({ path: at, writer }));
      expect(await reopened.epoch()).toBe(1);
      expect(await reopened.lastHeartbeat()).toEqual({ owner: 'mirror-1', epoch: 1, time: 5 });
      expect(await reopened.lastPosition()).toBe(2); // what both connections committed
      await expect(reopened.claimEpoch(0)).rejects.toBeInstanceOf(EpochConflictError);
    }
  });

  it('runs with WAL and synchronous=FULL', () => {
    const log = track(SqliteEventLog.open({ path: file }));
    expect(log.storageInfo()).toMatchObject({
      journalMode: 'wal',
      synchronous: 2,
      schemaVersion: 2,
      path: file,
      pageSize: 16384,
    });
    const other = track(new Database(file));
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal'); // WAL is a property of the file
  });

  it('reports a stored row it cannot decode as MalformedEventError naming its pos', async () => {
    const log = track(SqliteEventLog.open({ path: file }));
    await log.append('a', 0, someEvents(1));
    await log.append('b', 0, someEvents(1));
    await log.append('c', 0, someEvents(1));
    const db = track(new Database(file));
    const insert = db.prepare('INSERT INTO events (workflow_id, seq, type, time, event) VALUES (?, ?, ?, ?, ?)');
    const encoded = (event: HistoryEvent) => {
      const writer = new EventWriter();
      writer.write(event);
      return writer.take();
    };
    const scheduledAt = (workflowId: string, pos: number, name: string): HistoryEvent => ({
      workflowId,
      seq: 2,
      pos,
      type: 'ActivityScheduled',
      time: 5,
      payload: { name, input: null },
    });
    insert.run('a', 2, 1, 5, Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    insert.run('b', 2, 99, 5, encoded(scheduledAt('b', 5, 'x')));
    insert.run('c', 2, 1, 5, encoded(scheduledAt('c', 6, '')));
    insert.run('d', 1, 1, 5, encoded(scheduledAt('d', 7, 'x'))); // the buffer says seq 2

    const notABuffer = await log.readInstance('a').catch((e: unknown) => e);
    expect(notABuffer).toBeInstanceOf(MalformedEventError);
    expect(notABuffer).toMatchObject({ pos: 4, field: 'event', workflowId: 'a' });
    expect((notABuffer as Error).message).toMatch(/^stored event at pos 4: event is not a valid FlatBuffers Event/);
    await expect(log.readInstance('b')).rejects.toMatchObject({ pos: 5, field: 'type' });
    await expect(log.readInstance('c')).rejects.toMatchObject({
      pos: 6,
      field: 'event',
      message: expect.stringMatching(/payload\.name/),
    });
    const torn = await log.readInstance('d').catch((e: unknown) => e);
    expect(torn).toMatchObject({ pos: 7, field: 'event' });
    expect((torn as Error).message).toMatch(/disagrees with the row's seq \(the buffer says 2\)/);
    await expect(log.readRange(0, 10)).rejects.toMatchObject({ code: 'MALFORMED_EVENT', pos: 4 });
    expect(await log.readRange(0, 3)).toHaveLength(3); // the good rows before it still read
  });

  it('refuses a file of another schema version, a foreign events table and a non-database; shares a file with other tables', async () => {
    await SqliteEventLog.open({ path: file }).close();
    const db = new Database(file);
    db.prepare("UPDATE event_log_meta SET value = '1' WHERE key = 'schema_version'").run();
    db.close();
    const error = (() => {
      try {
        SqliteEventLog.open({ path: file });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SchemaVersionMismatchError);
    expect(error).toMatchObject({ code: 'SCHEMA_VERSION_MISMATCH', found: 1, expected: 2 });

    const foreign = path.join(tmp.dir, 'foreign.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE events (x)');
    other.close();
    expect(() => SqliteEventLog.open({ path: foreign })).toThrow(SchemaVersionMismatchError);

    // Tables of other stores in the same file are fine.
    const shared = path.join(tmp.dir, 'shared.db');
    const store = new Database(shared);
    store.exec('CREATE TABLE anomalies (id INTEGER PRIMARY KEY)');
    store.close();
    await SqliteEventLog.open({ path: shared }).close();
    await SqliteEventLog.open({ path: shared }).close();

    const text = path.join(tmp.dir, 'text.db');
    fs.writeFileSync(text, 'this is not a database, just some text that is long enough to look like a header....');
    expect(() => SqliteEventLog.open({ path: text })).toThrow(EventLogUnavailableError);
  });

  it('rejects every append of a failed batch, writes none of it and keeps what was committed', async () => {
    const log = track(SqliteEventLog.open({ path: file }));
    const committed = await log.append('a', 0, someEvents(2));
    const db = track(new Database(file));
    // Any insert for "poison" aborts the transaction it is in, as a full disk or I/O error would.
    db.exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.workflow_id = 'poison'
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);

    const results = await Promise.allSettled([
      log.append('a', 2, someEvents(1)),
      log.append('b', 0, someEvents(2)),
      log.append('poison', 0, someEvents(1)),
    ]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason as EventLogUnavailableError;
      expect(reason).toBeInstanceOf(EventLogUnavailableError);
      expect(reason.code).toBe('EVENT_LOG_UNAVAILABLE');
      expect((reason.cause as Error).message).toContain('injected failure');
    }
    expect(await log.readRange(0, 100)).toEqual(committed);
    expect(await log.head('a')).toBe(2);
    expect(await log.head('b')).toBe(0);

    db.exec('DROP TRIGGER poison');
    const after = await log.append('a', 2, someEvents(1));
    expect(after.map((e) => [e.seq, e.pos])).toEqual([[3, 3]]);
  });

  it('rolls its in-memory head back to the disk after a conflict with another writer', async () => {
    const log = track(SqliteEventLog.open({ path: file }));
    await log.append('a', 0, someEvents(2));
    const db = track(new Database(file));
    // Another writer's row: the conflict is on (workflow_id, seq), whatever the row holds.
    db.prepare(`INSERT INTO events (workflow_id, seq, type, time, event) VALUES ('a', 3, 6, 1, x'00')`).run();
    await expect(log.append('a', 2, someEvents(1))).rejects.toBeInstanceOf(EventLogUnavailableError);
    expect(await log.head('a')).toBe(3);
    expect((await log.append('a', 3, someEvents(1)))[0]!.seq).toBe(4);
  });

  it('with the worker writer, keeps several batches in flight and delivers them in pos order', async () => {
    const log = track(SqliteEventLog.open({ path: file, groupCommit: { maxBatch: 3 } }));
    const sizes: number[] = [];
    const seen: number[] = [];
    log.subscribe((events) => {
      sizes.push(events.length);
      seen.push(...events.map((e) => e.pos));
    });
    const appends = Array.from({ length: 7 }, (_, i) => log.append(`wf-${i}`, 0, someEvents(1)));
    expect(sizes).toEqual([]); // nothing is acknowledged before the worker committed it
    const written = await Promise.all(appends);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(written.flat().map((e) => e.pos)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const other = track(new Database(file, { readonly: true }));
    expect(other.prepare('SELECT count(*) FROM events').pluck().get()).toBe(7);
  });

  it('with batches in flight, a failed batch fails every later one too, so the history gets no gap', async () => {
    const log = track(SqliteEventLog.open({ path: file, groupCommit: { maxBatch: 1 } }));
    await log.append('a', 0, someEvents(1));
    const db = track(new Database(file));
    db.exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.workflow_id = 'poison'
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    // One batch each (maxBatch 1): 'a' seq 2, then poison, then 'a' seq 3, which was numbered after both.
    const results = await Promise.allSettled([
      log.append('a', 1, someEvents(1)),
      log.append('poison', 0, someEvents(1)),
      log.append('a', 2, someEvents(1)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    for (const r of results.slice(1)) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(EventLogUnavailableError);
    }
    expect((await log.readInstance('a')).map((e) => e.seq)).toEqual([1, 2]);
    expect(await log.head('a')).toBe(2);
    db.exec('DROP TRIGGER poison');
    // After the failure the writer is reset: the log takes appends again, from the durable heads.
    expect((await log.append('a', 2, someEvents(1))).map((e) => e.seq)).toEqual([3]);
    expect((await log.append('poison', 0, someEvents(1))).map((e) => e.seq)).toEqual([1]);
  });

  it('writes a batch as soon as maxBatch events are queued (inline writer)', async () => {
    const log = track(SqliteEventLog.open({ path: file, groupCommit: { maxBatch: 3 }, writer: 'inline' }));
    const sizes: number[] = [];
    log.subscribe((events) => sizes.push(events.length));
    const appends = Array.from({ length: 7 }, (_, i) => log.append(`wf-${i}`, 0, someEvents(1)));
    expect(sizes).toEqual([3, 3]); // written synchronously, before the event loop turns
    await Promise.all(appends);
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('waits maxDelayMs for company before writing', async () => {
    const log = track(SqliteEventLog.open({ path: file, groupCommit: { maxDelayMs: 30 } }));
    let done = false;
    const pending = log.append('a', 0, someEvents(1)).then(() => {
      done = true;
    });
    await nextTurn();
    expect(done).toBe(false);
    expect(await log.head('a')).toBe(1); // accepted and counted ...
    expect(await log.readInstance('a')).toEqual([]); // ... but not durable yet
    await pending;
    expect(await log.readInstance('a')).toHaveLength(1);
  });

  it('delivers appends made by a listener in a later batch, in order', async () => {
    const log = track(SqliteEventLog.open({ path: file }));
    const batches: number[][] = [];
    let chained: Promise<unknown> | undefined;
    log.subscribe((events) => {
      batches.push(events.map((e) => e.pos));
      chained ??= log.append('echo', 0, someEvents(1));
    });
    await log.append('a', 0, someEvents(2));
    await chained;
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it('refuses bad options with InvalidArgumentError naming the option', () => {
    expect(() => SqliteEventLog.open({ path: file, groupCommit: { maxBatch: 0 } })).toThrow(/groupCommit.maxBatch/);
    expect(() => SqliteEventLog.open({ path: file, groupCommit: { maxDelayMs: -1 } })).toThrow(InvalidArgumentError);
    expect(() => SqliteEventLog.open({ path: '' })).toThrow(InvalidArgumentError);
  });

  it('stores any JSON payload exactly as the memory log does', async () => {
    const log = track(SqliteEventLog.open({ path: file }));
    const memory = new MemoryEventLog();
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const event = scheduled('p', value as Json);
        const [fromMemory] = await memory.append('p', seq, [event]);
        await log.append('p', seq, [event]);
        seq++;
        const [fromDisk] = await log.readInstance('p', seq, seq);
        expect(fromDisk).toEqual(fromMemory);
        expect(fromDisk!.payload).toEqual(JSON.parse(JSON.stringify(event.payload)));
      }),
      { numRuns: 200 },
    );
  });
});
