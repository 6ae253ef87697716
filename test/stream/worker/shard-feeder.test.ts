/**
 * The feeder's back-pressure on one thread, with the ring read by hand: a full ring makes it spill
 * (the subscription never waits), it catches up from the log once the reader makes room, and it
 * goes live again without losing or repeating an event.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../../ts/history/events.js';
import { MemoryEventLog } from '../../../ts/history/memory-event-log.js';
import { EventRing } from '../../../ts/stream/ring/event-ring.js';
import { ShardFeeder } from '../../../ts/stream/worker/shard-feeder.js';
import { ShardMessageReader } from '../../../ts/stream/worker/shard-message.js';

function appendOrder(log: MemoryEventLog, id: string, signals: number): void {
  log.appendSync(id, 0, [
    { type: 'WorkflowStarted', time: 1, payload: { workflowType: 'order', version: 1, fingerprint: 'f', input: { id } } },
  ]);
  for (let s = 0; s < signals; s++) {
    log.appendSync(id, s + 1, [
      { type: 'SignalReceived', time: 2 + s, payload: { name: 'poke', payload: { s, pad: 'p'.repeat(40) } } },
    ]);
  }
}

function harness(ringBytes: number, owns: (id: string) => boolean = () => true) {
  const log = new MemoryEventLog();
  const ring = EventRing.create(ringBytes);
  const reader = new ShardMessageReader();
  const received: HistoryEvent[] = [];
  const rowsSeen: number[] = [];
  const errors: unknown[] = [];
  const drain = (): void => {
    for (;;) {
      const record = ring.tryRead();
      if (record === undefined) return;
      const batch = reader.push(record);
      if (batch === undefined) continue;
      received.push(...batch.events);
      rowsSeen.push(...batch.rows);
    }
  };
  return { log, ring, received, rowsSeen, errors, drain, owns };
}

function startFeeder(h: ReturnType<typeof harness>, seenThrough = 0): ShardFeeder {
  return new ShardFeeder(
    {
      log: h.log,
      ring: h.ring,
      owns: h.owns,
      rowOf: (e) => (e.type === 'WorkflowStarted' ? e.pos : -1),
      catchUpChunk: 7,
      onError: (error) => h.errors.push(error),
    },
    0,
    seenThrough,
  );
}

async function until(condition: () => boolean, drain: () => void): Promise<void> {
  for (let i = 0; i < 10_000 && !condition(); i++) {
    drain();
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(condition()).toBe(true);
}

describe('ShardFeeder', () => {
  it('replays the history the log held before it started, then goes live', async () => {
    const h = harness(1 << 16);
    for (let i = 0; i < 5; i++) appendOrder(h.log, `o${i}`, 3);
    const feeder = startFeeder(h);
    expect(feeder.spilling).toBe(true);
    await feeder.whenLive();
    expect(feeder.spilling).toBe(false);
    h.log.subscribe((events) => feeder.offer(events, events[events.length - 1]!.pos));
    appendOrder(h.log, 'late', 2);
    h.drain();
    expect(h.received).toEqual(await h.log.readRange(0, 1000));
    // Rows travel with each WorkflowStarted only.
    expect(h.rowsSeen).toEqual(h.received.map((e) => (e.type === 'WorkflowStarted' ? e.pos : -1)));
    expect(feeder.eventsSent).toBe(h.received.length);
  });

  it('spills when the ring is full, never blocking the subscription, and loses or repeats nothing', async () => {
    const h = harness(1024);
    const feeder = startFeeder(h);
    await feeder.whenLive();
    h.log.subscribe((events) => feeder.offer(events, events[events.length - 1]!.pos));
    // Nobody reads: the ring fills within a few instances, and the rest is left in the log.
    for (let i = 0; i < 40; i++) appendOrder(h.log, `o${i}`, 4);
    expect(feeder.spills).toBe(1);
    expect(feeder.spilling).toBe(true);
    // The reader makes room; the catch-up loop refills the ring from the log as it goes.
    await until(() => !feeder.spilling && h.ring.usedBytes() === 0, h.drain);
    // Live again: later batches go straight to the ring.
    appendOrder(h.log, 'after', 1);
    h.drain();
    const all = await h.log.readRange(0, 10_000);
    expect(h.received.map((e) => e.pos)).toEqual(all.map((e) => e.pos));
    expect(h.received).toEqual(all);
    expect(h.ring.stats.fullWaits).toBeGreaterThan(0);
    expect(h.errors).toEqual([]);
  });

  it('catching up, sends only the events of its own shard and advances past the others', async () => {
    const h = harness(1 << 16, (id) => id.endsWith('a'));
    appendOrder(h.log, 'xa', 2);
    appendOrder(h.log, 'xb', 2);
    appendOrder(h.log, 'ya', 1);
    const feeder = startFeeder(h);
    await feeder.whenLive();
    h.drain();
    expect(new Set(h.received.map((e) => e.workflowId))).toEqual(new Set(['xa', 'ya']));
    expect(h.received.length).toBe(5);
    expect(feeder.sentThrough).toBe(8);
    // Live, the caller hands it its shard's part of a batch (possibly nothing) and the batch's last position.
    feeder.offer([], 12);
    expect(feeder.sentThrough).toBe(12);
  });

  it('reports a log that fails while catching up, and stays behind rather than skipping', async () => {
    const h = harness(1024);
    appendOrder(h.log, 'o', 1);
    await h.log.close();
    const feeder = startFeeder(h);
    await feeder.whenLive();
    expect(h.errors.length).toBe(1);
    expect(feeder.failure).toBe(h.errors[0]);
    expect(feeder.spilling).toBe(true);
    expect(feeder.sentThrough).toBe(0);
  });
});
