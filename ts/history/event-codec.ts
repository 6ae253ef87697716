/**
 * History events as FlatBuffers (schemas/event.fbs, schemas/event-batch.fbs): what transports
 * carry and what the SQLite log stores. Decoding trusts nothing: the buffer is verified first,
 * then what the schema cannot say is checked here (the union's type agrees with the event type,
 * seq and pos are safe integers, time is finite, payload values are JSON the log would accept), so
 * a decoded event is one an EventLog could have produced.
 *
 * Payload values (`input`, `result`, a signal's `payload`) travel as UTF-8 JSON in a `Value`
 * (JSON has no NaN or Infinity, and neither have payloads: the log refuses them at append). A
 * payload's properties beyond its type's typed fields travel as one JSON object in
 * `Event.payload_extra`, so nothing the log accepted is dropped on the way.
 */
import type * as flatbuffers from 'flatbuffers';
import { ActivityCompletedPayload } from '../generated/wfmirror/fb/activity-completed-payload.js';
import { ActivityFailedPayload } from '../generated/wfmirror/fb/activity-failed-payload.js';
import { ActivityScheduledPayload } from '../generated/wfmirror/fb/activity-scheduled-payload.js';
import { Event } from '../generated/wfmirror/fb/event.js';
import { EventBatch } from '../generated/wfmirror/fb/event-batch.js';
import { SignalReceivedPayload } from '../generated/wfmirror/fb/signal-received-payload.js';
import { TimerFiredPayload } from '../generated/wfmirror/fb/timer-fired-payload.js';
import { TimerStartedPayload } from '../generated/wfmirror/fb/timer-started-payload.js';
import type { Value } from '../generated/wfmirror/fb/value.js';
import { WorkflowCompletedPayload } from '../generated/wfmirror/fb/workflow-completed-payload.js';
import { WorkflowFailedPayload } from '../generated/wfmirror/fb/workflow-failed-payload.js';
import { WorkflowStartedPayload } from '../generated/wfmirror/fb/workflow-started-payload.js';
import { addDoubleField } from '../serialization/doubles.js';
import { CorruptBufferError, NotEncodableError } from '../serialization/errors.js';
import { createJsonValue, readJsonValue } from '../serialization/json-value.js';
import { buildBuffer } from '../serialization/shared-builder.js';
import { createString } from '../serialization/strings.js';
import { fieldIdOf, fieldPosition, slotOf } from '../serialization/table-access.js';
import { isWellFormed } from '../serialization/utf8.js';
import { trustedRoot, verifyRoot } from '../serialization/verify.js';
import { SCHEMA_VERSION } from '../serialization/version.js';
import { EVENT_TYPES, type EventType, eventTypeCode, type HistoryEvent, type Json, TYPED_PAYLOAD_KEYS } from './events.js';
import { MAX_JSON_DEPTH } from './json-value.js';
import { payloadFieldProblem } from './validate-event.js';

// Field ids and slots looked up by name, so that a schema change cannot leave a stale number here.
const ID = {
  seq: fieldIdOf('Event', 'seq'),
  pos: fieldIdOf('Event', 'pos'),
  time: fieldIdOf('Event', 'time'),
  scheduledSeq: fieldIdOf('ActivityCompletedPayload', 'scheduled_seq'),
  failedScheduledSeq: fieldIdOf('ActivityFailedPayload', 'scheduled_seq'),
  fireAt: fieldIdOf('TimerStartedPayload', 'fire_at'),
  startedSeq: fieldIdOf('TimerFiredPayload', 'started_seq'),
};
const SLOT = {
  workflowId: slotOf('Event', 'workflow_id'),
  seq: slotOf('Event', 'seq'),
  pos: slotOf('Event', 'pos'),
  type: slotOf('Event', 'type'),
  time: slotOf('Event', 'time'),
  payload: slotOf('Event', 'payload'),
};

/**
 * Encodes one event as an `Event` buffer (identifier WFEV).
 * @throws NotEncodableError when the event is not one a log could hold (bad seq, pos, time or
 *   payload field, a lone surrogate in a string, a version or attempts count past 2^32 - 1)
 */
export function encodeEvent(event: HistoryEvent): Uint8Array {
  const extra = checkEvent(event, 'an event');
  return buildBuffer((builder) => Event.finishEventBuffer(builder, writeEvent(builder, event, extra, SCHEMA_VERSION)));
}

/**
 * Encodes events (of any instances) as one `EventBatch` buffer (identifier WFEB); the batch's
 * schema_version covers them all, so the events inside carry none.
 * @throws NotEncodableError naming the first bad event's index
 */
