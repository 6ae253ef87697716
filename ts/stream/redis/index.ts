/** The Redis Streams transport (see transport.ts for the interface and docs/DEPLOYMENT.md for the deployment). */
export { type ConfirmerOptions, type ConfirmerStats, RedisPrimaryConfirmer } from './confirmer.js';
export { isConnectionError, openRedis, type RedisConnectionOptions } from './connection.js';
export { type RedisConsumerOptions, RedisEventConsumer } from './consumer.js';
export { decodeDeltaEntry, decodeEventEntry, deltaEntryFields, eventEntryFields, readEventEntryHeader } from './entry-format.js';
export {
  CorruptStreamEntryError,
  InvalidTransportOptionError,
  NoGroupError,
  ShardCountMismatchError,
  TransportClosedError,
  UnexpectedRedisReplyError,
} from './errors.js';
export { claimShardCount, ensureGroups, storedShardCount } from './groups.js';
export { MIRROR_GROUP, PRIMARY_GROUP, type StreamKeys, streamKeys } from './keys.js';
export { type PublisherStats, RedisEventPublisher, type RedisPublisherOptions } from './publisher.js';
export { type PublisherFault, parsePublisherFault } from './publisher-faults.js';
export { type RedisTransportOptions, redisTransport } from './redis-transport.js';
export { type GroupLag, readShardLag, type ShardLag } from './stream-lag.js';
export { acknowledgedBound, type GroupStanding, groupStandings, trimAcknowledged } from './trim.js';
