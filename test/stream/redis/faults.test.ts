/**
 * Faults of the stream, absorbed by the consumer and the mirror's stream applier against a real
 * redis-server: a duplicated entry, two entries out of order, a damaged entry (typed error, parked
 * as a dead letter, its events re-read from the durable log, nothing else stops), a consumer that
 * died holding entries (claimed by another with XAUTOCLAIM), and Redis stopped and restarted in
 * the middle of a run. After each, the mirror applied every event exactly once and holds what an
 * undisturbed replay of the log gives.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { order } from '../../../examples/order.js';
import { FleetRegistry } from '../../../ts/engine/fleet.js';
import type { HistoryEvent } from '../../../ts/history/events.js';
import type { MemoryEventLog } from '../../../ts/history/memory-event-log.js';
import { FixedSourceLogs } from '../../../ts/node/source-logs.js';
import { MirrorStreamApplier } from '../../../ts/node/stream-applier.js';
import { type RedisConsumerOptions, RedisEventConsumer } from '../../../ts/stream/redis/consumer.js';
import { decodeEventEntry, eventEntryFields } from '../../../ts/stream/redis/entry-format.js';
import { CorruptStreamEntryError } from '../../../ts/stream/redis/errors.js';
import { MIRROR_GROUP, streamKeys } from '../../../ts/stream/redis/keys.js';
import { RedisEventPublisher } from '../../../ts/stream/redis/publisher.js';
import { parsePublisherFault } from '../../../ts/stream/redis/publisher-faults.js';
import { type RejectedEntry, shardOf } from '../../../ts/stream/transport.js';
import { redisServerMissing, TestRedisServer } from '../../support/redis-server.js';
import { allEvents, orderPrimary, replayed, statesOf, uniquePrefix, until } from './harness.js';

const missing = redisServerMissing();
const SHARDS = 2;

describe.skipIf(missing !== undefined)(`stream faults${missing === undefined ? '' : ` (skipped: ${missing})`}`, () => {
  let server: TestRedisServer;
  let redis: Redis;

  beforeAll(async () => {
    server = await TestRedisServer.start();
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
    redis.on('error', () => undefined);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.dispose();
  });

  /** A consumer feeding a mirror through the stream applier, with `log` as source p1's durable log. */
  async function mirrorConsumer(prefix: string, log: MemoryEventLog, options: Partial<RedisConsumerOptions> = {}) {
    const applier = new MirrorStreamApplier({
      engine: { fleets: new FleetRegistry([order]) },
      logs: new FixedSourceLogs(new Map([['p1', log]])),
      shards: SHARDS,
      owned: [0, 1],
    });
    const rejected: RejectedEntry[] = [];
    const errors: unknown[] = [];
    const consumer = await RedisEventConsumer.open({
      url: server.url,
      prefix,
      shards: SHARDS,
      consumer: 'm1',
      blockMs: 50,
      onError: (error) => errors.push(error),
      ...options,
    });
    await consumer.start({
      events: (batch) => applier.events(batch),
      deltas: () => undefined,
      rejected: async (entry) => {
        rejected.push(entry);
        await applier.rejected(entry);
      },
    });
    return { applier, consumer, rejected, errors };
  }

  /** Entries of `events` per shard, `size` events each, in pos order within a shard. */
  function entriesOf(events: readonly HistoryEvent[], size: number): { shard: number; events: HistoryEvent[] }[] {
    const out: { shard: number; events: HistoryEvent[] }[] = [];
    for (let shard = 0; shard < SHARDS; shard++) {
      const mine = events.filter((e) => shardOf(e.workflowId, SHARDS) === shard);
      for (let i = 0; i < mine.length; i += size) out.push({ shard, events: mine.slice(i, i + size) });
    }
    return out;
  }

  async function expectMirrored(applier: MirrorStreamApplier, logged: readonly HistoryEvent[]): Promise<void> {
    await until('every event applied', () => applier.mirror.stats.applied >= logged.length);
    // Exactly once: as many applications as events, and the undisturbed replay's states.
    expect(applier.mirror.stats.applied).toBe(logged.length);
    expect(statesOf(applier.mirror)).toEqual(replayed(logged));
  }

  async function pendingCount(prefix: string): Promise<number> {
    const keys = streamKeys(prefix);
    let total = 0;
    for (let shard = 0; shard < SHARDS; shard++) {
      const summary = (await redis.xpending(keys.events(shard), MIRROR_GROUP)) as [number, ...unknown[]];
      total += Number(summary[0]);
    }
    return total;
  }

  it('ignores a duplicated entry and repairs two entries out of order from the durable log', async () => {
    const prefix = uniquePrefix();
    const keys = streamKeys(prefix);
    const source = orderPrimary();
    await source.run({ instances: 60, idPrefix: 'a-' });
    const logged = await allEvents(source.log);
    const entries = entriesOf(logged, 15);
    // Two neighbouring entries of shard 0 that share an instance: swapped, the later events come first.
    const k = entries.findIndex(
      (e, i) =>
        e.shard === 0 &&
        entries[i + 1]?.shard === 0 &&
        e.events.some((a) => entries[i + 1]!.events.some((b) => b.workflowId === a.workflowId)),
    );
    expect(k).toBeGreaterThanOrEqual(0);
    const order_ = entries.map((_, i) => i);
    [order_[k], order_[k + 1]] = [k + 1, k];
    order_.splice(3, 0, 3); // entry 3 twice
    for (const i of order_) {
      const entry = entries[i]!;
      await redis.xadd(keys.events(entry.shard), '*', ...eventEntryFields('p1', entry.events));
    }
    const { applier, consumer } = await mirrorConsumer(prefix, source.log);
    await expectMirrored(applier, logged);
    expect(applier.mirror.stats.duplicatesIgnored).toBeGreaterThanOrEqual(entries[3]!.events.length);
    expect(applier.stats.gapsRepaired).toBeGreaterThan(0);
    await until('all acknowledged', async () => (await pendingCount(prefix)) === 0);
    await consumer.stop();
  });

  it('parks a damaged entry as a dead letter with a typed error, re-reads its events, and goes on', async () => {
    const prefix = uniquePrefix();
    const keys = streamKeys(prefix);
    const source = orderPrimary();
    const publisher = await RedisEventPublisher.open({
      url: server.url,
      prefix,
      shards: SHARDS,
      source: 'p1',
      log: source.log,
      maxSendEvents: 40,
      faults: [parsePublisherFault('corrupt@4'), parsePublisherFault('duplicate@7'), parsePublisherFault('reorder@10')],
    });
    source.log.subscribe((events) => publisher.publish(events));
    await source.run({ instances: 80, idPrefix: 'a-' });
    await publisher.flush();
    expect(publisher.stats.faultsFired).toBe(3);
    const logged = await allEvents(source.log);

    const { applier, consumer, rejected } = await mirrorConsumer(prefix, source.log);
    await expectMirrored(applier, logged);
    expect(rejected).toHaveLength(1);
    const [entry] = rejected;
    expect(entry!.error).toBeInstanceOf(CorruptStreamEntryError);
    expect(entry!.error.code).toBe('CORRUPT_STREAM_ENTRY');
    expect(entry).toMatchObject({ kind: 'events', source: 'p1' });
    expect(applier.stats.rejectedRecovered).toBe(1);
    expect(consumer.stats.deadLettered).toBe(1);
    expect(applier.mirror.stats.duplicatesIgnored).toBeGreaterThan(0);
    // The dead letter names the entry and the reason and keeps the original fields.
    const letters = (await redis.xrange(keys.dead, '-', '+')) as [string, string[]][];
    expect(letters).toHaveLength(1);
    const fields = letters[0]![1];
    const field = (name: string) => fields[fields.indexOf(name) + 1];
    expect(field('code')).toBe('CORRUPT_STREAM_ENTRY');
    expect(field('id')).toBe(entry!.entryId);
    expect(field('orig:src')).toBe('p1');
    expect(field('reason')).toMatch(/no valid EventBatch/);
    // Acknowledged like every other entry: nothing pending, nothing stopped.
    await until('all acknowledged', async () => (await pendingCount(prefix)) === 0);
    expect(consumer.stats.acknowledged).toBe(consumer.stats.entries);
    await consumer.stop();
    await publisher.close();
  });

  it('the publisher faults do what they say in the stream', async () => {
    const prefix = uniquePrefix();
    const keys = streamKeys(prefix);
    const source = orderPrimary();
    const publisher = await RedisEventPublisher.open({
      url: server.url,
      prefix,
      shards: 1,
      source: 'p1',
      log: source.log,
      faults: [parsePublisherFault('duplicate@2'), parsePublisherFault('reorder@4'), parsePublisherFault('corrupt@7')],
    });
    for (let i = 0; i < 8; i++) {
      await source.run({ instances: 2, idPrefix: `a${i}-` });
      // One send per round: each round's events make one entry.
      publisher.publish(await source.log.readRange(publisher.publishedPosition, 1_000_000));
      await publisher.flush();
    }
    const stream = (await redis.xrangeBuffer(keys.events(0), '-', '+')) as [Buffer, Buffer[]][];
    const decoded = stream.map(([id, fields]) => {
      try {
        return decodeEventEntry({ stream: 's', entryId: id.toString(), shard: 0, shards: 1 }, fields);
      } catch (error) {
        return error as Error;
      }
    });
    const firstPositions = decoded.map((d) => (d instanceof Error ? 'corrupt' : d.firstPos));
    // Entry 2 twice; entry 4 after entry 5; entry 7 damaged: 1 2 2 3 5 4 6 7' 8.
    expect(firstPositions).toHaveLength(9);
    expect(firstPositions[1]).toBe(firstPositions[2]);
    const [fifth, fourth] = [firstPositions[4], firstPositions[5]] as [number, number];
    expect(fifth).toBeGreaterThan(fourth);
    expect(decoded.filter((d) => d instanceof CorruptStreamEntryError)).toHaveLength(1);
    expect(firstPositions[7]).toBe('corrupt');
    await publisher.close();
  });

  it('claims the entries of a consumer that died before acknowledging them (XAUTOCLAIM)', async () => {
    const prefix = uniquePrefix();
    const keys = streamKeys(prefix);
    const source = orderPrimary();
    const publisher = await RedisEventPublisher.open({
      url: server.url,
      prefix,
      shards: SHARDS,
      source: 'p1',
      log: source.log,
      maxSendEvents: 50,
    });
    source.log.subscribe((events) => publisher.publish(events));
    await source.run({ instances: 60, idPrefix: 'a-' });
    await publisher.flush();
    const logged = await allEvents(source.log);
    // A consumer reads a few entries of each shard and dies without acknowledging them.
    const read = (await redis.xreadgroup(
      'GROUP',
      MIRROR_GROUP,
      'm-dead',
      'COUNT',
      3,
      'STREAMS',
      keys.events(0),
      keys.events(1),
      '>',
      '>',
    )) as [string, unknown[]][];
    const taken = read.reduce((n, [, entries]) => n + entries.length, 0);
    expect(taken).toBe(6);

    const { applier, consumer } = await mirrorConsumer(prefix, source.log, { claimIdleMs: 300, claimIntervalMs: 100 });
    await expectMirrored(applier, logged);
    await until('the dead consumer has nothing pending', async () => (await pendingCount(prefix)) === 0);
    expect(consumer.stats.claimed).toBe(taken);
    const consumers = (await redis.xinfo('CONSUMERS', keys.events(0), MIRROR_GROUP)) as unknown[][];
    const dead = consumers.map((c) => Object.fromEntries(chunk(c))).find((c) => c['name'] === 'm-dead');
    expect(dead?.['pending']).toBe(0);
    await consumer.stop();
    await publisher.close();
  });

  it('survives Redis stopped and restarted mid-run: reconnects, resumes, loses nothing', async () => {
    const prefix = uniquePrefix();
    const source = orderPrimary();
    const errors: unknown[] = [];
    const publisher = await RedisEventPublisher.open({
      url: server.url,
      prefix,
      shards: SHARDS,
      source: 'p1',
      log: source.log,
      retryDelayMs: 50,
      onError: (error) => errors.push(error),
    });
    source.log.subscribe((events) => publisher.publish(events));
    const { applier, consumer } = await mirrorConsumer(prefix, source.log);
    const run = source.run({ instances: 300, idPrefix: 'a-', window: 10, paceMs: 15 });
    await until('the mirror is under way', () => applier.mirror.stats.applied > 200);
    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 400));
    await server.restart();
    await run;
    await publisher.flush();
    const logged = await allEvents(source.log);
    await expectMirrored(applier, logged);
    expect(consumer.stats.reconnects).toBeGreaterThanOrEqual(1);
    await until('all acknowledged', async () => (await pendingCount(prefix)) === 0);
    await consumer.stop();
    await publisher.close();
  });

  it('re-publishes what a restarted Redis lost (its last writes and the published position with them)', async () => {
    const prefix = uniquePrefix();
    const keys = streamKeys(prefix);
    const source = orderPrimary();
    const publisher = await RedisEventPublisher.open({
      url: server.url,
      prefix,
      shards: SHARDS,
      source: 'p1',
      log: source.log,
      retryDelayMs: 50,
    });
    source.log.subscribe((events) => publisher.publish(events));
    await source.run({ instances: 30, idPrefix: 'a-' });
    await publisher.flush();
    const kept = publisher.publishedPosition;
    await source.run({ instances: 30, idPrefix: 'b-' });
    await publisher.flush();
    expect(publisher.publishedPosition).toBeGreaterThan(kept);
    // Redis loses the newest writes: the entries after `kept` and the position that came with them.
    for (let shard = 0; shard < SHARDS; shard++) {
      const entries = (await redis.xrange(keys.events(shard), '-', '+')) as [string, string[]][];
      const lost = entries.filter(([, f]) => Number(f[f.indexOf('first') + 1]) > kept).map(([id]) => id);
      if (lost.length > 0) await redis.xdel(keys.events(shard), ...lost);
    }
    await redis.hset(keys.published, 'p1', String(kept));
    await server.stop();
    await server.restart();
    await until(
      'the publisher rewound and re-published',
      async () =>
        publisher.stats.rewinds === 1 &&
        (await redis.hget(keys.published, 'p1')) === String(publisher.publishedPosition) &&
        publisher.publishedPosition > kept,
    );
    const logged = await allEvents(source.log);
    expect(publisher.publishedPosition).toBe(logged.length);
    const { applier, consumer } = await mirrorConsumer(prefix, source.log);
    await expectMirrored(applier, logged);
    // Everything came from the stream: no gap had to be repaired from the log.
    expect(applier.stats.gapsRepaired).toBe(0);
    await consumer.stop();
    await publisher.close();
  });
});

function chunk(flat: readonly unknown[]): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), flat[i + 1]]);
  return out;
}
