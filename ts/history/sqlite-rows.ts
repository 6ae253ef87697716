/**
 * Turning stored rows back into events. Rows are not trusted: a file can be edited, restored from a
 * bad backup or written by a buggy build, and a replay fed a wrong event produces wrong state
 * silently. So every row is checked, and a bad one is a MalformedEventError naming its pos.
 */
import { MalformedEventError } from './errors.js';
import { EVENT_TYPES, type EventType, type HistoryEvent, type Json } from './events.js';
import { deepFreezeJson } from './json-value.js';
import { payloadFieldProblem } from './validate-event.js';

const TYPE_CODES: ReadonlyMap<EventType, number> = new Map(EVENT_TYPES.map((t, i) => [t, i]));

/** The numeric code stored for `type` (its index in EVENT_TYPES). */
export function typeCode(type: EventType): number {
  return TYPE_CODES.get(type)!;
}

/** Columns selected by the read statements, in this order (the statements run in raw mode). */
export const ROW_COLUMNS = 'pos, workflow_id, seq, type, time, payload';

/**
 * Decodes one raw row `[pos, workflow_id, seq, type, time, payload]` into a frozen event.
 * @throws MalformedEventError naming the row's pos and the bad column
 */
export function decodeRow(row: readonly unknown[]): HistoryEvent {
  const [pos, workflowId, seq, code, time, text] = row;
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
  if (typeof text !== 'string') throw bad('payload', 'is not text');
  let payload: Json;
  try {
    payload = JSON.parse(text) as Json;
  } catch (cause) {
    throw bad('payload', `is not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`, cause);
  }
  const problem = payloadFieldProblem(type, payload);
  if (problem) throw bad(problem.field, `${problem.problem} for ${type}`);
  return Object.freeze({ workflowId, seq, pos: at, type, time, payload: deepFreezeJson(payload) }) as HistoryEvent;
}

/** Decodes rows in order; the first bad one throws. */
export function decodeRows(rows: readonly (readonly unknown[])[]): HistoryEvent[] {
  const out: HistoryEvent[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = decodeRow(rows[i]!);
  return out;
}
