/**
 * Errors of the shared-memory event ring (`event-ring.ts`). All extend {@link WorkflowMirrorError};
 * `code` is stable.
 */
import { WorkflowMirrorError } from '../../base-error.js';

/** The ring's capacity is not a power of two within the supported range. */
export class RingCapacityError extends WorkflowMirrorError {
  constructor(message: string) {
    super('RING_INVALID_CAPACITY', message);
  }
}

/** A record longer than the ring can ever hold at once; nothing was written. Split it first. */
export class RingRecordTooLargeError extends WorkflowMirrorError {
  constructor(
    readonly recordBytes: number,
    readonly maxRecordBytes: number,
  ) {
    super(
      'RING_RECORD_TOO_LARGE',
      `a record of ${recordBytes} bytes does not fit a ring whose largest record is ${maxRecordBytes} bytes`,
    );
  }
}

/** The ring was closed by its producer (no more writes) or aborted by either side (a side is gone). */
export class RingClosedError extends WorkflowMirrorError {
  constructor(message: string) {
    super('RING_CLOSED', message);
  }
}

/** The ring's bytes do not describe a valid record (a length past what was written): memory was overwritten. */
export class RingCorruptError extends WorkflowMirrorError {
  constructor(message: string) {
    super('RING_CORRUPT', message);
  }
}

/** `EventRing.attach` was given something that is not a ring's shared buffer. */
export class RingHandleError extends WorkflowMirrorError {
  constructor(message: string) {
    super('RING_INVALID_HANDLE', message);
  }
}
