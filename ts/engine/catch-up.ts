/**
 * Feeding a mirror what the log holds after its position, in chunks: the one loop behind a
 * promotion's tail sync, a fresh mirror's catch-up after a restore, and a full replay.
 */
import type { EventLog } from '../history/event-log.js';
import type { MirrorEngine } from './mirror-engine.js';

/** Events read per readRange call: bounded memory per step, few enough calls. */
export const CATCH_UP_CHUNK = 10_000;

/**
 * Applies the log's events after `mirror.position` until the log has no more, or until the
 * mirror reaches position `until`. Returns how many events were applied.
 */
export async function catchUp(log: EventLog, mirror: MirrorEngine, until = Number.POSITIVE_INFINITY): Promise<number> {
  let applied = 0;
  while (mirror.position < until) {
    const events = await log.readRange(mirror.position, Math.min(CATCH_UP_CHUNK, until - mirror.position));
    if (events.length === 0) break;
    mirror.apply(events);
    applied += events.length;
  }
  return applied;
}
