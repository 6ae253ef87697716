/** The public pieces of `ts/history`: event types, the EventLog contract, its two logs and their errors. */

export {
  EpochConflictError,
  EventLogUnavailableError,
  FencedError,
  InvalidArgumentError,
  LogClosedError,
  type MalformedEventDetails,
  MalformedEventError,
  SchemaVersionMismatchError,
  WrongExpectedSeqError,
} from './errors.js';
export { decodeEvent, decodeEventBatch, encodeEvent, encodeEventBatch } from './event-codec.js';
export type { AppendOptions, EncodedEvents, EventListener, EventLog, FencedLog, Heartbeat, MirrorPosition } from './event-log.js';
export {
  COMMAND_EVENT_TYPES,
  EVENT_TYPES,
  type EventPayloads,
  type EventType,
  type HistoryEvent,
  type Json,
  type NewEvent,
  TYPED_PAYLOAD_KEYS,
} from './events.js';
export { MAX_JSON_DEPTH } from './json-value.js';
export type { ListenerErrorHandler } from './listener-set.js';
export { MemoryEventLog, type MemoryEventLogOptions } from './memory-event-log.js';
export { SqliteEventLog, type SqliteEventLogOptions, type SqliteStorageInfo } from './sqlite-event-log.js';
export { SQLITE_SCHEMA_VERSION } from './sqlite-schema.js';
export {
  admitEvents,
  checkAppendArgs,
  checkPosRange,
  checkSeqRange,
  type FieldProblem,
  isEventType,
  MAX_WORKFLOW_ID_LENGTH,
  payloadFieldProblem,
  validateAppend,
  validateEvent,
} from './validate-event.js';
