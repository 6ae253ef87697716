/**
 * Runs handlers on a speculative branch: a copy of an instance's state, a scratch instance and a
 * context of its own, so nothing the real mirror holds (its instance, its matrix row, its
 * HandlerContext) is ever touched. The events it feeds the step are made up here, never logged.
 */

import type { Command } from '../engine/commands.js';
import { HandlerContext } from '../engine/handler-context.js';
import type { InstanceRuntime } from '../engine/instance.js';
import { runStep } from '../engine/step.js';
import type { HistoryEvent, Json } from '../history/events.js';

/** The state and commands after one speculative step. */
export interface BranchStep {
  readonly state: Record<string, unknown>;
  readonly commands: readonly Command[];
}

/** A handler threw on the branch; the caller skips the speculation. */
export class BranchHandlerThrew {
  constructor(readonly error: unknown) {}
}

/** Runs one completed / timer handler at a time on copies of instance states. */
export class SpeculativeRunner {
  private readonly ctx = new HandlerContext();

  constructor(private readonly guard: boolean) {}

  /**
   * A copy of `state` the branch may write. Schema fields hold primitives, so a shallow copy is
   * enough; a handler that put an object into its state gets a deep copy, since writing into that
   * object would otherwise reach the real instance.
   */
  copyState(state: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const copy: Record<string, unknown> = {};
    for (const key in state) {
      const value = state[key];
      copy[key] = typeof value === 'object' && value !== null ? structuredClone(value) : value;
    }
    return copy;
  }

  /**
   * Runs the completed handler of `activity` with `result` on `state` (which it changes).
   * `seq` and `time` stand in for the unknown ones of the real completion: the next seq and the
   * time of the event that triggered the speculation (handlers reading `ctx.now()` or
   * `ctx.random()` may see other values than the real completion will give them).
   */
  complete(
    real: InstanceRuntime,
    state: Record<string, unknown>,
    activity: string,
    scheduledSeq: number,
    result: unknown,
    seq: number,
    time: number,
  ): BranchStep | BranchHandlerThrew {
    const event = {
      workflowId: real.workflowId,
      seq,
      pos: 0,
      type: 'ActivityCompleted',
      time,
      payload: { name: activity, scheduledSeq, result: result as Json },
    } satisfies HistoryEvent;
    return this.run(real, state, event);
  }

  /** Runs the timer handler `name` on `state`, at the timer's fire time. */
  fireTimer(
    real: InstanceRuntime,
    state: Record<string, unknown>,
    name: string,
    startedSeq: number,
    seq: number,
    time: number,
  ): BranchStep | BranchHandlerThrew {
    const event = {
      workflowId: real.workflowId,
      seq,
      pos: 0,
      type: 'TimerFired',
      time,
      payload: { name, startedSeq },
    } satisfies HistoryEvent;
    return this.run(real, state, event);
  }

  private run(real: InstanceRuntime, state: Record<string, unknown>, event: HistoryEvent): BranchStep | BranchHandlerThrew {
    // A scratch instance: runStep reads compiled, workflowId, idHash and state; it writes only state.
    const scratch: InstanceRuntime = {
      workflowId: real.workflowId,
      idHash: real.idHash,
      compiled: real.compiled,
      row: real.row,
      state,
      seq: event.seq,
      status: 'running',
      startedFingerprint: real.startedFingerprint,
    };
    const commands = runStep(scratch, event, event.payload, this.ctx, this.guard);
    if (this.ctx.lastError !== undefined) return new BranchHandlerThrew(this.ctx.lastError);
    return { state, commands };
  }
}
