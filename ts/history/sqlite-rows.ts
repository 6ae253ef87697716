/**
 * Turning stored rows back into events. Rows are not trusted: a file can be edited, restored from a
 * bad backup or written by a buggy build, and a replay fed a wrong event produces wrong state
 * silently. So every row is checked (its FlatBuffers buffer verified, its columns compared with
 * what the buffer says), and a bad one is a MalformedEventError naming its pos.
 */
import { SerializationError } from '../serialization/errors.js';
import { MalformedEventError } from './errors.js';
import { decodeEvent } from './event-codec.js';
import { EVENT_TYPES, type EventType, eventTypeCode, type HistoryEvent } from './events.js';

/** The numeric code stored for `type` (its index in EVENT_TYPES). */
export function typeCode(type: EventType): number {
  return eventTypeCode(type)!;
}

/** Columns selected by the read statements, in this order (the statements run in raw mode). */
export const ROW_COLUMNS = 'pos, workflow_id, seq, type, time, event';

/**
 * Decodes one raw row `[pos, workflow_id, seq, type, time, event]` into a frozen event.
 * @throws MalformedEventError naming the row's pos and the bad column
 */
export function decodeRow(row: readonly unknown[]): HistoryEvent {
  const [pos, workflowId, seq, code, time, blob] = row;
  // STRICT tables already guarantee the column types, but a NULL-free number is cheap to confirm.
  const at = typeof pos === 'number' ? pos : Number.NaN;
  const bad = (field: string, problem: string, cause?: unknown): MalformedEventError =>
    new MalformedEventError({
      pos: at,
      workflowId: typeof workflowId === 'string' ? workflowId : undefined,
      field,
      problem,
      cause,
    });
  if (typeof workflowId !== 'string' || workflowId.length === 0) throw bad('workflow_id', 'is not a non-empty string');
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) throw bad('seq', 'is not a positive integer');
  const type = typeof code === 'number' ? EVENT_TYPES[code] : undefined;
  if (type === undefined) throw bad('type', `code ${String(code)} is not an event type (0..${EVENT_TYPES.length - 1})`);
  if (typeof time !== 'number' || !Number.isFinite(time)) throw bad('time', 'is not a finite number');
  if (!(blob instanceof Uint8Array)) throw bad('event', 'is not a blob');
  let decoded: HistoryEvent;
  try {
    decoded = decodeEvent(blob);
  } catch (cause) {
    if (!(cause instanceof SerializationError)) throw cause;
    throw bad('event', `is not a valid FlatBuffers Event: ${cause.message}`, cause);
  }
  // decodeEvent has checked the payload (the fields its type requires, JSON values) and frozen it.
  const disagreement = columnDisagreement(decoded, at, workflowId, seq, type, time);
  if (disagreement !== undefined) throw bad('event', `disagrees with the row's ${disagreement}`);
  return decoded;
}

/** Which column the decoded buffer contradicts, if any (a row edited by hand, or half of two rows). */
function columnDisagreement(
  event: HistoryEvent,
  pos: number,
  workflowId: string,
  seq: number,
  type: EventType,
  time: number,
): string | undefined {
  if (event.workflowId !== workflowId) return `workflow_id (the buffer says ${JSON.stringify(event.workflowId)})`;
  if (event.seq !== seq) return `seq (the buffer says ${event.seq})`;
  if (event.pos !== pos) return `pos (the buffer says ${event.pos})`;
  if (event.type !== type) return `type (the buffer says ${event.type})`;
  if (event.time !== time) return `time (the buffer says ${event.time})`;
  return undefined;
}

/** Decodes rows in order; the first bad one throws. */
export function decodeRows(rows: readonly (readonly unknown[])[]): HistoryEvent[] {
  const out: HistoryEvent[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = decodeRow(rows[i]!);
  return out;
}
