/** XREADGROUP, sent with callBuffer so that entry payloads come back as bytes. */
import type { Redis } from 'ioredis';
import { NoGroupError } from './errors.js';

/**
 * One XREADGROUP over `streams` from `ids` (`>` for new entries, an id for the pending list).
 * `blockMs` undefined: no BLOCK (reading the pending list never waits).
 * @throws NoGroupError on NOGROUP; the connection's error otherwise
 */
export async function readGroup(
  redis: Redis,
  group: string,
  consumer: string,
  count: number,
  blockMs: number | undefined,
  streams: readonly string[],
  ids: readonly string[],
): Promise<unknown> {
  const args: (string | number)[] = ['GROUP', group, consumer, 'COUNT', count];
  if (blockMs !== undefined) args.push('BLOCK', blockMs);
  args.push('STREAMS', ...streams, ...ids);
  try {
    return await redis.callBuffer('XREADGROUP', ...args);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOGROUP')) throw new NoGroupError(group, error);
    throw error;
  }
}
