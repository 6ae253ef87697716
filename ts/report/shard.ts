/**
 * Which shard an instance belongs to, for the report's "by shard" view: the same function the
 * stream transports shard by (`ts/stream/transport.ts`), so a report's shard N is the Redis
 * stream shard N of a deployment with the same shard count.
 */
import { shardOf as transportShardOf } from '../stream/transport.js';

/** The shard (0 .. shards-1) of `workflowId` among `shards`. @throws RangeError when `shards` is not a positive integer */
export function shardOf(workflowId: string, shards: number): number {
  if (!Number.isSafeInteger(shards) || shards < 1) throw new RangeError(`shards must be a positive integer, got ${shards}`);
  return transportShardOf(workflowId, shards);
}
