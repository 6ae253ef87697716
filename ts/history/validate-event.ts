/**
 * Checks what callers hand to an EventLog before anything is stored. Every log runs the same checks
 * so that a history accepted by one is accepted by all, and a bad event is refused at the append
 * that made it (with the exact field named) instead of breaking a replay much later.
 */

import { isWellFormed } from '../serialization/utf8.js';
import { InvalidArgumentError, MalformedEventError, quoteId } from './errors.js';
import { EVENT_TYPES, type EventType, type HistoryEvent, type Json, type NewEvent } from './events.js';
import { adoptJson, copyJson, NotJsonError } from './json-value.js';

/** Longest accepted workflowId, in UTF-16 code units. */
export const MAX_WORKFLOW_ID_LENGTH = 256;

/** What is wrong with one field: `field` is a path such as `payload.scheduledSeq`. */
export interface FieldProblem {
  readonly field: string;
  readonly problem: string;
  /** The offending value. */
  readonly value: unknown;
}

interface FieldRule {
  readonly field: string;
  readonly ok: (value: unknown) => boolean;
  readonly problem: string;
  /** A more precise problem for some values (undefined: `problem`). */
  readonly problemFor?: (value: unknown) => string | undefined;
}

// Strings must be well-formed UTF-16 (no lone surrogate): logs store them as UTF-8, which has no
// way to write half a surrogate pair; TextEncoder would silently put U+FFFD in its place.
const LONE_SURROGATE_PROBLEM = 'must not hold a lone surrogate';
const nonEmptyString = (field: string): FieldRule => ({
  field,
  ok: (v) => typeof v === 'string' && v.length > 0 && isWellFormed(v),
  problem: 'must be a non-empty string',
  problemFor: (v) => (typeof v === 'string' && v.length > 0 ? LONE_SURROGATE_PROBLEM : undefined),
});
const anyString = (field: string): FieldRule => ({
  field,
  ok: (v) => typeof v === 'string' && isWellFormed(v),
  problem: 'must be a string',
  problemFor: (v) => (typeof v === 'string' ? LONE_SURROGATE_PROBLEM : undefined),
});
const positiveInt = (field: string): FieldRule => ({
  field,
  ok: (v) => Number.isSafeInteger(v) && (v as number) > 0,
  problem: 'must be a positive integer',
});
// The schema stores versions and attempt counts as uint: a larger number would wrap on disk.
const uint32 = (field: string): FieldRule => ({
  field,
  ok: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff_ffff,
  problem: 'must be an integer from 0 to 4294967295',
});
const finite = (field: string): FieldRule => ({ field, ok: Number.isFinite, problem: 'must be a finite number' });
// The value's JSON-ness is checked by the walk over the whole payload; here only that it is there.
const json = (field: string): FieldRule => ({
  field,
  ok: (v) => v !== undefined,
  problem: 'is required (any JSON value; use null for none)',
});

/** The typed fields each event type requires. Extra fields are allowed (and must be JSON too). */
const RULES: ReadonlyMap<string, readonly FieldRule[]> = new Map<EventType, readonly FieldRule[]>([
  ['WorkflowStarted', [nonEmptyString('workflowType'), uint32('version'), anyString('fingerprint'), json('input')]],
  ['ActivityScheduled', [nonEmptyString('name'), json('input')]],
  ['ActivityCompleted', [nonEmptyString('name'), positiveInt('scheduledSeq'), json('result')]],
  ['ActivityFailed', [nonEmptyString('name'), positiveInt('scheduledSeq'), anyString('error'), uint32('attempts')]],
  ['TimerStarted', [nonEmptyString('name'), finite('fireAt')]],
  ['TimerFired', [nonEmptyString('name'), positiveInt('startedSeq')]],
  ['SignalReceived', [nonEmptyString('name'), json('payload')]],
  ['WorkflowCompleted', [json('result')]],
  ['WorkflowFailed', [anyString('reason')]],
]);

/** True when `type` is one of EVENT_TYPES. */
export function isEventType(type: unknown): type is EventType {
  return typeof type === 'string' && RULES.has(type);
}

/**
 * The first problem with the fields `type` requires in `payload`, or undefined. Used on appends and
 * on rows read back from storage (where the payload is already known to be JSON).
 */
export function payloadFieldProblem(type: EventType, payload: unknown): FieldProblem | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { field: 'payload', problem: 'must be an object', value: payload };
  }
  const record = payload as Record<string, unknown>;
  for (const rule of RULES.get(type) ?? []) {
    // Own properties only: the copy that gets stored holds nothing inherited.
    const value = Object.hasOwn(record, rule.field) ? record[rule.field] : undefined;
    if (!rule.ok(value)) return { field: `payload.${rule.field}`, problem: rule.problemFor?.(value) ?? rule.problem, value };
  }
  return undefined;
}

/**
 * Checks one event of an append and returns a deeply frozen copy of it (the copy is what gets
 * stored, so later changes to the caller's objects cannot alter history). `index` counts from 0.
 * @throws MalformedEventError naming the event and the field.
 */
export function validateEvent(workflowId: string, event: NewEvent, index: number): NewEvent {
  const e = admit(workflowId, event, index, 1, 1, false);
  return Object.freeze({ type: e.type, time: e.time, payload: e.payload }) as NewEvent;
}

/**
 * Checks an append's arguments other than the events themselves: `workflowId`, `expectedSeq` and
 * that `events` is an array. Logs call this before the head check, then {@link admitEvents}.
 * @throws MalformedEventError for a bad workflowId, InvalidArgumentError for the others
 */
