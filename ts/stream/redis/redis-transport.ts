/** The Redis Streams transport as an {@link EventTransport}: publishers and consumers of one deployment. */
import type { EventTransport } from '../transport.js';
import { type RedisConsumerOptions, RedisEventConsumer } from './consumer.js';
import { RedisEventPublisher, type RedisPublisherOptions } from './publisher.js';

/** What every side of one deployment shares, plus defaults for each side's options. */
export interface RedisTransportOptions {
  readonly url: string;
  readonly prefix?: string;
  readonly shards: number;
  readonly publisher?: Omit<RedisPublisherOptions, 'url' | 'prefix' | 'shards' | 'source' | 'log'>;
  readonly consumer?: Omit<RedisConsumerOptions, 'url' | 'prefix' | 'shards' | 'consumer' | 'owned'>;
}

/** Redis Streams for the deployment at `options.url` / `options.prefix`. */
export function redisTransport(options: RedisTransportOptions): EventTransport {
  const shared = {
    url: options.url,
    shards: options.shards,
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
  };
  return {
    publisher: (source, log) => RedisEventPublisher.open({ ...options.publisher, ...shared, source, log }),
    consumer: (name, owned) =>
      RedisEventConsumer.open({ ...options.consumer, ...shared, consumer: name, ...(owned !== undefined ? { owned } : {}) }),
  };
}
