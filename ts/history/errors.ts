/**
 * The errors `ts/history` throws on purpose. `code` is stable and meant for programs; `message` is
 * for people and names the instance, the event and the field involved.
 */
import { WorkflowMirrorError } from '../base-error.js';

/** An append named an `expectedSeq` other than the instance's head: someone else appended first. */
export class WrongExpectedSeqError extends WorkflowMirrorError {
  /** The instance the append was for. */
  readonly workflowId: string;
  /** The seq the caller believed was last. */
  readonly expectedSeq: number;
  /** The seq that really is last (including appends queued before this one). */
  readonly actualSeq: number;

  constructor(workflowId: string, expectedSeq: number, actualSeq: number) {
    super(
      'WRONG_EXPECTED_SEQ',
      `append to ${quoteId(workflowId)} expected seq ${expectedSeq} but the history's head is ${actualSeq}; nothing was appended`,
    );
    this.workflowId = workflowId;
    this.expectedSeq = expectedSeq;
    this.actualSeq = actualSeq;
  }
}

/** Where a malformed event was found: in an append (`index`) or in storage (`pos`). */
export interface MalformedEventDetails {
  /** The offending field as a path, e.g. `payload.name`, `type`, `workflowId`. */
  readonly field: string;
  /** What is wrong with it, e.g. `must be a non-empty string`. */
  readonly problem: string;
  /** The instance, when known. */
  readonly workflowId?: string | undefined;
  /** Index (from 0) of the event within the refused append. */
  readonly index?: number | undefined;
  /** Global position of a stored row that could not be decoded. */
  readonly pos?: number | undefined;
  readonly cause?: unknown;
}

/**
 * An event that cannot be stored, or a stored row that cannot be decoded. The message reads
 * `event 2 of append to "order-1": payload.name must be a non-empty string` (events counted
 * from 1 for people; `index` counts from 0) or `stored event at pos 17: payload is not valid JSON`.
 */
export class MalformedEventError extends WorkflowMirrorError {
  readonly field: string;
  readonly problem: string;
  readonly workflowId: string | undefined;
  readonly index: number | undefined;
  readonly pos: number | undefined;

  constructor(details: MalformedEventDetails) {
    super('MALFORMED_EVENT', `${where(details)}: ${details.field} ${details.problem}`, { cause: details.cause });
    this.field = details.field;
    this.problem = details.problem;
    this.workflowId = details.workflowId;
    this.index = details.index;
    this.pos = details.pos;
  }
}

/** An argument of an EventLog call (not an event) is out of range, e.g. a negative `expectedSeq`. */
export class InvalidArgumentError extends WorkflowMirrorError {
  /** The argument or option, e.g. `expectedSeq`, `groupCommit.maxBatch`. */
  readonly argument: string;

  /** @param context what was being done, e.g. `append to "order-1"`; prefixes the message */
  constructor(argument: string, problem: string, context?: string) {
    super('INVALID_ARGUMENT', `${context === undefined ? '' : `${context}: `}${argument} ${problem}`);
    this.argument = argument;
  }
}

/** The log was closed (or is closing); nothing more can be read or appended through it. */
export class LogClosedError extends WorkflowMirrorError {
  constructor(operation: string) {
    super('LOG_CLOSED', `cannot ${operation}: the event log is closed`);
  }
}

/**
 * The storage under the log failed (I/O error, disk full, locked, constraint broken by another
 * writer). For an append it means nothing of that append was written; `cause` is the driver's error.
 */
export class EventLogUnavailableError extends WorkflowMirrorError {
  constructor(message: string, cause: unknown) {
    super('EVENT_LOG_UNAVAILABLE', `${message}: ${causeMessage(cause)}`, { cause });
  }
}

/**
 * An append carried an epoch older than the log's: a newer owner (a promoted mirror) has fenced
 * this writer off, so a primary that was only slow cannot write after it was replaced. Nothing of
 * the append was written.
 */
export class FencedError extends WorkflowMirrorError {
  /** The epoch the append carried. */
  readonly epoch: number;
  /** The log's epoch when it refused the append. */
  readonly currentEpoch: number;

  constructor(epoch: number, currentEpoch: number, context: string) {
    super(
      'FENCED',
      `${context}: refused, the append carries epoch ${epoch} but the log is at epoch ${currentEpoch} (a newer owner took over); nothing was appended`,
    );
    this.epoch = epoch;
    this.currentEpoch = currentEpoch;
  }
}

/** A claim of the next epoch named an epoch that is no longer current: another claim won. */
export class EpochConflictError extends WorkflowMirrorError {
  readonly expected: number;
  readonly actual: number;

  constructor(expected: number, actual: number) {
    super(
      'EPOCH_CONFLICT',
      `cannot claim epoch ${expected + 1}: expected the log at epoch ${expected}, it is at ${actual} (another claim won)`,
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/** The database file was written by another schema version (or is not an event log at all). */
export class SchemaVersionMismatchError extends WorkflowMirrorError {
  readonly path: string;
  /** The version found in the file; undefined when it has no version at all. */
  readonly found: number | undefined;
  readonly expected: number;

  constructor(path: string, found: number | undefined, expected: number) {
    super(
      'SCHEMA_VERSION_MISMATCH',
      found === undefined
        ? `${path} is not a workflow-mirror event log (it has an events table but no event log schema version); refusing to use it`
        : `${path} has event log schema version ${found}, this build reads version ${expected}; refusing to use it`,
    );
    this.path = path;
    this.found = found;
    this.expected = expected;
  }
}

/** Quotes an id for a message; very long ids are cut so a bad input cannot flood the log. */
export function quoteId(workflowId: unknown): string {
  if (typeof workflowId !== 'string') return String(workflowId);
  return JSON.stringify(workflowId.length > 80 ? `${workflowId.slice(0, 77)}...` : workflowId);
}

function where(d: MalformedEventDetails): string {
  if (d.pos !== undefined) return `stored event at pos ${d.pos}`;
  const target = `append to ${quoteId(d.workflowId)}`;
  return d.index === undefined ? target : `event ${d.index + 1} of ${target}`;
}

function causeMessage(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
