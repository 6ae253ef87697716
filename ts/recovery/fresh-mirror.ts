/**
 * Protection again after a promotion: the promoted mirror is now the primary, so the instances
 * run unmirrored until a new mirror is up. Starting one from the promoted side's checkpoint (in
 * this process or another) restores matrices and instances without replaying the log, then
 * applies what the log holds after the checkpoint's position and follows the log from there.
 */
import { catchUp } from '../engine/catch-up.js';
import type { FleetRegistry } from '../engine/fleet.js';
import { MirrorEngine, type MirrorEngineOptions } from '../engine/mirror-engine.js';
import type { EventLog } from '../history/event-log.js';
import type { HistoryEvent } from '../history/events.js';

/** Options of {@link startMirrorFromCheckpoint}. */
export interface FreshMirrorOptions extends Omit<MirrorEngineOptions, 'fleets'> {
  readonly log: EventLog;
  /** A full checkpoint and the increments after it (MirrorEngine.checkpoint). */
  readonly checkpoints: Uint8Array | readonly Uint8Array[];
  /** New, empty fleets of the same definitions. */
  readonly fleets: FleetRegistry;
}

/** A mirror following the log again. */
export interface FreshMirror {
  readonly mirror: MirrorEngine;
  /** Log position the checkpoint reflected, and how many events were applied after it to catch up. */
  readonly restoredAt: number;
  readonly caughtUp: number;
  /** Stops following the log. */
  stop(): void;
}

/**
 * Restores a mirror from `checkpoints`, catches it up on the log and subscribes it.
 * @throws what MirrorEngine.restore throws for bad checkpoints; the log's errors while catching up
 */
export async function startMirrorFromCheckpoint(options: FreshMirrorOptions): Promise<FreshMirror> {
  const { log, checkpoints, fleets, ...engineOptions } = options;
  const mirror = MirrorEngine.restore(checkpoints, { ...engineOptions, fleets });
  const restoredAt = mirror.position;
  // Subscribe first and hold live batches while catching up, so nothing falls between the two;
  // events seen twice are ignored by seq.
  let held: HistoryEvent[][] | undefined = [];
  const unsubscribe = log.subscribe((events) => {
    if (held !== undefined) held.push([...events]);
    else mirror.apply(events);
  });
  let caughtUp: number;
  try {
    caughtUp = await catchUp(log, mirror);
  } catch (error) {
    unsubscribe();
    throw error;
  }
  for (const batch of held) mirror.apply(batch);
  held = undefined;
  return { mirror, restoredAt, caughtUp, stop: unsubscribe };
}
