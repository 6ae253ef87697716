/**
 * What the nodes of a deployment tell each other through Redis, besides the streams: each primary
 * node registers where its durable log is (the mirrors re-read it on a gap), and each mirror node
 * reports how far it got (what `wfmirror status --redis` shows next to the streams' lag).
 */
import type { Redis } from 'ioredis';
import type { StreamKeys } from '../stream/redis/keys.js';

/** A primary node's registration (hash `<prefix>:nodes`, field = node name). */
export interface PrimaryRegistration {
  readonly name: string;
  /** Absolute path of its SQLite log on `host`. */
  readonly logPath: string;
  readonly host: string;
  readonly pid: number;
  /** Wall-clock ms. */
  readonly startedAt: number;
}

/** A mirror node's report (hash `<prefix>:mirrors`, field = node name), rewritten every few seconds. */
export interface MirrorReport {
  readonly name: string;
  readonly host: string;
  readonly pid: number;
  readonly shards: readonly number[];
  /** Events applied, duplicates ignored, gaps repaired, dead letters. */
  readonly applied: number;
  readonly duplicates: number;
  readonly gapsRepaired: number;
  readonly deadLettered: number;
  readonly anomalies: number;
  /** Per primary node: the highest log position applied, and that log's last position when measured. */
  readonly sources: Readonly<Record<string, { readonly applied: number; readonly logPosition: number | null }>>;
  /** Wall-clock ms of the report. */
  readonly time: number;
  /** `running`, or `stopped` once the node shut down cleanly. */
  readonly state: 'running' | 'stopped';
}

export async function registerPrimary(redis: Redis, keys: StreamKeys, registration: PrimaryRegistration): Promise<void> {
  await redis.hset(keys.nodes, registration.name, JSON.stringify(registration));
}

/** Every registered primary node (entries that do not parse are skipped). */
export async function readPrimaryRegistrations(redis: Redis, keys: StreamKeys): Promise<PrimaryRegistration[]> {
  const all = await redis.hgetall(keys.nodes);
  return Object.values(all).flatMap((text) => {
    const parsed = parseJson(text);
    return isRegistration(parsed) ? [parsed] : [];
  });
}

/** One primary node's registration, or undefined. */
export async function readPrimaryRegistration(
  redis: Redis,
  keys: StreamKeys,
  name: string,
): Promise<PrimaryRegistration | undefined> {
  const text = await redis.hget(keys.nodes, name);
  const parsed = text === null ? undefined : parseJson(text);
  return isRegistration(parsed) ? parsed : undefined;
}

export async function writeMirrorReport(redis: Redis, keys: StreamKeys, report: MirrorReport): Promise<void> {
  await redis.hset(keys.mirrors, report.name, JSON.stringify(report));
}

/** Every mirror node's last report. */
export async function readMirrorReports(redis: Redis, keys: StreamKeys): Promise<MirrorReport[]> {
  const all = await redis.hgetall(keys.mirrors);
  return Object.values(all).flatMap((text) => {
    const parsed = parseJson(text) as MirrorReport | undefined;
    return parsed !== undefined && typeof parsed.name === 'string' && Array.isArray(parsed.shards) ? [parsed] : [];
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRegistration(value: unknown): value is PrimaryRegistration {
  const r = value as Partial<PrimaryRegistration> | undefined;
  return typeof r?.name === 'string' && typeof r.logPath === 'string' && typeof r.host === 'string';
}
