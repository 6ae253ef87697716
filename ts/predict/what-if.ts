/**
 * What-if (issue 6, point 3, one instance): forks an instance's mirrored state, at its current seq
 * or a past one, applies hypothetical events with the same handlers, and says what would have
 * happened: the states, the commands that would be issued, and how far the end differs from the
 * real path. The fork is a MirrorEngine of its own on fleets of its own: a copy of the mirror's
 * instance when forked now, else rebuilt from the log's history of the instance; it has no primary, appends nothing and runs no activity, so nothing of
 * it reaches the real primary, the log or an activity, and it is garbage once this returns.
 *
 * How hypothetical events settle open commands, and why the commands they issue are applied as
 * command events, is in hypothesis.ts.
 */
import { compareRowsSync } from '../compare/backends/js.js';
import { DEFAULT_MISSING_WEIGHT } from '../compare/comparator.js';
import { FleetRegistry } from '../engine/fleet.js';
import { MirrorEngine, type MirrorInstance } from '../engine/mirror-engine.js';
import type { EventLog } from '../history/event-log.js';
import { WhatIfError } from './errors.js';
import { applyHypothesis, type HypotheticalEvent, settleIssued, type WhatIfStep } from './hypothesis.js';

export type { HypotheticalEvent, WhatIfStep } from './hypothesis.js';

/** What {@link whatIf} found. */
export interface WhatIfResult {
  readonly workflowId: string;
  /** The seq the fork started from (the real history up to it was replayed). */
  readonly fromSeq: number;
  readonly steps: readonly WhatIfStep[];
  /** Where the hypothesis ends. */
  readonly state: Readonly<Record<string, unknown>>;
  readonly status: MirrorInstance['status'];
  /** Deviation (DESIGN.md section 6) of the hypothetical end from the instance's real state now, and the fields that differ. */
  readonly deviation: number;
  readonly affectedFields: readonly string[];
  /** The real state the end was compared with, and its seq. */
  readonly real: { readonly seq: number; readonly state: Readonly<Record<string, unknown>> };
}

/** Options of {@link whatIf}. */
export interface WhatIfOptions {
  readonly log: EventLog;
  /** The real mirror: its instance gives the definition and the real state to compare with. */
  readonly mirror: MirrorEngine;
  readonly workflowId: string;
  readonly events: readonly HypotheticalEvent[];
  /** Fork after this seq of the real history (default: the mirror's current seq for the instance). */
  readonly fromSeq?: number;
  readonly missingWeight?: number;
}

/**
 * Runs a hypothesis on a fork of one instance (see the module comment).
 * @throws WhatIfError for an unknown instance, a `fromSeq` outside its history, or a hypothetical
 *   event that settles nothing open on the fork (nothing is changed anywhere in any case)
 */
export async function whatIf(options: WhatIfOptions): Promise<WhatIfResult> {
  const { workflowId } = options;
  const real = options.mirror.instance(workflowId);
  if (real === undefined) throw new WhatIfError(workflowId, 'the mirror has no such instance');
  const fromSeq = options.fromSeq ?? real.seq;
  if (!Number.isSafeInteger(fromSeq) || fromSeq < 1 || fromSeq > real.seq) {
    throw new WhatIfError(workflowId, `fromSeq must be an integer from 1 to ${real.seq}, got ${String(fromSeq)}`);
  }
  const fleets = new FleetRegistry([real.compiled.definition]);
  let fork: MirrorEngine;
  let time: number;
  if (fromSeq === real.seq && real.outstandingKnown) {
    // From now: a copy of the mirror's instance, no log read.
    fork = options.mirror.fork(fleets, [workflowId]);
    time = real.triggerTime;
  } else {
    // From the past, or for an instance restored from a checkpoint (its open commands are not
    // held): rebuilt from the log.
    const history = await options.log.readInstance(workflowId, 1, fromSeq);
    if (history.length !== fromSeq) {
      throw new WhatIfError(workflowId, `the log holds ${history.length} of the first ${fromSeq} events`);
    }
    fork = new MirrorEngine({ fleets });
    fork.apply(history);
    time = history[history.length - 1]!.time;
  }
  const instance = fork.instance(workflowId)!;
  // A fork point between an event and the command events its handler issued: the rest are what
  // the primary logged (or would have) next, so they are part of the state forked from.
  settleIssued(instance, fork, time);

  const steps = applyHypothesis(fork, instance, options.events, time);

  const layout = real.compiled.layout;
  const hypotheticalRow = new Float64Array(layout.stride);
  const realRow = new Float64Array(layout.stride);
  layout.encode(instance.state, hypotheticalRow, 0);
  layout.encode(real.state, realRow, 0);
  const comparison = compareRowsSync(realRow, hypotheticalRow, layout, {
    rowStart: 0,
    rowCount: 1,
    missingWeight: options.missingWeight ?? DEFAULT_MISSING_WEIGHT,
  });
  const affectedFields = layout.names.filter((_, j) => ((comparison.affected[j >> 5]! >>> (j & 31)) & 1) === 1);
  return {
    workflowId,
    fromSeq,
    steps,
    state: { ...instance.state },
    status: instance.status,
    deviation: comparison.deviation[0]!,
    affectedFields,
    real: { seq: real.seq, state: { ...real.state } },
  };
}
