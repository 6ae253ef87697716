/**
 * The workflow and the activity "service" of the crash test, shared by the primary child process
 * (compiled into dist/, run with node) and the test process that promotes the mirror.
 *
 * The service keeps its effects in an SQLite file keyed by the idempotency key, as a payment
 * service would: a call whose key it has seen applies nothing again. That is what lets the test
 * check that a promoted primary re-issues each outstanding activity with the key it had.
 */
import Database from 'better-sqlite3';
import { mulberry32 } from '../../../ts/engine/deterministic-random.js';
import { type ActivityInfo, activity, defineWorkflow, enumOf, f64 } from '../../../ts/index.js';

export const transfer = defineWorkflow({
  name: 'transfer',
  version: 1,
  state: {
    amount: f64({ weight: 1 }),
    debited: f64({ weight: 1 }),
    credited: f64({ weight: 1 }),
    status: enumOf(['new', 'debiting', 'crediting', 'settling', 'done'], { weight: 10 }),
  },
  activities: {
    debit: activity<{ amount: number }, { amount: number }>({ retry: { attempts: 3, backoffMs: 1 } }),
    credit: activity<{ amount: number }, { amount: number }>({ retry: { attempts: 3, backoffMs: 1 } }),
  },
  on: {
    start(s, input: { amount: number }, ctx) {
      s.amount = input.amount;
      s.status = 'debiting';
      ctx.call('debit', { amount: input.amount });
    },
    completed: {
      debit(s, result, ctx) {
        s.debited = result.amount;
        s.status = 'crediting';
        ctx.call('credit', { amount: result.amount });
      },
      credit(s, result, ctx) {
        s.credited = result.amount;
        s.status = 'settling';
        ctx.sleep(2, 'settle');
      },
    },
    timer: {
      settle(s, ctx) {
        s.status = 'done';
        ctx.complete({ amount: s.amount });
      },
    },
  },
});

/** A seeded random source for the crash test (the engines' own mulberry32), so a seed reruns one iteration. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    const [next, value] = mulberry32(state);
    state = next;
    return value;
  };
}

/** The state every transfer ends in, crash or no crash. */
export function finalState(amount: number): Record<string, unknown> {
  return { amount, debited: amount, credited: amount, status: 'done' };
}

/** The amount of transfer `i` (a cent amount, exact in binary floating point after rounding). */
export function amountOf(i: number): number {
  return Math.round((10 + ((i * 7919) % 100_000) / 100) * 100) / 100;
}

/** The activities of a transfer, against the effects store. */
export interface TransferService {
  readonly activities: {
    readonly debit: (input: { amount: number }, info: ActivityInfo) => Promise<{ amount: number }>;
    readonly credit: (input: { amount: number }, info: ActivityInfo) => Promise<{ amount: number }>;
  };
  close(): void;
}

/** The effects store at `path` and the activities that use it; each call waits up to `maxDelayMs` first. */
export function transferService(path: string, random: () => number, maxDelayMs: number): TransferService {
  const db = new Database(path);
  db.pragma('busy_timeout = 5000'); // before anything that takes a lock
  db.pragma('journal_mode = WAL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS effects (key TEXT PRIMARY KEY, activity TEXT NOT NULL, amount REAL NOT NULL, calls INTEGER NOT NULL)',
  );
  const record = db.prepare(
    'INSERT INTO effects (key, activity, amount, calls) VALUES (?, ?, ?, 1) ON CONFLICT (key) DO UPDATE SET calls = calls + 1',
  );
  const call = (name: string) => async (input: { amount: number }, info: ActivityInfo) => {
    await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * maxDelayMs)));
    record.run(info.idempotencyKey, name, input.amount); // the effect: once per key, whatever the calls
    return { amount: input.amount };
  };
  return { activities: { debit: call('debit'), credit: call('credit') }, close: () => db.close() };
}
