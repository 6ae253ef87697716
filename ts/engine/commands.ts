import type { Json, NewEvent } from '../history/events.js';

/** Commands are what handlers ask for, as data: the primary executes them, the mirror only checks them. */
export type Command =
  | { readonly kind: 'call'; readonly name: string; readonly input: unknown }
  | { readonly kind: 'sleep'; readonly name: string; readonly ms: number }
  | { readonly kind: 'complete'; readonly result: unknown }
  | { readonly kind: 'fail'; readonly reason: string };

/** One line that names a command, for reports. */
export function describeCommand(command: Command): string {
  switch (command.kind) {
    case 'call':
      return `call ${command.name}`;
    case 'sleep':
      return `sleep ${command.name} ${command.ms}ms`;
    case 'complete':
      return 'complete';
    case 'fail':
      return `fail (${command.reason})`;
  }
}

/** The history event that records a command. Timer fire times derive from the triggering event's time, so replay computes the same. */
export function commandEvent(command: Command, triggerTime: number, now: number): NewEvent {
  switch (command.kind) {
    case 'call':
      return { type: 'ActivityScheduled', time: now, payload: { name: command.name, input: command.input as Json } };
    case 'sleep':
      return { type: 'TimerStarted', time: now, payload: { name: command.name, fireAt: triggerTime + command.ms } };
    case 'complete':
      return { type: 'WorkflowCompleted', time: now, payload: { result: command.result as Json } };
    case 'fail':
      return { type: 'WorkflowFailed', time: now, payload: { reason: command.reason } };
  }
}
