/**
 * The SQLite log hands its listeners each durable batch as it encoded it for storage (so the
 * worker-thread mirror copies bytes instead of encoding every event again); the memory log, which
 * encodes nothing, hands none.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeEvent } from '../../ts/history/event-codec.js';
import type { EncodedEvents } from '../../ts/history/event-log.js';
import type { HistoryEvent } from '../../ts/history/events.js';
import { MemoryEventLog } from '../../ts/history/memory-event-log.js';
import { SqliteEventLog } from '../../ts/history/sqlite-event-log.js';
import { someEvents, started, tempDir } from './fixtures.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Appends a few instances' histories concurrently (so batches hold several instances) and collects what listeners got. */
async function deliveries(log: SqliteEventLog | MemoryEventLog) {
  const got: { events: readonly HistoryEvent[]; encoded: EncodedEvents | undefined }[] = [];
  log.subscribe((events, encoded) => got.push({ events, encoded }));
  await Promise.all(
    Array.from({ length: 6 }, async (_, k) => {
      await log.append(`w-${k}`, 0, [started({ k, text: 'ü\uFEFF' })]);
      await log.append(`w-${k}`, 1, someEvents(25 + k));
    }),
  );
  return got;
}

describe.each(['inline', 'worker'] as const)('SQLite log (%s writer): listeners get the stored encoding', (writer) => {
  it('decodes, event by event, into exactly the events delivered, and stays valid after later batches', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const log = SqliteEventLog.open({ path: `${dir}/log.db`, writer });
    const got = await deliveries(log);
    await log.close();
    expect(got.length).toBeGreaterThan(1);
    let total = 0;
    for (const { events, encoded } of got) {
      expect(encoded).toBeDefined();
      events.forEach((event, i) => {
        const start = encoded!.start(i);
        expect(start % 8).toBe(0); // doubles inside stay aligned
        expect(decodeEvent(encoded!.bytes.subarray(start, encoded!.end(i)))).toEqual(event);
      });
      total += events.length;
    }
    expect(total).toBe(6 + 6 * 25 + 15);
  });
});

describe('memory log', () => {
  it('hands no encoding (it has none)', async () => {
    const got = await deliveries(new MemoryEventLog());
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((d) => d.encoded === undefined)).toBe(true);
  });
});