export function encodeEventBatch(events: readonly HistoryEvent[]): Uint8Array {
  const extras = events.map((event, i) => checkEvent(event, `event ${i} of a batch`));
  return buildBuffer((builder) => {
    const offsets = events.map((event, i) => writeEvent(builder, event, extras[i], 0));
    const vector = EventBatch.createEventsVector(builder, offsets);
    EventBatch.startEventBatch(builder);
    EventBatch.addSchemaVersion(builder, SCHEMA_VERSION);
    EventBatch.addEvents(builder, vector);
    EventBatch.finishEventBatchBuffer(builder, EventBatch.endEventBatch(builder));
  });
}

/**
 * Decodes an `Event` buffer into a frozen event.
 * @throws SerializationError (CorruptBufferError, WrongBufferTypeError, UnsupportedSchemaVersionError)
 */
export function decodeEvent(bytes: Uint8Array): HistoryEvent {
  return readEvent(Event.getRootAsEvent(verifyRoot(bytes, 'Event')), '');
}

/**
 * Decodes an `Event` buffer this process encoded itself (see `trustedRoot`: no verifier walk).
 * Damaged bytes may throw any error, or decode into a wrong event: never for outside input.
 */
export function decodeTrustedEvent(bytes: Uint8Array): HistoryEvent {
  return readEvent(Event.getRootAsEvent(trustedRoot(bytes, 'Event')), '');
}

/**
 * Decodes an `EventBatch` buffer into frozen events, in order.
 * @throws SerializationError; a CorruptBufferError's message names the event (`events[3]: ...`)
 */
export function decodeEventBatch(bytes: Uint8Array): HistoryEvent[] {
  const batch = EventBatch.getRootAsEventBatch(verifyRoot(bytes, 'EventBatch'));
  const n = batch.eventsLength();
  const out: HistoryEvent[] = new Array(n);
  const event = new Event();
  for (let i = 0; i < n; i++) out[i] = readEvent(batch.events(i, event)!, `events[${i}]: `);
  return out;
}

/** Checks what the schema's types cannot hold; returns the payload's extra properties, if any. */
function checkEvent(event: HistoryEvent, what: string): Record<string, unknown> | undefined {
  const refuse = (field: string, problem: string): never => {
    throw new NotEncodableError(what, field, problem);
  };
  if (typeof event !== 'object' || event === null) refuse('event', 'must be an object');
  if (eventTypeCode(event.type) === undefined)
    refuse('type', `must be one of ${EVENT_TYPES.join(', ')}, got ${String(event.type)}`);
  if (typeof event.workflowId !== 'string' || event.workflowId === '' || !isWellFormed(event.workflowId)) {
    refuse('workflowId', 'must be a non-empty, well-formed string');
  }
  if (!Number.isSafeInteger(event.seq) || event.seq < 1) refuse('seq', `must be a safe integer >= 1, got ${String(event.seq)}`);
  if (!Number.isSafeInteger(event.pos) || event.pos < 0) refuse('pos', `must be a safe integer >= 0, got ${String(event.pos)}`);
  if (!Number.isFinite(event.time)) refuse('time', `must be a finite number, got ${String(event.time)}`);
  // The log's own rules: they also keep strings well-formed and version / attempts within uint32.
  const problem = payloadFieldProblem(event.type, event.payload);
  if (problem !== undefined) refuse(problem.field, problem.problem);
  const payload = event.payload as Readonly<Record<string, unknown>>;
  const typed = TYPED_PAYLOAD_KEYS[event.type];
  let extra: Record<string, unknown> | undefined;
  for (const key of Object.keys(payload)) {
    if (typed.includes(key)) continue;
    extra ??= {};
    // defineProperty: a key "__proto__" must stay a plain property, not set the prototype.
    Object.defineProperty(extra, key, { value: payload[key], enumerable: true, writable: true, configurable: true });
  }
  return extra;
}

/** Writes one checked event (and its children) and returns the Event table's offset. */
function writeEvent(
  builder: flatbuffers.Builder,
  event: HistoryEvent,
  extra: Record<string, unknown> | undefined,
  version: number,
): flatbuffers.Offset {
  const workflowId = createString(builder, event.workflowId);
  const payload = writePayload(builder, event);
  const extraValue = extra === undefined ? 0 : createJsonValue(builder, json(extra));
  const code = eventTypeCode(event.type)!;
  Event.startEvent(builder);
  if (version !== 0) Event.addSchemaVersion(builder, version);
  Event.addWorkflowId(builder, workflowId);
  addDoubleField(builder, ID.seq, event.seq);
  addDoubleField(builder, ID.pos, event.pos);
  Event.addType(builder, code);
  addDoubleField(builder, ID.time, event.time);
  Event.addPayloadType(builder, code + 1); // union type codes count from 1 (0 is NONE)
  Event.addPayload(builder, payload);
  if (extraValue !== 0) Event.addPayloadExtra(builder, extraValue);
  return Event.endEvent(builder);
}

