/**
 * The history of one workflow instance is a gap-free sequence of these events, numbered by `seq`
 * from 1. Events whose type ends in Scheduled/Started/Completed/Failed at workflow level are
 * *command events*: the primary appends them for each command a handler issued, and the mirror
 * checks its own commands against them (that check is how non-determinism is found).
 */

/** Every event type, in a fixed order (the order is the numeric code used on disk). */
export const EVENT_TYPES = [
  'WorkflowStarted',
  'ActivityScheduled',
  'ActivityCompleted',
  'ActivityFailed',
  'TimerStarted',
  'TimerFired',
  'SignalReceived',
  'WorkflowCompleted',
  'WorkflowFailed',
] as const;

/** One of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[number];

const TYPE_CODES: ReadonlyMap<string, number> = new Map(EVENT_TYPES.map((type, code) => [type, code]));

/** The numeric code of `type` (its index in EVENT_TYPES), or undefined for a string that is no event type. */
export function eventTypeCode(type: string): number | undefined {
  return TYPE_CODES.get(type);
}

/** A JSON value: what payloads are made of (so every log can store them). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Payload of each event type. */
export interface EventPayloads {
  WorkflowStarted: {
    /** Definition name. */
    workflowType: string;
    version: number;
    /** Hash of the definition's schema and handler code; a mismatch with the mirror's means version skew. */
    fingerprint: string;
    input: Json;
  };
  ActivityScheduled: { name: string; input: Json };
  ActivityCompleted: { name: string; scheduledSeq: number; result: Json };
  ActivityFailed: { name: string; scheduledSeq: number; error: string; attempts: number };
  TimerStarted: { name: string; fireAt: number };
  TimerFired: { name: string; startedSeq: number };
  SignalReceived: { name: string; payload: Json };
  WorkflowCompleted: { result: Json };
  WorkflowFailed: { reason: string };
}

/**
 * The payload properties each event type has a typed place for in every format (the FlatBuffers
 * payload tables); a payload's other properties are "extra" and travel as one JSON object.
 */
export const TYPED_PAYLOAD_KEYS: Readonly<Record<EventType, readonly string[]>> = {
  WorkflowStarted: ['workflowType', 'version', 'fingerprint', 'input'],
  ActivityScheduled: ['name', 'input'],
  ActivityCompleted: ['name', 'scheduledSeq', 'result'],
  ActivityFailed: ['name', 'scheduledSeq', 'error', 'attempts'],
  TimerStarted: ['name', 'fireAt'],
  TimerFired: ['name', 'startedSeq'],
  SignalReceived: ['name', 'payload'],
  WorkflowCompleted: ['result'],
  WorkflowFailed: ['reason'],
};

/** An event before the log numbers it. */
export type NewEvent = {
  [T in EventType]: { readonly type: T; readonly time: number; readonly payload: EventPayloads[T] };
}[EventType];

/** An event as stored: numbered per instance (`seq`) and in the log's global order (`pos`). */
export type HistoryEvent = {
  [T in EventType]: {
    readonly workflowId: string;
    readonly seq: number;
    /** Global position in the log, increasing across all instances, from 1. */
    readonly pos: number;
    readonly type: T;
    /** Clock time (ms) at append; handlers see it as `ctx.now()`. */
    readonly time: number;
    readonly payload: EventPayloads[T];
  };
}[EventType];

/** Whether an event of `type` closes its instance (nothing follows it in the history). */
export function isClosingEvent(type: EventType): boolean {
  return type === 'WorkflowCompleted' || type === 'WorkflowFailed';
}

/** The event types a handler's command produces (checked by the mirror). */
export const COMMAND_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  'ActivityScheduled',
  'TimerStarted',
  'WorkflowCompleted',
  'WorkflowFailed',
]);
