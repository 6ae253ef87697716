/**
 * Which shard an instance belongs to, for the report's "by shard" view: FNV-1a (32 bit) over the
 * workflowId's UTF-16 code units, modulo the shard count. Stable across runs and processes, so the
 * same instance always lands in the same series, and cheap enough for millions of reports.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The shard (0 .. shards-1) of `workflowId` among `shards`. @throws RangeError when `shards` is not a positive integer */
export function shardOf(workflowId: string, shards: number): number {
  if (!Number.isSafeInteger(shards) || shards < 1) throw new RangeError(`shards must be a positive integer, got ${shards}`);
  let hash = FNV_OFFSET;
  for (let i = 0; i < workflowId.length; i++) {
    hash ^= workflowId.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return (hash >>> 0) % shards;
}
