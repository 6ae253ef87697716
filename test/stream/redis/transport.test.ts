/**
 * The Redis Streams transport against a real redis-server: what a primary's durable log holds
 * arrives at the consumer exactly as it is (every event once, per instance in seq order, each on
 * its shard's stream), in batches; a publisher restarted later publishes the log's tail it had not
 * published; deltas and resync requests travel; trimming keeps what a group has not acknowledged.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { order } from '../../../examples/order.js';
import { FleetRegistry } from '../../../ts/engine/fleet.js';
import type { HistoryEvent } from '../../../ts/history/events.js';
import { MemoryEventLog } from '../../../ts/history/memory-event-log.js';
import { RedisPrimaryConfirmer } from '../../../ts/stream/redis/confirmer.js';
import { RedisEventConsumer } from '../../../ts/stream/redis/consumer.js';
import { decodeEventEntry, eventEntryFields } from '../../../ts/stream/redis/entry-format.js';
import { CorruptStreamEntryError, ShardCountMismatchError } from '../../../ts/stream/redis/errors.js';
import { MIRROR_GROUP, PRIMARY_GROUP, streamKeys } from '../../../ts/stream/redis/keys.js';
import { RedisEventPublisher } from '../../../ts/stream/redis/publisher.js';
import { redisTransport } from '../../../ts/stream/redis/redis-transport.js';
import { readShardLag } from '../../../ts/stream/redis/stream-lag.js';
import { trimAcknowledged } from '../../../ts/stream/redis/trim.js';
import { type InboundDeltas, type InboundEvents, shardOf } from '../../../ts/stream/transport.js';
import { redisServerMissing, type SharedRedis, sharedRedis } from '../../support/redis-server.js';
import { allEvents, orderPrimary, uniquePrefix, until } from './harness.js';

const missing = redisServerMissing();
const SHARDS = 4;

describe.skipIf(missing !== undefined)(`Redis Streams transport${missing === undefined ? '' : ` (skipped: ${missing})`}`, () => {
  let server: SharedRedis;
  let redis: Redis;

  beforeAll(async () => {
    server = await sharedRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.dispose();
  });

  /** A consumer that records what it is given. */
  async function recordingConsumer(prefix: string, name = 'm1') {
    const batches: InboundEvents[] = [];
    const deltas: InboundDeltas[] = [];
    const consumer = await RedisEventConsumer.open({ url: server.url, prefix, shards: SHARDS, consumer: name, blockMs: 50 });
    await consumer.start({
      events: (batch) => {
        batches.push(batch);
      },
      deltas: (message) => {
        deltas.push(message);
      },
      rejected: () => undefined,
    });
    const events = () => batches.flatMap((b) => b.events);
    return { consumer, batches, deltas, events };
  }

  it('delivers every durable event once, per instance in seq order, on its shard, in batches', async () => {
    const prefix = uniquePrefix();
    const source = orderPrimary();
    const publisher = await RedisEventPublisher.open({ url: server.url, prefix, shards: SHARDS, source: 'p1', log: source.log });
    source.log.subscribe((events) => publisher.publish(events));
    await source.run({ instances: 120, idPrefix: 'a-' });
    await publisher.flush();
    const logged = await allEvents(source.log);
    expect(publisher.publishedPosition).toBe(logged.length);
    expect(await redis.hget(streamKeys(prefix).published, 'p1')).toBe(String(logged.length));

    const { consumer, batches, events } = await recordingConsumer(prefix);
    await until('all events consumed', () => events().length >= logged.length);
    await consumer.stop();

    const received = events();
    expect(received).toHaveLength(logged.length);
    expect(new Set(received.map((e) => e.pos)).size).toBe(logged.length);
    expect([...received].sort((a, b) => a.pos - b.pos)).toEqual(logged);
    // Per instance, in seq order; every batch on its own shard and from its source.
    const lastSeq = new Map<string, number>();
    for (const batch of batches) {
      expect(batch.source).toBe('p1');
      for (const e of batch.events) {
        expect(shardOf(e.workflowId, SHARDS)).toBe(batch.shard);
        expect(e.seq).toBe((lastSeq.get(e.workflowId) ?? 0) + 1);
        lastSeq.set(e.workflowId, e.seq);
        expect(e.pos).toBeGreaterThanOrEqual(batch.firstPos);
        expect(e.pos).toBeLessThanOrEqual(batch.lastPos);
      }
    }
    // Batched: far fewer entries than events, at most one entry per shard per send.
    expect(publisher.stats.entries).toBeLessThanOrEqual(publisher.stats.sends * SHARDS);
    expect(publisher.stats.entries).toBeLessThan(logged.length / 3);
    // Everything acknowledged by the mirror group, nothing left to deliver.
    const lag = await readShardLag(redis, streamKeys(prefix), SHARDS);
    for (const shard of lag) {
      expect(shard.mirror?.pending).toBe(0);
      expect(shard.mirror?.lag).toBe(0);
    }
    expect(consumer.stats.acknowledged).toBe(consumer.stats.entries);
    await publisher.close();
  });

  it('a publisher restarted after the log moved on publishes exactly the tail it had not published', async () => {
    const prefix = uniquePrefix();
    const source = orderPrimary();
    const first = await RedisEventPublisher.open({ url: server.url, prefix, shards: SHARDS, source: 'p1', log: source.log });
    const unsubscribe = source.log.subscribe((events) => first.publish(events));
    await source.run({ instances: 30, idPrefix: 'a-' });
    await first.close();
    unsubscribe();
    const publishedBefore = first.publishedPosition;
    // The primary goes on while no publisher runs (a crash between commit and publish).
    await source.run({ instances: 30, idPrefix: 'b-' });
    const logged = await allEvents(source.log);
    expect(logged.length).toBeGreaterThan(publishedBefore);

    const second = await RedisEventPublisher.open({ url: server.url, prefix, shards: SHARDS, source: 'p1', log: source.log });
    await second.flush();
    expect(second.publishedPosition).toBe(logged.length);
    expect(second.stats.events).toBe(logged.length - publishedBefore);
    expect(second.stats.logReads).toBeGreaterThan(0);

    const { consumer, events } = await recordingConsumer(prefix);
    await until('all events consumed', () => events().length >= logged.length);
    await consumer.stop();
    expect([...events()].sort((a, b) => a.pos - b.pos)).toEqual(logged);
    await second.close();
  });

  it('carries delta messages bit for bit and resync requests from consumers to publishers', async () => {
    const prefix = uniquePrefix();
    const source = orderPrimary();
    await source.run({ instances: 20, idPrefix: 'a-' });
    const deltas = source.primary.takeDeltas();
    expect(deltas).toHaveLength(1);
    // Both sides through the EventTransport interface.
    const transport = redisTransport({ url: server.url, prefix, shards: SHARDS });
    const publisher = await transport.publisher('p1', source.log);
    const consumer = await transport.consumer('m1');
    const received: InboundDeltas[] = [];
    await consumer.start({ events: () => undefined, deltas: (m) => void received.push(m), rejected: () => undefined });
    expect(await publisher.takeResyncRequests()).toEqual([]);
    await publisher.publishDeltas(2, { generation: 'g1', full: true, deltas });
    await until('delta received', () => received.length === 1);
    const message = received[0]!;
    expect(message).toMatchObject({ shard: 2, source: 'p1', generation: 'g1', full: true });
    expect(message.deltas).toHaveLength(1);
    const [sent, got] = [deltas[0]!, message.deltas[0]!];
    expect(got.workflowType).toBe(sent.workflowType);
    expect(got.newRowIds).toEqual(sent.newRowIds);
    expect(Buffer.from(got.values.buffer, got.values.byteOffset, got.values.byteLength)).toEqual(
      Buffer.from(sent.values.buffer, sent.values.byteOffset, sent.values.byteLength),
    );
    expect([...got.toSeqs]).toEqual([...sent.toSeqs]);

    await consumer.requestResync(3);
    await consumer.requestResync(1);
    expect(await publisher.takeResyncRequests()).toEqual([1, 3]);
    expect(await publisher.takeResyncRequests()).toEqual([]);
    await consumer.stop();
    await publisher.close();
  });

  it('trims only below what both groups acknowledged', async () => {
    const prefix = uniquePrefix();
    const keys = streamKeys(prefix);
    const source = orderPrimary();
    const publisher = await RedisEventPublisher.open({ url: server.url, prefix, shards: 1, source: 'p1', log: source.log });
    source.log.subscribe((events) => publisher.publish(events));
    // Ten sends, so ten entries at least.
    for (let i = 0; i < 10; i++) {
      await source.run({ instances: 4, idPrefix: `a${i}-` });
      await publisher.flush();
    }
    const stream = keys.events(0);
    const length = await redis.xlen(stream);
    expect(length).toBeGreaterThan(3);
    // The mirror group has read nothing: nothing may go, however long the stream.
    const confirmer = await RedisPrimaryConfirmer.open({
      url: server.url,
      prefix,
      shards: 1,
      consumer: 'p1',
      trimIntervalMs: 0,
      blockMs: 50,
    });
    await until('primary side confirmed', () => confirmer.stats.confirmed >= length);
    expect(await trimAcknowledged(redis, stream, [PRIMARY_GROUP, MIRROR_GROUP], true)).toBe(0);
    expect(await redis.xlen(stream)).toBe(length);
    // The mirror group reads half and acknowledges a part of it: the trim stops at its oldest pending entry.
    const half = Math.floor(length / 2);
    const read = (await redis.xreadgroup('GROUP', MIRROR_GROUP, 'm1', 'COUNT', half, 'STREAMS', stream, '>')) as [
      string,
      [string, string[]][],
    ][];
    const ids = read[0]![1].map(([id]) => id);
    await redis.xack(stream, MIRROR_GROUP, ...ids.slice(0, 2));
    const removed = await trimAcknowledged(redis, stream, [PRIMARY_GROUP, MIRROR_GROUP], true);
    expect(removed).toBe(2);
    const [oldest] = (await redis.xrange(stream, '-', '+', 'COUNT', 1)) as [string, string[]][];
    expect(oldest![0]).toBe(ids[2]);
    await confirmer.stop();
    await publisher.close();
  });

  it('refuses a node with another shard count, and entries whose events are on another shard', async () => {
    const prefix = uniquePrefix();
    const log = new MemoryEventLog();
    const publisher = await RedisEventPublisher.open({ url: server.url, prefix, shards: SHARDS, source: 'p1', log });
    await expect(RedisEventConsumer.open({ url: server.url, prefix, shards: 8, consumer: 'm1' })).rejects.toBeInstanceOf(
      ShardCountMismatchError,
    );
    const event: HistoryEvent = Object.freeze({
      workflowId: 'x',
      seq: 1,
      pos: 1,
      type: 'WorkflowStarted',
      time: 0,
      payload: {
        workflowType: order.name,
        version: 1,
        fingerprint: new FleetRegistry([order]).get('order').compiled.fingerprint,
        input: null,
      },
    });
    const fields = eventEntryFields('p1', [event]).map((f) => (typeof f === 'string' ? Buffer.from(f) : f));
    const wrongShard = (shardOf('x', SHARDS) + 1) % SHARDS;
    expect(() => decodeEventEntry({ stream: 's', entryId: '1-0', shard: wrongShard, shards: SHARDS }, fields)).toThrow(
      CorruptStreamEntryError,
    );
    expect(decodeEventEntry({ stream: 's', entryId: '1-0', shard: shardOf('x', SHARDS), shards: SHARDS }, fields).events).toEqual(
      [event],
    );
    await publisher.close();
  });
});
