/**
 * How far each group is behind on each shard, from Redis alone (XLEN, XINFO GROUPS): what
 * `wfmirror status --redis` prints. `lag` is the entries not yet delivered to the group, `pending`
 * the entries delivered and not acknowledged; an entry is done for a group when it is neither.
 */
import type { Redis } from 'ioredis';
import { MIRROR_GROUP, PRIMARY_GROUP, type StreamKeys } from './keys.js';
import { type GroupStanding, groupStandings } from './trim.js';

/** One group on one stream. */
export interface GroupLag {
  /** Entries not delivered yet (null when Redis cannot tell, e.g. after entries were deleted mid-stream). */
  readonly lag: number | null;
  readonly pending: number;
  readonly consumers: number;
  readonly lastDeliveredId: string;
}

/** One shard's streams. */
export interface ShardLag {
  readonly shard: number;
  /** Entries in the events stream (after trimming). */
  readonly length: number;
  /** Group `primary` on the events stream (undefined when the group does not exist). */
  readonly primary: GroupLag | undefined;
  /** Group `mirror` on the events stream. */
  readonly mirror: GroupLag | undefined;
  /** Group `mirror` on the deltas stream. */
  readonly deltas: GroupLag | undefined;
}

function lagOf(standings: readonly GroupStanding[], name: string): GroupLag | undefined {
  const g = standings.find((s) => s.name === name);
  return g === undefined
    ? undefined
    : { lag: g.lag, pending: g.pending, consumers: g.consumers, lastDeliveredId: g.lastDeliveredId };
}

/** The lag of both groups on every shard. */
export async function readShardLag(redis: Redis, keys: StreamKeys, shards: number): Promise<ShardLag[]> {
  const out: ShardLag[] = [];
  for (let shard = 0; shard < shards; shard++) {
    const [length, events, deltas] = await Promise.all([
      redis.xlen(keys.events(shard)),
      groupStandings(redis, keys.events(shard)),
      groupStandings(redis, keys.deltas(shard)),
    ]);
    out.push({
      shard,
      length,
      primary: lagOf(events, PRIMARY_GROUP),
      mirror: lagOf(events, MIRROR_GROUP),
      deltas: lagOf(deltas, MIRROR_GROUP),
    });
  }
  return out;
}
