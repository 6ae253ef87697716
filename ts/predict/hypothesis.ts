/**
 * Hypothetical events on a forked mirror (what-if, ts/predict/what-if.ts and fleet-what-if.ts).
 * A mirror only checks commands against a history, and past the fork point there is none: after
 * each hypothetical event the commands its handler issued are turned into the command events the
 * primary would log and applied too, so later hypothetical events can settle them.
 */
import type { Command } from '../engine/commands.js';
import { commandEvent } from '../engine/commands.js';
import type { MirrorEngine, MirrorInstance } from '../engine/mirror-engine.js';
import type { HistoryEvent, Json, NewEvent } from '../history/events.js';
import { WhatIfError } from './errors.js';

/** A hypothetical inbound event. */
export type HypotheticalEvent =
  | { readonly type: 'ActivityCompleted'; readonly activity: string; readonly result: Json; readonly scheduledSeq?: number }
  | { readonly type: 'ActivityFailed'; readonly activity: string; readonly error: string; readonly scheduledSeq?: number }
  | { readonly type: 'TimerFired'; readonly timer: string }
  | { readonly type: 'SignalReceived'; readonly name: string; readonly payload?: Json };

/** One hypothetical event and what the handlers did with it. */
export interface WhatIfStep {
  /** The event as applied on the fork (with the seq it got there). */
  readonly event: HistoryEvent;
  /** The commands the handler issued for it. */
  readonly commands: readonly Command[];
  /** The state after it and its commands (a copy). */
  readonly state: Readonly<Record<string, unknown>>;
  readonly status: MirrorInstance['status'];
}

/**
 * Applies `events` to `instance` of the fork `fork`, each followed by its handler's command events.
 * @throws WhatIfError when an event settles nothing open, or the instance has ended
 */
export function applyHypothesis(
  fork: MirrorEngine,
  instance: MirrorInstance,
  events: readonly HypotheticalEvent[],
  startTime: number,
): WhatIfStep[] {
  const steps: WhatIfStep[] = [];
  let time = startTime;
  for (const hypothetical of events) {
    if (instance.status !== 'running')
      throw new WhatIfError(instance.workflowId, `the instance is ${instance.status} on the fork`);
    const inbound = stored(instance, toEvent(instance, hypothetical, time));
    fork.apply([inbound]);
    const commands = settleIssued(instance, fork, inbound.time);
    steps.push({ event: inbound, commands, state: { ...instance.state }, status: instance.status });
    time = inbound.time;
  }
  return steps;
}

/**
 * Applies the command events of the commands the instance's last handler issued and the fork has
 * not seen yet, as the primary would log them, one by one so the fork's history goes on (see the
 * module comment). Returns those commands.
 */
export function settleIssued(instance: MirrorInstance, fork: MirrorEngine, time: number): Command[] {
  const commands = instance.expected.slice(instance.expectedHead);
  for (const command of commands) fork.apply([stored(instance, commandEvent(command, time, time))]);
  return commands;
}

let nextPos = 0;

/** `event` as the fork's next history event of `instance`. */
function stored(instance: MirrorInstance, event: NewEvent): HistoryEvent {
  // Positions only order the fork's own events; they never meet the real log's.
  nextPos++;
  return { ...event, workflowId: instance.workflowId, seq: instance.seq + 1, pos: nextPos } as HistoryEvent;
}

/** The inbound event a hypothesis stands for, settling what is open on the fork. */
function toEvent(instance: MirrorInstance, h: HypotheticalEvent, time: number): NewEvent {
  const open = instance.outstanding ?? [];
  switch (h.type) {
    case 'ActivityCompleted':
    case 'ActivityFailed': {
      const scheduled = open.find(
        (e) =>
          e.type === 'ActivityScheduled' &&
          e.payload.name === h.activity &&
          (h.scheduledSeq === undefined || e.seq === h.scheduledSeq),
      );
      if (scheduled === undefined) {
        throw new WhatIfError(
          instance.workflowId,
          `no ${h.activity} activity is open on the fork${h.scheduledSeq === undefined ? '' : ` at seq ${h.scheduledSeq}`}`,
        );
      }
      return h.type === 'ActivityCompleted'
        ? { type: 'ActivityCompleted', time, payload: { name: h.activity, scheduledSeq: scheduled.seq, result: h.result } }
        : {
            type: 'ActivityFailed',
            time,
            payload: { name: h.activity, scheduledSeq: scheduled.seq, error: h.error, attempts: 1 },
          };
    }
    case 'TimerFired': {
      const started = open.find((e) => e.type === 'TimerStarted' && e.payload.name === h.timer);
      if (started === undefined || started.type !== 'TimerStarted')
        throw new WhatIfError(instance.workflowId, `no timer ${h.timer} is open on the fork`);
      return {
        type: 'TimerFired',
        time: Math.max(time, started.payload.fireAt),
        payload: { name: h.timer, startedSeq: started.seq },
      };
    }
    case 'SignalReceived':
      return { type: 'SignalReceived', time, payload: { name: h.name, payload: h.payload ?? null } };
  }
}
