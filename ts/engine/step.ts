/**
 * The one step both engines share: run the handler an event calls for and collect its commands.
 * The primary then executes the commands; the mirror only checks them against the history.
 * Keeping this in one place is what makes the mirror a faithful twin.
 */
import type { EventType, HistoryEvent } from '../history/events.js';
import type { ActivityFailure } from '../workflow/define.js';
import type { Command } from './commands.js';
import { callGuarded } from './determinism-guard.js';
import type { HandlerContext } from './handler-context.js';
import type { InstanceRuntime } from './instance.js';

/** Event types that run a handler (the rest are command events, recorded outcomes of handlers). */
export function isInboundEvent(type: EventType): boolean {
  return (
    type === 'WorkflowStarted' ||
    type === 'ActivityCompleted' ||
    type === 'ActivityFailed' ||
    type === 'TimerFired' ||
    type === 'SignalReceived'
  );
}

/** The key a definition's `significant` list uses for an event. */
export function eventKey(event: HistoryEvent): string {
  switch (event.type) {
    case 'WorkflowStarted':
      return 'started';
    case 'ActivityScheduled':
      return `${event.payload.name}.scheduled`;
    case 'ActivityCompleted':
      return `${event.payload.name}.completed`;
    case 'ActivityFailed':
      return `${event.payload.name}.failed`;
    case 'TimerStarted':
      return `timer-started.${event.payload.name}`;
    case 'TimerFired':
      return `timer.${event.payload.name}`;
    case 'SignalReceived':
      return `signal.${event.payload.name}`;
    case 'WorkflowCompleted':
      return 'completed';
    case 'WorkflowFailed':
      return 'failed';
  }
}

type StateHandler = (state: Record<string, unknown>, second: unknown, third: unknown) => void;

interface HandlerTable {
  start: StateHandler;
  completed?: Record<string, StateHandler | undefined>;
  failed?: Record<string, StateHandler | undefined>;
  timer?: Record<string, StateHandler | undefined>;
  signal?: Record<string, StateHandler | undefined>;
}

/**
 * Runs the handler for an inbound event on `instance.state` and returns the commands it issued.
 * `payload` is normally `event.payload`; fault injection passes another to model a primary that
 * consumed something else. A handler that throws fails the workflow (its commands are then a
 * single `fail`, and `ctx.lastError` holds the error); replay does the same, so it stays
 * deterministic. No closure or result object is allocated: this runs once per replayed event.
 */
export function runStep(
  instance: InstanceRuntime,
  event: HistoryEvent,
  payload: HistoryEvent['payload'],
  ctx: HandlerContext,
  guard: boolean,
): readonly Command[] {
  const on = instance.compiled.definition.on as HandlerTable;
  ctx.begin(instance.compiled, instance.workflowId, instance.idHash, event.seq, event.time);
  let handler: StateHandler | undefined;
  let second: unknown;
  let third: unknown;
  switch (event.type) {
    case 'WorkflowStarted':
      handler = on.start;
      second = (payload as typeof event.payload).input;
      third = ctx;
      break;
    case 'ActivityCompleted': {
      const p = payload as typeof event.payload;
      handler = on.completed?.[p.name];
      second = p.result;
      third = ctx;
      break;
    }
    case 'ActivityFailed': {
      const p = payload as typeof event.payload;
      handler = on.failed?.[p.name];
      if (handler === undefined) {
        return [{ kind: 'fail', reason: `activity "${p.name}" failed after ${p.attempts} attempt(s): ${p.error}` }];
      }
      second = { error: p.error, attempts: p.attempts } satisfies ActivityFailure;
      third = ctx;
      break;
    }
    case 'TimerFired':
      handler = on.timer?.[(payload as typeof event.payload).name];
      second = ctx;
      break;
    case 'SignalReceived': {
      const p = payload as typeof event.payload;
      handler = on.signal?.[p.name];
      second = p.payload;
      third = ctx;
      break;
    }
    default:
      return ctx.takeCommands();
  }
  if (handler === undefined) return ctx.takeCommands();
  try {
    if (guard) callGuarded(handler as (a: unknown, b: unknown, c: unknown) => void, instance.state, second, third);
    else handler(instance.state, second, third);
    return ctx.takeCommands();
  } catch (error) {
    ctx.takeCommands();
    ctx.lastError = error;
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : String(error);
    return [{ kind: 'fail', reason: `handler threw ${typeof code === 'string' ? `${code}: ` : ''}${message}` }];
  }
}

/** Updates an instance's status for a command event (the workflow's own end). */
export function applyCommandEvent(instance: InstanceRuntime, event: HistoryEvent): void {
  if (event.type === 'WorkflowCompleted') instance.status = 'completed';
  else if (event.type === 'WorkflowFailed') instance.status = 'failed';
}