function writePayload(b: flatbuffers.Builder, event: HistoryEvent): flatbuffers.Offset {
  switch (event.type) {
    case 'WorkflowStarted': {
      const p = event.payload;
      const workflowType = createString(b, p.workflowType);
      const fingerprint = createString(b, p.fingerprint);
      const input = createJsonValue(b, json(p.input));
      WorkflowStartedPayload.startWorkflowStartedPayload(b);
      WorkflowStartedPayload.addWorkflowType(b, workflowType);
      WorkflowStartedPayload.addVersion(b, p.version);
      WorkflowStartedPayload.addFingerprint(b, fingerprint);
      WorkflowStartedPayload.addInput(b, input);
      return WorkflowStartedPayload.endWorkflowStartedPayload(b);
    }
    case 'ActivityScheduled': {
      const name = createString(b, event.payload.name);
      const input = createJsonValue(b, json(event.payload.input));
      ActivityScheduledPayload.startActivityScheduledPayload(b);
      ActivityScheduledPayload.addName(b, name);
      ActivityScheduledPayload.addInput(b, input);
      return ActivityScheduledPayload.endActivityScheduledPayload(b);
    }
    case 'ActivityCompleted': {
      const name = createString(b, event.payload.name);
      const result = createJsonValue(b, json(event.payload.result));
      ActivityCompletedPayload.startActivityCompletedPayload(b);
      ActivityCompletedPayload.addName(b, name);
      addDoubleField(b, ID.scheduledSeq, event.payload.scheduledSeq);
      ActivityCompletedPayload.addResult(b, result);
      return ActivityCompletedPayload.endActivityCompletedPayload(b);
    }
    case 'ActivityFailed': {
      const name = createString(b, event.payload.name);
      const error = createString(b, event.payload.error);
      ActivityFailedPayload.startActivityFailedPayload(b);
      ActivityFailedPayload.addName(b, name);
      addDoubleField(b, ID.failedScheduledSeq, event.payload.scheduledSeq);
      ActivityFailedPayload.addError(b, error);
      ActivityFailedPayload.addAttempts(b, event.payload.attempts);
      return ActivityFailedPayload.endActivityFailedPayload(b);
    }
    case 'TimerStarted': {
      const name = createString(b, event.payload.name);
      TimerStartedPayload.startTimerStartedPayload(b);
      TimerStartedPayload.addName(b, name);
      addDoubleField(b, ID.fireAt, event.payload.fireAt);
      return TimerStartedPayload.endTimerStartedPayload(b);
    }
    case 'TimerFired': {
      const name = createString(b, event.payload.name);
      TimerFiredPayload.startTimerFiredPayload(b);
      TimerFiredPayload.addName(b, name);
      addDoubleField(b, ID.startedSeq, event.payload.startedSeq);
      return TimerFiredPayload.endTimerFiredPayload(b);
    }
    case 'SignalReceived': {
      const name = createString(b, event.payload.name);
      const payload = createJsonValue(b, json(event.payload.payload));
      SignalReceivedPayload.startSignalReceivedPayload(b);
      SignalReceivedPayload.addName(b, name);
      SignalReceivedPayload.addPayload(b, payload);
      return SignalReceivedPayload.endSignalReceivedPayload(b);
    }
    case 'WorkflowCompleted':
      return WorkflowCompletedPayload.createWorkflowCompletedPayload(b, createJsonValue(b, json(event.payload.result)));
    case 'WorkflowFailed':
      return WorkflowFailedPayload.createWorkflowFailedPayload(b, createString(b, event.payload.reason));
  }
}

