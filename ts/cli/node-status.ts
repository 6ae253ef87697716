/**
 * `wfmirror status --redis URL`: a deployment of primary and mirror nodes as Redis sees it. Per
 * shard, how far each consumer group is behind (entries not delivered yet, delivered and not
 * acknowledged); the primary nodes with their logs and published positions; the mirror nodes with
 * the shards they own, what they applied and how far behind each primary's log they are; the
 * dead letters. Exits 1 when some shard has no mirror node that reported recently.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import {
  type MirrorReport,
  type PrimaryRegistration,
  readMirrorReports,
  readPrimaryRegistrations,
} from '../node/node-registry.js';
import { storedShardCount } from '../stream/redis/groups.js';
import { streamKeys } from '../stream/redis/keys.js';
import { readShardLag, type ShardLag } from '../stream/redis/stream-lag.js';
import { table } from './format-summary.js';

/** What `wfmirror status --redis URL --json` prints. */
export interface NodeStatusReport {
  readonly redis: string;
  readonly prefix: string;
  /** The deployment's shard count (undefined: no node ever ran under this prefix). */
  readonly shards: number | undefined;
  readonly shardLag: readonly ShardLag[];
  readonly primaries: readonly (PrimaryRegistration & { readonly published: number })[];
  readonly mirrors: readonly (MirrorReport & { readonly ageMs: number; readonly stale: boolean })[];
  /** Shards no running mirror node with a fresh report owns. */
  readonly unmirroredShards: readonly number[];
  readonly deadLetters: number;
  readonly state: 'mirrored' | 'unmirrored';
}

/** Reads the status from Redis (one short-lived connection that fails fast when Redis is away). */
export async function readNodeStatus(
  url: string,
  prefix: string,
  staleAfterMs: number,
  now = Date.now(),
): Promise<NodeStatusReport> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: 3_000,
  });
  // ioredis rejects a failed connect with "Connection is closed"; the error event says why.
  let connectError: Error | undefined;
  redis.on('error', (error: Error) => {
    connectError ??= error;
  });
  try {
    await redis.connect().catch((error: unknown) => {
      throw connectError ?? error;
    });
    const keys = streamKeys(prefix);
    const shards = await storedShardCount(redis, keys);
    const [shardLag, registrations, reports, published, deadLetters] = await Promise.all([
      shards === undefined ? Promise.resolve([]) : readShardLag(redis, keys, shards),
      readPrimaryRegistrations(redis, keys),
      readMirrorReports(redis, keys),
      redis.hgetall(keys.published),
      redis.xlen(keys.dead),
    ]);
    const mirrors = reports
      .map((r) => ({ ...r, ageMs: now - r.time, stale: r.state !== 'running' || now - r.time > staleAfterMs }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const covered = new Set(mirrors.filter((m) => !m.stale).flatMap((m) => m.shards));
    const unmirroredShards = Array.from({ length: shards ?? 0 }, (_, s) => s).filter((s) => !covered.has(s));
    return {
      redis: url,
      prefix,
      shards,
      shardLag,
      primaries: registrations
        .map((r) => ({ ...r, published: Number(published[r.name] ?? 0) }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      mirrors,
      unmirroredShards,
      deadLetters,
      state: shards !== undefined && unmirroredShards.length === 0 ? 'mirrored' : 'unmirrored',
    };
  } finally {
    redis.disconnect();
  }
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const count = (n: number | null | undefined) => (n === null || n === undefined ? '?' : number.format(n));
const age = (ms: number) => (ms < 1_000 ? `${number.format(ms)} ms ago` : `${(ms / 1_000).toFixed(1)} s ago`);

/** The status as people read it. */
export function formatNodeStatus(s: NodeStatusReport): string {
  const out = [
    `redis ${s.redis}, prefix ${s.prefix}: ${s.shards === undefined ? 'no deployment yet' : `${s.shards} shards`}`,
    '',
  ];
  if (s.shardLag.length > 0) {
    out.push(
      table(
        ['shard', 'entries', 'mirror lag', 'mirror pending', 'deltas lag', 'primary lag', 'primary pending'],
        s.shardLag.map((l) => [
          String(l.shard),
          number.format(l.length),
          count(l.mirror?.lag),
          count(l.mirror?.pending),
          count(l.deltas?.lag),
          count(l.primary?.lag),
          count(l.primary?.pending),
        ]),
      ),
      '',
    );
  }
  if (s.primaries.length > 0) {
    out.push(
      table(
        ['primary node', 'host', 'pid', 'published up to', 'log'],
        s.primaries.map((p) => [p.name, p.host, String(p.pid), number.format(p.published), p.logPath]),
      ),
      '',
    );
  }
  if (s.mirrors.length > 0) {
    out.push(
      table(
        [
          'mirror node',
          'shards',
          'applied',
          'duplicates',
          'gaps repaired',
          'dead letters',
          'anomalies',
          'behind logs',
          'reported',
          'state',
        ],
        s.mirrors.map((m) => {
          const behind = Object.values(m.sources).reduce(
            (sum, src) => (src.logPosition === null || sum === null ? null : sum + Math.max(0, src.logPosition - src.applied)),
            0 as number | null,
          );
          return [
            m.name,
            m.shards.join(','),
            number.format(m.applied),
            number.format(m.duplicates),
            number.format(m.gapsRepaired),
            number.format(m.deadLettered),
            number.format(m.anomalies),
            count(behind),
            age(m.ageMs),
            m.stale ? (m.state === 'stopped' ? 'stopped' : 'stale') : 'running',
          ];
        }),
      ),
      '',
    );
  }
  out.push(`dead letters: ${number.format(s.deadLetters)}`);
  out.push(
    `status: ${s.state}${s.unmirroredShards.length > 0 && s.shards !== undefined ? ` (no running mirror node owns shard ${s.unmirroredShards.join(', ')})` : ''}`,
  );
  return out.join('\n');
}

/** Runs `wfmirror status --redis URL [--prefix P] [--stale-ms N] [--json]`; returns the exit code (0, or 1 when unmirrored). */
export async function runNodeStatusCommand(
  args: string[],
  fail: (message: string) => never,
  write: (text: string) => void,
): Promise<number> {
  let values: { redis?: string; prefix?: string; json?: boolean; 'stale-ms'?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        redis: { type: 'string' },
        prefix: { type: 'string' },
        json: { type: 'boolean' },
        'stale-ms': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.redis === undefined) fail('status --redis needs a URL (redis://host:port)');
  const staleMs = values['stale-ms'] === undefined ? 10_000 : Number(values['stale-ms']);
  if (!Number.isFinite(staleMs) || staleMs <= 0)
    fail(`--stale-ms must be a positive number, got ${JSON.stringify(values['stale-ms'])}`);
  let status: NodeStatusReport;
  try {
    status = await readNodeStatus(values.redis, values.prefix ?? 'wfm', staleMs);
  } catch (error) {
    fail(`cannot read the deployment from ${values.redis}: ${(error as Error).message}`);
  }
  write(values.json === true ? `${JSON.stringify(status, null, 2)}\n` : `${formatNodeStatus(status)}\n`);
  return status.state === 'mirrored' ? 0 : 1;
}
