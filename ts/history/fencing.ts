/** Argument checks shared by the logs' fencing and heartbeat calls (see FencedLog). */
import { InvalidArgumentError } from './errors.js';
import type { Heartbeat } from './event-log.js';

/**
 * Returns `epoch` when it is a non-negative safe integer.
 * @throws InvalidArgumentError otherwise
 */
export function checkEpoch(epoch: number, argument = 'epoch'): number {
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new InvalidArgumentError(argument, `must be a non-negative integer (got ${String(epoch)})`);
  }
  return epoch;
}

/**
 * A frozen copy of `beat` after checking it: owner a non-empty string, epoch a non-negative
 * integer, time a finite number.
 * @throws InvalidArgumentError
 */
export function checkHeartbeat(beat: Heartbeat): Heartbeat {
  if (typeof beat?.owner !== 'string' || beat.owner.length === 0) {
    throw new InvalidArgumentError('heartbeat.owner', 'must be a non-empty string');
  }
  checkEpoch(beat.epoch, 'heartbeat.epoch');
  if (!Number.isFinite(beat.time)) throw new InvalidArgumentError('heartbeat.time', 'must be a finite number');
  return Object.freeze({ owner: beat.owner, epoch: beat.epoch, time: beat.time });
}