/** JSON text of a checked payload value (never undefined: the payload check requires the value). */
function json(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** Reads and checks one verified Event table; `where` prefixes error messages (`events[3]: `). */
function readEvent(e: Event, where: string): HistoryEvent {
  const corrupt = (slot: number, problem: string): CorruptBufferError =>
    new CorruptBufferError(`${where}${problem}`, fieldPosition(e, slot));
  const code = e.type();
  const type = EVENT_TYPES[code]!; // the verifier checked the enum's range
  if (e.payloadType() !== code + 1) {
    throw corrupt(SLOT.payload, `Event.payload holds a ${TYPED_PAYLOAD_NAMES[e.payloadType() - 1]} but Event.type is ${type}`);
  }
  const workflowId = e.workflowId()!;
  if (workflowId === '') throw corrupt(SLOT.workflowId, 'Event.workflow_id is empty');
  const seq = e.seq();
  if (!Number.isSafeInteger(seq) || seq < 1) throw corrupt(SLOT.seq, `Event.seq must be a safe integer >= 1, got ${seq}`);
  const pos = e.pos();
  if (!Number.isSafeInteger(pos) || pos < 0) throw corrupt(SLOT.pos, `Event.pos must be a safe integer >= 0, got ${pos}`);
  const time = e.time();
  if (!Number.isFinite(time)) throw corrupt(SLOT.time, `Event.time must be a finite number, got ${time}`);
  const payload = readPayload(e, type, where);
  const extraValue = e.payloadExtra();
  if (extraValue !== null) {
    const extra = readJsonValue(extraValue, `${where}Event.payload_extra`, MAX_JSON_DEPTH);
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
      throw corrupt(SLOT.payload, 'Event.payload_extra is not a JSON object');
    }
    for (const key of Object.keys(extra)) {
      if (TYPED_PAYLOAD_KEYS[type].includes(key))
        throw corrupt(SLOT.payload, `Event.payload_extra repeats the typed field ${key}`);
      Object.defineProperty(payload, key, {
        value: (extra as Record<string, unknown>)[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  const problem = payloadFieldProblem(type, payload);
  if (problem !== undefined) throw corrupt(SLOT.payload, `${problem.field} ${problem.problem} for ${type}`);
  Object.freeze(payload);
  return Object.freeze({ workflowId, seq, pos, type, time, payload }) as HistoryEvent;
}

const TYPED_PAYLOAD_NAMES = EVENT_TYPES.map((t) => `${t}Payload`);

/** The typed fields of the payload, as a fresh (unfrozen) object in TYPED_PAYLOAD_KEYS order. */
function readPayload(e: Event, type: EventType, where: string): Record<string, unknown> {
  // Required fields: the verifier made sure they are there.
  const value = (v: Value | null, label: string): Json => readJsonValue(v!, `${where}${label}`, MAX_JSON_DEPTH) as Json;
  switch (type) {
    case 'WorkflowStarted': {
      const p = e.payload(new WorkflowStartedPayload()) as WorkflowStartedPayload;
      return {
        workflowType: p.workflowType()!,
        version: p.version(),
        fingerprint: p.fingerprint()!,
        input: value(p.input(), 'WorkflowStartedPayload.input'),
      };
    }
    case 'ActivityScheduled': {
      const p = e.payload(new ActivityScheduledPayload()) as ActivityScheduledPayload;
      return { name: p.name()!, input: value(p.input(), 'ActivityScheduledPayload.input') };
    }
    case 'ActivityCompleted': {
      const p = e.payload(new ActivityCompletedPayload()) as ActivityCompletedPayload;
      return { name: p.name()!, scheduledSeq: p.scheduledSeq(), result: value(p.result(), 'ActivityCompletedPayload.result') };
    }
    case 'ActivityFailed': {
      const p = e.payload(new ActivityFailedPayload()) as ActivityFailedPayload;
      return { name: p.name()!, scheduledSeq: p.scheduledSeq(), error: p.error()!, attempts: p.attempts() };
    }
    case 'TimerStarted': {
      const p = e.payload(new TimerStartedPayload()) as TimerStartedPayload;
      return { name: p.name()!, fireAt: p.fireAt() };
    }
    case 'TimerFired': {
      const p = e.payload(new TimerFiredPayload()) as TimerFiredPayload;
      return { name: p.name()!, startedSeq: p.startedSeq() };
    }
    case 'SignalReceived': {
      const p = e.payload(new SignalReceivedPayload()) as SignalReceivedPayload;
      return { name: p.name()!, payload: value(p.payload(), 'SignalReceivedPayload.payload') };
    }
    case 'WorkflowCompleted': {
      const p = e.payload(new WorkflowCompletedPayload()) as WorkflowCompletedPayload;
      return { result: value(p.result(), 'WorkflowCompletedPayload.result') };
    }
    case 'WorkflowFailed': {
      const p = e.payload(new WorkflowFailedPayload()) as WorkflowFailedPayload;
      return { reason: p.reason()! };
    }
  }
}
