/** Argument checks shared by the logs' fencing and heartbeat calls (see FencedLog). */
import { FencedError, InvalidArgumentError, quoteId } from './errors.js';
import type { Heartbeat, MirrorPosition } from './event-log.js';

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

/**
 * The early fencing check of an append (before its seq is checked, so a replaced writer learns
 * that it was replaced): refuses an `epoch` older than the log's `current` one.
 * @throws FencedError; InvalidArgumentError for an epoch that is not a non-negative integer
 */
export function checkNotFenced(epoch: number | undefined, current: number, workflowId: string): void {
  if (epoch !== undefined && checkEpoch(epoch) < current)
    throw new FencedError(epoch, current, `append to ${quoteId(workflowId)}`);
}

/** A validated, frozen copy of a mirror's position report. @throws InvalidArgumentError */
export function checkMirrorPosition(report: MirrorPosition): MirrorPosition {
  if (typeof report?.name !== 'string' || report.name.length === 0) {
    throw new InvalidArgumentError('mirrorPosition.name', 'must be a non-empty string');
  }
  if (!Number.isSafeInteger(report.position) || report.position < 0) {
    throw new InvalidArgumentError('mirrorPosition.position', 'must be a non-negative integer');
  }
  if (!Number.isFinite(report.time)) throw new InvalidArgumentError('mirrorPosition.time', 'must be a finite number');
  return Object.freeze({ name: report.name, position: report.position, time: report.time });
}
