/**
 * Fleet-wide what-if (issue 6, point 3): one hypothesis ("every open charge fails") over every
 * instance of a workflow type. The mirror's instances of that type are forked in memory
 * (`MirrorEngine.fork`: states, seqs, open commands; no replay, no log read), the hypothesis gives
 * each instance its events (or none), the fork applies them with the same handlers, and the forked
 * fleet's matrix is compared with the real one in one batch on the comparator given (the active
 * backend), row for row. Nothing reaches the primary, the log or an activity.
 */
import { compareRowsSync } from '../compare/backends/js.js';
import { type Comparator, type ComparisonResult, DEFAULT_MISSING_WEIGHT } from '../compare/comparator.js';
import { FleetRegistry } from '../engine/fleet.js';
import type { MirrorEngine, MirrorInstance } from '../engine/mirror-engine.js';
import { WhatIfError } from './errors.js';
import { applyHypothesis, type HypotheticalEvent } from './hypothesis.js';

/** What a hypothesis sees of one instance. */
export interface FleetWhatIfInstance {
  readonly workflowId: string;
  readonly seq: number;
  readonly status: MirrorInstance['status'];
  readonly state: Readonly<Record<string, unknown>>;
  /** Open commands: activities scheduled without an outcome, timers not fired. */
  readonly open: readonly { readonly kind: 'activity' | 'timer'; readonly name: string; readonly seq: number }[];
}

/** Options of {@link fleetWhatIf}. */
export interface FleetWhatIfOptions {
  readonly mirror: MirrorEngine;
  readonly workflowType: string;
  /** The events for one instance, or undefined / [] to leave it as it is. */
  readonly hypothesis: (instance: FleetWhatIfInstance) => readonly HypotheticalEvent[] | undefined;
  /** The backend that compares the forked fleet with the real one (default: the js reference, on this thread). */
  readonly comparator?: Comparator;
  readonly missingWeight?: number;
}

/** What {@link fleetWhatIf} found, row by row. */
export interface FleetWhatIfResult {
  readonly workflowType: string;
  /** `workflowIds[i]` is the instance of `deviation[i]` and of mask words `i * maskWords ..`. */
  readonly workflowIds: readonly string[];
  readonly deviation: Float64Array;
  readonly affected: Uint32Array;
  readonly maskWords: number;
  /** Instances the hypothesis gave events to, and those whose events could not apply (left as they were on the fork). */
  readonly changed: number;
  readonly refused: readonly { readonly workflowId: string; readonly reason: string }[];
  readonly backend: string;
  readonly timings: { readonly forkMs: number; readonly applyMs: number; readonly compareMs: number };
}

/**
 * Runs `hypothesis` over every instance of `workflowType` in `mirror` (see the module comment).
 * @throws UnknownWorkflowError for a type the mirror does not run; what the comparator throws
 */
export async function fleetWhatIf(options: FleetWhatIfOptions): Promise<FleetWhatIfResult> {
  const { mirror, workflowType } = options;
  const realFleet = mirror.fleets.get(workflowType);
  const started = performance.now();
  const ids: string[] = [];
  for (const instance of mirror.allInstances()) if (instance.compiled.name === workflowType) ids.push(instance.workflowId);
  const forkFleets = new FleetRegistry([realFleet.compiled.definition]);
  const fork = mirror.fork(forkFleets, ids);
  const forkFleet = forkFleets.get(workflowType);
  const forked = performance.now();

  let changed = 0;
  const refused: { workflowId: string; reason: string }[] = [];
  for (const id of ids) {
    const instance = fork.instance(id)!;
    const events = options.hypothesis(view(instance));
    if (events === undefined || events.length === 0) continue;
    changed++;
    try {
      applyHypothesis(fork, instance, events, instance.triggerTime);
    } catch (error) {
      if (!(error instanceof WhatIfError)) throw error;
      refused.push({ workflowId: id, reason: error.problem });
    }
  }
  const applied = performance.now();

  // Row i of both sides must be the same instance; rows are given out in creation order on both
  // sides, so they normally are, and otherwise both sides are gathered in `ids` order.
  const layout = realFleet.compiled.layout;
  const aligned = ids.every((id, i) => realFleet.index.get(id) === i && forkFleet.index.get(id) === i);
  const realRows = aligned ? realFleet.mirror.data : gather(realFleet.mirror.data, ids, realFleet.index, layout.stride);
  const forkRows = aligned ? forkFleet.mirror.data : gather(forkFleet.mirror.data, ids, forkFleet.index, layout.stride);
  const compareOptions = { rowStart: 0, rowCount: ids.length, missingWeight: options.missingWeight ?? DEFAULT_MISSING_WEIGHT };
  const result: ComparisonResult =
    options.comparator === undefined
      ? compareRowsSync(realRows, forkRows, layout, compareOptions)
      : await options.comparator.compare(realRows, forkRows, layout, compareOptions);
  const compared = performance.now();
  return {
    workflowType,
    workflowIds: ids,
    // Copies: a backend's result may be a view into memory it reuses.
    deviation: result.deviation.slice(0, ids.length),
    affected: result.affected.slice(0, ids.length * result.maskWords),
    maskWords: result.maskWords,
    changed,
    refused,
    backend: options.comparator?.name ?? 'js',
    timings: { forkMs: forked - started, applyMs: applied - forked, compareMs: compared - applied },
  };
}

function view(instance: MirrorInstance): FleetWhatIfInstance {
  const open: FleetWhatIfInstance['open'][number][] = [];
  for (const e of instance.outstanding ?? []) {
    if (e.type === 'ActivityScheduled') open.push({ kind: 'activity', name: e.payload.name, seq: e.seq });
    else if (e.type === 'TimerStarted') open.push({ kind: 'timer', name: e.payload.name, seq: e.seq });
  }
  return { workflowId: instance.workflowId, seq: instance.seq, status: instance.status, state: instance.state, open };
}

/** The rows of `ids` (by `index`), contiguous, in that order. */
function gather(
  data: Float64Array,
  ids: readonly string[],
  index: { get(id: string): number | undefined },
  stride: number,
): Float64Array {
  const out = new Float64Array(ids.length * stride);
  ids.forEach((id, i) => {
    const row = index.get(id)!;
    out.set(data.subarray(row * stride, (row + 1) * stride), i * stride);
  });
  return out;
}
