/**
 * The one step both engines share: run the handler an event calls for and collect its commands.
 * The primary then executes the commands; the mirror only checks them against the history.
 * Keeping this in one place is what makes the mirror a faithful twin.
 */
import type { EventType, HistoryEvent } from '../history/events.js';
import type { ActivityFailure } from '../workflow/define.js';
import type { Command } from './commands.js';
import { runGuarded } from './determinism-guard.js';
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

/** What a step produced. */
export interface StepResult {
  readonly commands: readonly Command[];
  /** Set when the handler threw: the commands are then a single `fail`, on both engines alike. */
  readonly error?: unknown;
}

type StateHandler = (state: Record<string, unknown>, ...rest: unknown[]) => void;

/**
 * Runs the handler for an inbound event on `instance.state`. `payload` is normally
 * `event.payload`; fault injection passes another to model a primary that consumed something else.
 * A handler that throws fails the workflow; the same happens on replay, so it stays deterministic.
 */
export function runStep(
  instance: InstanceRuntime,
  event: HistoryEvent,
  payload: HistoryEvent['payload'],
  ctx: HandlerContext,
  guard: boolean,
): StepResult {
  const on = instance.compiled.definition.on as unknown as {
    start: StateHandler;
    completed?: Record<string, StateHandler | undefined>;
    failed?: Record<string, StateHandler | undefined>;
    timer?: Record<string, StateHandler | undefined>;
    signal?: Record<string, StateHandler | undefined>;
  };
  ctx.begin(instance.compiled, instance.workflowId, instance.idHash, event.seq, event.time);
  const state = instance.state;
  let call: (() => void) | undefined;
  let defaultFailure: string | undefined;
  switch (event.type) {
    case 'WorkflowStarted': {
      const input = (payload as typeof event.payload).input;
      call = () => on.start(state, input, ctx);
      break;
    }
    case 'ActivityCompleted': {
      const p = payload as typeof event.payload;
      const handler = on.completed?.[p.name];
      if (handler) call = () => handler(state, p.result, ctx);
      break;
    }
    case 'ActivityFailed': {
      const p = payload as typeof event.payload;
      const handler = on.failed?.[p.name];
      const failure: ActivityFailure = { error: p.error, attempts: p.attempts };
      if (handler) call = () => handler(state, failure, ctx);
      else defaultFailure = `activity "${p.name}" failed after ${p.attempts} attempt(s): ${p.error}`;
      break;
    }
    case 'TimerFired': {
      const p = payload as typeof event.payload;
      const handler = on.timer?.[p.name];
      if (handler) call = () => handler(state, ctx);
      break;
    }
    case 'SignalReceived': {
      const p = payload as typeof event.payload;
      const handler = on.signal?.[p.name];
      if (handler) call = () => handler(state, p.payload, ctx);
      break;
    }
    default:
      return { commands: [] };
  }
  if (defaultFailure !== undefined) return { commands: [{ kind: 'fail', reason: defaultFailure }] };
  if (call === undefined) return { commands: ctx.takeCommands() };
  try {
    if (guard) runGuarded(call);
    else call();
    return { commands: ctx.takeCommands() };
  } catch (error) {
    ctx.takeCommands();
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : String(error);
    return { commands: [{ kind: 'fail', reason: `handler threw ${typeof code === 'string' ? `${code}: ` : ''}${message}` }], error };
  }
}

/** Updates an instance's status for a command event (the workflow's own end). */
export function applyCommandEvent(instance: InstanceRuntime, event: HistoryEvent): void {
  if (event.type === 'WorkflowCompleted') instance.status = 'completed';
  else if (event.type === 'WorkflowFailed') instance.status = 'failed';
}
