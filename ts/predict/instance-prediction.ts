/**
 * What a mirror with lead mode expects next for one instance (`wm.predict`, `wfmirror status
 * --predict`): the activities it waits for with their predicted results and where each prediction
 * comes from, the timers it waits for, and the state after the predicted steps.
 */
import type { MirrorEngine, MirrorInstance } from '../engine/mirror-engine.js';
import type { LeadMode, PredictionSource } from './lead-mode.js';
import type { LearnedPrediction } from './learned-predictor.js';

/** What the mirror expects next for one instance. */
export interface InstancePrediction {
  readonly workflowId: string;
  readonly seq: number;
  readonly status: MirrorInstance['status'];
  /** Activities scheduled and not settled, with their predicted results (only those lead mode could predict). */
  readonly activities: readonly {
    readonly activity: string;
    readonly scheduledSeq: number;
    readonly predicted: unknown;
    readonly source: PredictionSource;
    /** For a learned prediction: how many results it was learned from, and each field's spread. */
    readonly learned?: LearnedPrediction | undefined;
  }[];
  /** Timers started and not fired. */
  readonly timers: readonly { readonly name: string; readonly startedSeq: number; readonly fireAt: number }[];
  /** The state after the predicted steps (a copy), undefined when nothing is predicted. */
  readonly predictedState: Readonly<Record<string, unknown>> | undefined;
  readonly steps: number;
}

/**
 * The prediction for `workflowId` on `mirror` (built with `lead`'s hooks), or undefined for an
 * unknown instance. Runs the instance's branch now, from its current state (lead-mode.ts).
 */
export function predictInstance(mirror: MirrorEngine, lead: LeadMode, workflowId: string): InstancePrediction | undefined {
  const instance = mirror.instance(workflowId);
  if (instance === undefined) return undefined;
  const speculation = lead.speculation(instance);
  const timers: { name: string; startedSeq: number; fireAt: number }[] = [];
  for (const e of instance.outstanding ?? []) {
    if (e.type === 'TimerStarted') timers.push({ name: e.payload.name, startedSeq: e.seq, fireAt: e.payload.fireAt });
  }
  return {
    workflowId,
    seq: instance.seq,
    status: instance.status,
    activities: (speculation?.pending ?? []).map((p) => ({
      activity: p.activity,
      scheduledSeq: p.scheduledSeq,
      predicted: p.predicted,
      source: p.source,
      ...(p.source === 'learned' ? { learned: lead.predictor.predict(p.activity, p.input) } : {}),
    })),
    timers,
    predictedState: speculation?.state,
    steps: speculation?.steps ?? 0,
  };
}
