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
import type { EncodedEvents } from './event-log.js';
import type { EventWriter } from './event-writer.js';
import type { HistoryEvent } from './events.js';
import { typeCode } from './sqlite-rows.js';

/**
 * Writes one batch in one transaction. Returns undefined when it was committed before returning
 * (inline; throws if it failed), or a promise that settles once it is committed (worker).
 */
export interface SqliteBatchWriter {
  /**
   * `batch`: the events as {@link toColumns} packed them (the log keeps that object, to hand its
   * bytes to its listeners: writers must not transfer or change it), with `batch.epoch` the oldest
   * epoch the appends carried, or -1 when none carried one. The write transaction refuses the
   * batch (error code FENCED) when the stored epoch is newer. `events` are the same events.
   */
  write(events: readonly HistoryEvent[], batch: ColumnBatch): Promise<void> | undefined;
  /**
   * After a failed batch, a writer refuses every later batch (they were numbered on top of the
   * failed one) until reset: the caller resets once it has failed them and reloaded its heads.
   */
  reset(): void;
  close(): Promise<void>;
}

const INSERT = 'INSERT INTO events (pos, workflow_id, seq, type, time, event) VALUES (?, ?, ?, ?, ?, ?)';
const SELECT_EPOCH = "SELECT value FROM event_log_meta WHERE key = 'epoch'";

/** The error a fenced batch fails with (on either writer), carrying the epoch that fenced it. */
export class FencedBatchError extends Error {
  readonly code = 'FENCED';
  constructor(readonly currentEpoch: number) {
    super(`the log is at epoch ${currentEpoch}`);
    this.name = 'FencedBatchError';
  }
}

/** Writes on the calling thread, in the caller's turn (the write is done when `write` returns). */
export function inlineBatchWriter(db: Database.Database): SqliteBatchWriter {
  const insert = db.prepare(INSERT);
  const selectEpoch = db.prepare(SELECT_EPOCH).pluck();
  const writeAll = db.transaction((events: readonly HistoryEvent[], batch: ColumnBatch) => {
    if (batch.epoch >= 0) {
      const current = Number(selectEpoch.get() ?? 0);
      if (batch.epoch < current) throw new FencedBatchError(current);
    }
    const { numbers } = batch;
    const bytes = Buffer.from(batch.events.buffer, batch.events.byteOffset, batch.events.byteLength);
    for (let i = 0, n = 0; i < events.length; i++, n += ROW_NUMBERS) {
      const e = events[i]!;
      insert.run(e.pos, e.workflowId, e.seq, typeCode(e.type), e.time, bytes.subarray(numbers[n + 4], numbers[n + 5]));
    }
  });
  return {
    write(events, batch) {
      writeAll.immediate(events, batch);
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
const selectEpoch = db.prepare(workerData.selectEpoch).pluck();
// The epoch is read inside the write transaction (IMMEDIATE: the write lock is taken at BEGIN), so
// a claim committed by another connection before it is seen, and none can commit during it.
const writeAll = db.transaction((batch) => {
  if (batch.epoch >= 0) {
    const current = Number(selectEpoch.get() ?? 0);
    if (batch.epoch < current) {
      const error = new Error('the log is at epoch ' + current);
      error.code = 'FENCED';
      error.currentEpoch = current;
      throw error;
    }
  }
  const numbers = batch.numbers;
  const events = Buffer.from(batch.events.buffer, batch.events.byteOffset, batch.events.byteLength);
  for (let n = 0; n < numbers.length; n += 8) {
    const event = events.subarray(numbers[n + 4], numbers[n + 5]);
    const workflowId = events.toString('utf8', numbers[n + 6], numbers[n + 7]);
    insert.run(numbers[n], workflowId, numbers[n + 1], numbers[n + 2], numbers[n + 3], event);
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
    writeAll.immediate(message.batch);
    parentPort.postMessage({ id: message.id, ok: true });
  } catch (error) {
    failed = String(error && error.message);
    parentPort.postMessage({ id: message.id, ok: false, message: failed, code: error && error.code, currentEpoch: error && error.currentEpoch });
  }
});
`;

/**
 * A batch as the writer thread binds it: every event encoded as a FlatBuffers `Event`, one after
 * another in one byte array, and per row i the numbers at numbers[8i..8i+7]: pos, seq, type code,
 * time, where the row's event starts and ends in `events`, and where its workflow id's UTF-8
 * bytes start and end (inside the event). The writer thread gets copies of the two arrays,
 * transferred (a memcpy each per batch; the log keeps the originals for its listeners, see
 * {@link encodedEvents}), and makes the id strings.
 * Before, the ids and JSON payload texts crossed as arrays of strings (a structured clone per
 * string on the engine thread), and earlier still as one JSON text of the events, which the
 * writer parsed and re-stringified payload by payload: 6.5 against 3.8 µs of writer time per
 * event, fsync included, on this repo's bench machine.
 */
export interface ColumnBatch {
  readonly numbers: Float64Array<ArrayBuffer>;
  readonly events: Uint8Array<ArrayBuffer>;
  /** See {@link SqliteBatchWriter.write}. */
  readonly epoch: number;
}

/** Numbers per row in {@link ColumnBatch.numbers}. */
const ROW_NUMBERS = 8;

/** A packed batch's events as the log's listeners see them (no copy). */
export function encodedEvents(batch: ColumnBatch): EncodedEvents {
  const { numbers, events } = batch;
  return {
    bytes: events,
    start: (i) => numbers[i * ROW_NUMBERS + 4]!,
    end: (i) => numbers[i * ROW_NUMBERS + 5]!,
  };
}

/** Packs `events` into the columns the writer thread inserts, encoding each with `writer` (reset first). */
export function toColumns(events: readonly HistoryEvent[], writer: EventWriter, epoch = -1): ColumnBatch {
  const numbers = new Float64Array(events.length * ROW_NUMBERS);
  writer.reset();
  for (let i = 0, n = 0; i < events.length; i++, n += ROW_NUMBERS) {
    const e = events[i]!;
    numbers[n] = e.pos;
    numbers[n + 1] = e.seq;
    numbers[n + 2] = typeCode(e.type);
    numbers[n + 3] = e.time;
    numbers[n + 4] = writer.write(e);
    numbers[n + 5] = writer.length;
    numbers[n + 6] = writer.lastIdStart;
    numbers[n + 7] = writer.lastIdEnd;
  }
  return { numbers, events: writer.take(), epoch };
}

interface WorkerReply {
  readonly id?: number;
  readonly ok?: boolean;
  readonly message?: string;
  readonly code?: string;
  readonly currentEpoch?: number;
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
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, driver, insert: INSERT, selectEpoch: SELECT_EPOCH },
  });
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
    else if (reply.code === 'FENCED') waiter.reject(new FencedBatchError(reply.currentEpoch ?? 0));
    else waiter.reject(new SqliteWriterError(reply.message ?? 'unknown SQLite error', reply.code));
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => {
    failAll(new SqliteWriterError(`the SQLite writer thread exited (code ${code})`, 'WRITER_EXITED'));
    closed?.();
  });
  return {
    write(_events, batch) {
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        // Held while a write is in flight, so the process waits for the commit it was promised.
        worker.ref();
        // Copies, transferred: the log hands the originals to its listeners. (A plain structured
        // clone costs more: it copies into the message and again out of it.)
        const copy: ColumnBatch = { numbers: batch.numbers.slice(), events: batch.events.slice(), epoch: batch.epoch };
        worker.postMessage({ id, batch: copy }, [copy.numbers.buffer, copy.events.buffer]);
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
