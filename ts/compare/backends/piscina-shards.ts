/**
 * How the `piscina` backend splits a comparison into row shards, one per worker: as many shards
 * as workers, but never one under `minRowsPerWorker` rows (a task costs a message round trip, tens
 * of microseconds, so a tiny shard costs more than it saves). The shards are contiguous, in order,
 * cover the range exactly once, and differ in size by at most one row.
 */

/** Rows `start .. start + count - 1`, relative to the comparison's first row. */
export interface Shard {
  readonly start: number;
  readonly count: number;
}

/**
 * The shards of a comparison of `rowCount` rows; empty when `rowCount < minRowsPerWorker`, which
 * means "run on the calling thread".
 */
export function planShards(rowCount: number, workers: number, minRowsPerWorker: number): Shard[] {
  if (rowCount < minRowsPerWorker || rowCount === 0) return [];
  const shardCount = Math.max(1, Math.min(workers, Math.floor(rowCount / minRowsPerWorker)));
  const base = Math.floor(rowCount / shardCount);
  const larger = rowCount % shardCount; // the first `larger` shards take one row more
  const shards: Shard[] = [];
  let start = 0;
  for (let s = 0; s < shardCount; s++) {
    const count = base + (s < larger ? 1 : 0);
    shards.push({ start, count });
    start += count;
  }
  return shards;
}
