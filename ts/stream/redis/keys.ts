/**
 * The Redis keys and group names of one deployment, all under one prefix (default `wfm`), so
 * several deployments (or test runs) can share a server. Stream keys carry the shard number:
 * `wfm:events:3`, `wfm:deltas:3`.
 */
import { InvalidTransportOptionError } from './errors.js';

/** The consumer group the primaries' side reads (see docs/DEPLOYMENT.md: the confirmer). */
export const PRIMARY_GROUP = 'primary';
/** The consumer group the mirror nodes read. */
export const MIRROR_GROUP = 'mirror';

/** Key names of one deployment. */
export interface StreamKeys {
  readonly prefix: string;
  /** The events of one shard: entries of one EventBatch each. */
  events(shard: number): string;
  /** The primaries' matrix deltas of one shard. */
  deltas(shard: number): string;
  /** Entries that could not be decoded, with the reason. */
  readonly dead: string;
  /** Hash: deployment settings (the shard count), written by the first node. */
  readonly config: string;
  /** Hash: primary node name -> its registration (JSON: log path, host, pid, start time). */
  readonly nodes: string;
  /** Hash: primary node name -> last log position in the stream (written with the entries). */
  readonly published: string;
  /** Hash: shard -> counter of full-delta requests (mirrors raise it, primaries follow it). */
  readonly resync: string;
  /** Hash: mirror node name -> its last report (JSON: shards, applied, positions, time). */
  readonly mirrors: string;
}

/** The keys under `prefix`. @throws InvalidTransportOptionError for an empty prefix or one with whitespace */
export function streamKeys(prefix = 'wfm'): StreamKeys {
  if (typeof prefix !== 'string' || prefix.length === 0 || /\s/.test(prefix)) {
    throw new InvalidTransportOptionError(
      'prefix',
      `must be a non-empty string without whitespace, got ${JSON.stringify(prefix)}`,
    );
  }
  return {
    prefix,
    events: (shard) => `${prefix}:events:${shard}`,
    deltas: (shard) => `${prefix}:deltas:${shard}`,
    dead: `${prefix}:dead`,
    config: `${prefix}:config`,
    nodes: `${prefix}:nodes`,
    published: `${prefix}:published`,
    resync: `${prefix}:resync`,
    mirrors: `${prefix}:mirrors`,
  };
}

/** Checks a shard count: an integer from 1 to 4096. @throws InvalidTransportOptionError */
export function checkShardCount(shards: number): number {
  if (!Number.isSafeInteger(shards) || shards < 1 || shards > 4096) {
    throw new InvalidTransportOptionError('shards', `must be an integer from 1 to 4096, got ${String(shards)}`);
  }
  return shards;
}

/** Checks a list of owned shards against the count: distinct, in range. @throws InvalidTransportOptionError */
export function checkOwnedShards(owned: readonly number[], shards: number): number[] {
  const seen = new Set<number>();
  for (const s of owned) {
    if (!Number.isSafeInteger(s) || s < 0 || s >= shards) {
      throw new InvalidTransportOptionError('shards', `shard ${String(s)} is not in 0..${shards - 1}`);
    }
    if (seen.has(s)) throw new InvalidTransportOptionError('shards', `shard ${s} is listed twice`);
    seen.add(s);
  }
  if (seen.size === 0) throw new InvalidTransportOptionError('shards', 'at least one shard must be owned');
  return [...seen].sort((a, b) => a - b);
}