export function checkAppendArgs(workflowId: string, expectedSeq: number, events: readonly NewEvent[]): void {
  const id: unknown = workflowId;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_WORKFLOW_ID_LENGTH || !isWellFormed(id)) {
    throw new MalformedEventError({
      workflowId: typeof id === 'string' ? id : undefined,
      field: 'workflowId',
      problem: `must be a non-empty string of at most ${MAX_WORKFLOW_ID_LENGTH} characters without lone surrogates (got ${describe(id)})`,
    });
  }
  if (!Number.isSafeInteger(expectedSeq) || expectedSeq < 0) {
    throw new InvalidArgumentError(
      'expectedSeq',
      `must be a non-negative integer (got ${describe(expectedSeq)})`,
      appendTo(workflowId),
    );
  }
  if (!Array.isArray(events)) throw new InvalidArgumentError('events', 'must be an array', appendTo(workflowId));
}

/**
 * Checks every event of an append and returns them as stored: frozen HistoryEvents numbered from
 * `firstSeq` and `firstPos`, holding frozen copies of the payloads (or, when the caller hands them
 * over with `owned`, the payloads themselves, frozen in place). All or nothing: the first bad
 * event throws. Building the final objects here (not a checked copy first, then the event) halves
 * the allocations on the append path, which matters at hundreds of thousands of events a second.
 * @throws MalformedEventError naming the event and the field
 */
export function admitEvents(
  workflowId: string,
  firstSeq: number,
  firstPos: number,
  events: readonly NewEvent[],
  owned = false,
): HistoryEvent[] {
  const out: HistoryEvent[] = new Array(events.length);
  for (let i = 0; i < events.length; i++) out[i] = admit(workflowId, events[i], i, firstSeq + i, firstPos + i, owned);
  return out;
}

/**
 * Checks a whole append without a log: {@link checkAppendArgs} plus {@link validateEvent} for each
 * event. Returns the frozen copies. An empty `events` is allowed.
 * @throws MalformedEventError, InvalidArgumentError
 */
export function validateAppend(workflowId: string, expectedSeq: number, events: readonly NewEvent[]): NewEvent[] {
  checkAppendArgs(workflowId, expectedSeq, events);
  return events.map((e, i) => validateEvent(workflowId, e, i));
}

function admit(workflowId: string, event: unknown, index: number, seq: number, pos: number, owned: boolean): HistoryEvent {
  if (typeof event !== 'object' || event === null) {
    throw malformed(workflowId, index, 'event', 'must be an object with type, time and payload');
  }
  const { type, time, payload } = event as Record<string, unknown>;
  if (!isEventType(type)) {
    throw malformed(workflowId, index, 'type', `must be one of ${EVENT_TYPES.join(', ')} (got ${describe(type)})`);
  }
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    throw malformed(workflowId, index, 'time', `must be a finite number (got ${describe(time)})`);
  }
  const problem = payloadFieldProblem(type, payload);
  if (problem) {
    throw malformed(workflowId, index, problem.field, `${problem.problem} for ${type} (got ${describe(problem.value)})`);
  }
  let copy: Json;
  try {
    copy = owned ? adoptJson(payload) : copyJson(payload);
  } catch (err) {
    if (err instanceof NotJsonError) throw malformed(workflowId, index, `payload${err.path}`, err.problem, err);
    throw err;
  }
  // type and payload were checked together above, so they match.
  return Object.freeze({ workflowId, seq, pos, type, time, payload: copy }) as HistoryEvent;
}

function malformed(workflowId: string, index: number, field: string, problem: string, cause?: unknown): MalformedEventError {
  return new MalformedEventError({ workflowId, index, field, problem, cause });
}

/**
 * Checks readInstance's arguments: whole numbers, `toSeq` may be Infinity (a `fromSeq` below 1 simply
 * reads from the start). @throws InvalidArgumentError
 */
export function checkSeqRange(workflowId: string, fromSeq: number, toSeq: number): void {
  if (typeof workflowId !== 'string') throw new InvalidArgumentError('workflowId', 'must be a string');
  if (!Number.isSafeInteger(fromSeq)) throw new InvalidArgumentError('fromSeq', `must be an integer (got ${describe(fromSeq)})`);
  if (!Number.isSafeInteger(toSeq) && toSeq !== Number.POSITIVE_INFINITY) {
    throw new InvalidArgumentError('toSeq', `must be an integer or Infinity (got ${describe(toSeq)})`);
  }
}

/** Checks readRange's arguments; `limit` may be Infinity. @throws InvalidArgumentError */
export function checkPosRange(afterPos: number, limit: number): void {
  if (!Number.isSafeInteger(afterPos) || afterPos < 0) {
    throw new InvalidArgumentError('afterPos', `must be a non-negative integer (got ${describe(afterPos)})`);
  }
  if (!(Number.isSafeInteger(limit) || limit === Number.POSITIVE_INFINITY) || limit < 0) {
    throw new InvalidArgumentError('limit', `must be a non-negative integer or Infinity (got ${describe(limit)})`);
  }
}

function appendTo(workflowId: string): string {
  return `append to ${quoteId(workflowId)}`;
}

/** A short, safe rendering of a bad value for a message. */
function describe(value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? `${JSON.stringify(value.slice(0, 37))}...` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'undefined' || value === null) {
    return String(value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
