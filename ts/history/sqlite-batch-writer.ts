/**
 * Where a committed batch of events is written. The SQLite event log numbers, checks and queues
 * appends on the calling thread; the INSERTs, the commit and its fsync can run either there
 * (`inline`) or on a worker thread with a connection of its own (`worker`, the default). With the
 * worker, SQLite's share of the work (about half of a durable pipeline's CPU time on one core)
 * overlaps with the engines on the main thread, while the next group commit accumulates.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { HistoryEvent } from './events.js';
import { typeCode } from './sqlite-rows.js';

/**
 * Writes one batch in one transaction. Returns undefined when it was committed before returning
 * (inline; throws if it failed), or a promise that settles once it is committed (worker).
 */
export interface SqliteBatchWriter {
  write(events: readonly HistoryEvent[]): Promise<void> | undefined;
  /**
   * After a failed batch, a writer refuses every later batch (they were numbered on top of the
   * failed one) until reset: the caller resets once it has failed them and reloaded its heads.
   */
  reset(): void;
  close(): Promise<void>;
}

const INSERT = 'INSERT INTO events (pos, workflow_id, seq, type, time, payload) VALUES (?, ?, ?, ?, ?, ?)';

/** Writes on the calling thread, in the caller's turn (the write is done when `write` returns). */
export function inlineBatchWriter(db: Database.Database): SqliteBatchWriter {
  const insert = db.prepare(INSERT);
  const writeAll = db.transaction((events: readonly HistoryEvent[]) => {
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      insert.run(e.pos, e.workflowId, e.seq, typeCode(e.type), e.time, JSON.stringify(e.payload));
    }
  });
  return {
    write(events) {
      writeAll(events);
      return undefined;
    },
    reset: () => undefined,
    close: () => Promise.resolve(),
  };
}

// The worker is plain CommonJS evaluated from this string, so it runs the same from the compiled
// package and from TypeScript sources under a test runner (a .ts worker file would not load).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
const insert = db.prepare(workerData.insert);
const writeAll = db.transaction((batch) => {
  const { numbers, workflowIds, payloads } = batch;
  for (let i = 0, n = 0; i < workflowIds.length; i++, n += 4) {
    insert.run(numbers[n], workflowIds[i], numbers[n + 1], numbers[n + 2], numbers[n + 3], payloads[i]);
  }
});
let failed = undefined;
parentPort.on('message', (message) => {
  if (message.close) {
    db.close();
    parentPort.postMessage({ closed: true });
    return;
  }
  if (message.reset) {
    failed = undefined;
    return;
  }
  if (failed !== undefined) {
    parentPort.postMessage({ id: message.id, ok: false, message: 'not written: an earlier batch failed (' + failed + ')', code: 'EARLIER_BATCH_FAILED' });
    return;
  }
  try {
    writeAll(message.batch);
    parentPort.postMessage({ id: message.id, ok: true });
  } catch (error) {
    failed = String(error && error.message);
    parentPort.postMessage({ id: message.id, ok: false, message: failed, code: error && error.code });
  }
});
`;

/**
 * A batch as the writer thread binds it: the numeric columns of row i at numbers[4i..4i+3]
 * (pos, seq, type code, time; a transferred buffer), the text columns as arrays of strings.
 * Why columns and not one JSON text of the events: the writer then only binds and inserts. With
 * JSON it parsed every payload and stringified it again, which made it the pipeline's slower
 * thread (6.5 against 3.8 µs per event, both with the commit's fsync, measured on this repo's
 * bench machine); each payload is now stringified once, here.
 */
export interface ColumnBatch {
  readonly numbers: Float64Array<ArrayBuffer>;
  readonly workflowIds: string[];
  readonly payloads: string[];
}

/** Packs `events` into the columns the writer thread inserts. */
export function toColumns(events: readonly HistoryEvent[]): ColumnBatch {
  const count = events.length;
  const numbers = new Float64Array(count * 4);
  const workflowIds = new Array<string>(count);
  const payloads = new Array<string>(count);
  for (let i = 0, n = 0; i < count; i++, n += 4) {
    const e = events[i]!;
    numbers[n] = e.pos;
    numbers[n + 1] = e.seq;
    numbers[n + 2] = typeCode(e.type);
    numbers[n + 3] = e.time;
    workflowIds[i] = e.workflowId;
    payloads[i] = JSON.stringify(e.payload);
  }
  return { numbers, workflowIds, payloads };
}

interface WorkerReply {
  readonly id?: number;
  readonly ok?: boolean;
  readonly message?: string;
  readonly code?: string;
  readonly closed?: boolean;
}

/** An error the worker's SQLite connection raised, carried back with its message and code. */
export class SqliteWriterError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'SqliteWriterError';
  }
}

/** Writes on a worker thread. Batches are answered in order; the caller keeps one in flight. */
export function workerBatchWriter(path: string): SqliteBatchWriter {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, insert: INSERT } });
  // An idle writer must not keep the process alive; nothing is acknowledged before it is committed.
  worker.unref();
  let nextId = 1;
  const pending = new Map<number, { resolve(): void; reject(error: unknown): void }>();
  let closed: (() => void) | undefined;
  const failAll = (error: unknown) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on('message', (reply: WorkerReply) => {
    if (reply.closed) {
      closed?.();
      return;
    }
    const waiter = pending.get(reply.id!);
    if (waiter === undefined) return;
    pending.delete(reply.id!);
    if (reply.ok) waiter.resolve();
    else waiter.reject(new SqliteWriterError(reply.message ?? 'unknown SQLite error', reply.code));
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => {
    failAll(new SqliteWriterError(`the SQLite writer thread exited (code ${code})`, 'WRITER_EXITED'));
    closed?.();
  });
  return {
    write(events) {
      const batch = toColumns(events);
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        // Held while a write is in flight, so the process waits for the commit it was promised.
        worker.ref();
        worker.postMessage({ id, batch }, [batch.numbers.buffer]);
      }).finally(() => {
        if (pending.size === 0) worker.unref();
      });
    },
    reset() {
      worker.postMessage({ reset: true });
    },
    close() {
      return new Promise<void>((resolve) => {
        closed = resolve;
        worker.ref();
        worker.postMessage({ close: true });
      }).then(() => worker.terminate().then(() => undefined));
    },
  };
}
