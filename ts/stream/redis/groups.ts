/**
 * Creating the streams and their consumer groups, and the deployment's shard count. Groups start
 * at id 0, so a group created after entries exist still reads all of them; the streams are
 * created with MKSTREAM, and BUSYGROUP (the group exists) is not an error: every node runs this at
 * start, in any order.
 */
import type { Redis } from 'ioredis';
import { ShardCountMismatchError } from './errors.js';
import { MIRROR_GROUP, PRIMARY_GROUP, type StreamKeys } from './keys.js';

async function createGroup(redis: Redis, stream: string, group: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('BUSYGROUP')) return;
    throw error;
  }
}

/**
 * Makes sure every shard's events stream has both groups (primary, mirror) and its deltas stream
 * the mirror group. Safe to run again (after a Redis restart that lost the data, say).
 */
export async function ensureGroups(redis: Redis, keys: StreamKeys, shards: number): Promise<void> {
  const work: Promise<void>[] = [];
  for (let shard = 0; shard < shards; shard++) {
    work.push(createGroup(redis, keys.events(shard), PRIMARY_GROUP));
    work.push(createGroup(redis, keys.events(shard), MIRROR_GROUP));
    work.push(createGroup(redis, keys.deltas(shard), MIRROR_GROUP));
  }
  await Promise.all(work);
}

/**
 * Records `shards` as the deployment's shard count, or checks it against the one recorded: every
 * node must place instances the same way.
 * @throws ShardCountMismatchError
 */
export async function claimShardCount(redis: Redis, keys: StreamKeys, shards: number): Promise<void> {
  await redis.hsetnx(keys.config, 'shards', String(shards));
  const stored = Number(await redis.hget(keys.config, 'shards'));
  if (stored !== shards) throw new ShardCountMismatchError(stored, shards);
}

/** The deployment's shard count, or undefined when no node has set one. */
export async function storedShardCount(redis: Redis, keys: StreamKeys): Promise<number | undefined> {
  const raw = await redis.hget(keys.config, 'shards');
  const n = raw === null ? Number.NaN : Number(raw);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
