/**
 * Trimming a stream below what every group has acknowledged. Not by length (MAXLEN): a mirror
 * that lags, or is down for a while, would lose entries it has not read yet, and those are events
 * it could then only recover from the durable logs. The bound is, over the stream's groups, the
 * smallest of each group's oldest pending id (delivered, not acknowledged) and last delivered id;
 * `XTRIM MINID` removes only entries below it. A stream missing one of the groups is not trimmed:
 * that group has read nothing yet.
 */
import type { Redis } from 'ioredis';
import { UnexpectedRedisReplyError } from './errors.js';
import { compareIds, pairsToRecord } from './replies.js';

/** One group's standing on a stream (XINFO GROUPS). */
export interface GroupStanding {
  readonly name: string;
  readonly consumers: number;
  /** Entries delivered and not acknowledged. */
  readonly pending: number;
  readonly lastDeliveredId: string;
  /** Entries not yet delivered to the group (Redis >= 7; null when Redis cannot tell). */
  readonly lag: number | null;
}

/** The groups of `stream` as XINFO GROUPS reports them ([] when the stream does not exist). */
export async function groupStandings(redis: Redis, stream: string): Promise<GroupStanding[]> {
  let reply: unknown;
  try {
    reply = await redis.xinfo('GROUPS', stream);
  } catch (error) {
    if (error instanceof Error && /no such key/i.test(error.message)) return [];
    throw error;
  }
  if (!Array.isArray(reply)) throw new UnexpectedRedisReplyError('XINFO GROUPS', 'not a list');
  return reply.map((item: unknown) => {
    const r = pairsToRecord('XINFO GROUPS', item);
    const lag = r['lag'];
    return {
      name: String(r['name']),
      consumers: Number(r['consumers']),
      pending: Number(r['pending']),
      lastDeliveredId: String(r['last-delivered-id']),
      lag: lag === null || lag === undefined ? null : Number(lag),
    };
  });
}

/** The id below which every group in `groups` has acknowledged everything, or undefined (a group is missing, or nothing was read). */
export async function acknowledgedBound(redis: Redis, stream: string, groups: readonly string[]): Promise<string | undefined> {
  const standings = await groupStandings(redis, stream);
  let bound: string | undefined;
  for (const name of groups) {
    const group = standings.find((g) => g.name === name);
    if (group === undefined) return undefined;
    let floor = group.lastDeliveredId;
    if (group.pending > 0) {
      const summary = (await redis.xpending(stream, name)) as unknown[];
      const oldest = summary[1];
      if (typeof oldest === 'string' && compareIds(oldest, floor) < 0) floor = oldest;
    }
    if (bound === undefined || compareIds(floor, bound) < 0) bound = floor;
  }
  return bound === undefined || bound === '0-0' ? undefined : bound;
}

/**
 * Trims `stream` below what every group in `groups` has acknowledged; returns how many entries
 * went. `exact` trims to the entry; the default (`~`) lets Redis trim whole internal nodes only,
 * which is much cheaper and never removes more.
 */
export async function trimAcknowledged(redis: Redis, stream: string, groups: readonly string[], exact = false): Promise<number> {
  const bound = await acknowledgedBound(redis, stream, groups);
  if (bound === undefined) return 0;
  const removed = exact ? await redis.xtrim(stream, 'MINID', bound) : await redis.xtrim(stream, 'MINID', '~', bound);
  return Number(removed);
}
