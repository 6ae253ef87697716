/**
 * `wfmirror status --predict`: the predicted future of the instances still running in an event
 * log. The log is replayed into a mirror with lead mode (the demo's order workflow: other
 * definitions are not known to the command, as for `wfmirror whatif`), which learns each activity's
 * results on the way; then, per running instance, what it waits for, what each awaited result is
 * predicted to be (and how sure the learner is), and the fields the predicted steps would change.
 * Nothing is written to the log.
 */
import { existsSync } from 'node:fs';
import { order } from '../../examples/order.js';
import { catchUp } from '../engine/catch-up.js';
import { FleetRegistry } from '../engine/fleet.js';
import { MirrorEngine } from '../engine/mirror-engine.js';
import { SqliteEventLog } from '../history/sqlite-event-log.js';
import { type InstancePrediction, predictInstance } from '../predict/instance-prediction.js';
import { LeadMode } from '../predict/lead-mode.js';

/** One instance's prediction, with the fields its predicted steps change. */
export interface PredictedFuture extends InstancePrediction {
  readonly changes: readonly { readonly field: string; readonly now: unknown; readonly predicted: unknown }[];
}

/** What `wfmirror status --predict --json` adds. */
export interface PredictionsReport {
  readonly replayedEvents: number;
  /** Instances still running in the log. */
  readonly running: number;
  /** The predictions shown: the asked instance, or the first `limit` running ones. */
  readonly instances: readonly PredictedFuture[];
}

/** Replays the log at `database` with lead mode and predicts (see the module comment). @throws Error without a log */
export async function readPredictions(
  database: string,
  options: { readonly workflowId?: string; readonly limit: number; readonly lookahead?: number },
): Promise<PredictionsReport> {
  if (!existsSync(database)) throw new Error(`no event log at ${database}`);
  const log = SqliteEventLog.open({ path: database });
  try {
    const lead = new LeadMode({ threshold: 0, lookahead: options.lookahead ?? 3 });
    const mirror = new MirrorEngine({ fleets: new FleetRegistry([order]), ...lead.hooks });
    const replayedEvents = await catchUp(log, mirror);
    const running = [...mirror.allInstances()].filter((i) => i.status === 'running');
    let chosen = running.slice(0, options.limit).map((i) => i.workflowId);
    if (options.workflowId !== undefined) {
      if (mirror.instance(options.workflowId) === undefined) throw new Error(`no instance ${options.workflowId} in ${database}`);
      chosen = [options.workflowId];
    }
    const instances = chosen.map((id) => {
      const prediction = predictInstance(mirror, lead, id)!;
      const state = mirror.instance(id)!.state;
      const changes = Object.entries(prediction.predictedState ?? {})
        .filter(([field, value]) => !Object.is(state[field], value))
        .map(([field, predicted]) => ({ field, now: state[field], predicted }));
      return { ...prediction, changes };
    });
    return { replayedEvents, running: running.length, instances };
  } finally {
    await log.close();
  }
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const show = (value: unknown) => (typeof value === 'number' ? number.format(value) : JSON.stringify(value));

/** How sure a prediction is, in words. */
function confidence(a: PredictedFuture['activities'][number]): string {
  if (a.source === 'definition') return "the definition's predict";
  const learned = a.learned;
  if (learned === undefined) return 'learned';
  const spread = learned.fields
    .map((f) =>
      f.kind === 'number' ? `${f.field} ±${number.format(f.sd)}` : `${f.field} ${Math.round(f.share * 100)}% of results`,
    )
    .join(', ');
  return `learned from ${learned.samples} results${spread === '' ? '' : `: ${spread}`}`;
}

/** The predictions as people read them. */
export function formatPredictions(report: PredictionsReport): string {
  const out = [
    `predicted future (log replayed: ${number.format(report.replayedEvents)} events; ${number.format(report.running)} instances running; showing ${report.instances.length})`,
  ];
  for (const p of report.instances) {
    out.push('', `${p.workflowId} at seq ${p.seq} (${p.status})`);
    if (p.activities.length === 0 && p.timers.length === 0) out.push('  waits for nothing lead mode can predict');
    for (const a of p.activities) {
      out.push(`  waits for ${a.activity} (seq ${a.scheduledSeq}): predicted ${show(a.predicted)} (${confidence(a)})`);
    }
    for (const t of p.timers) out.push(`  waits for timer ${t.name} (seq ${t.startedSeq}), due at ${number.format(t.fireAt)}`);
    if (p.steps > 0) {
      const changes = p.changes.map((c) => `${c.field} ${show(c.now)} -> ${show(c.predicted)}`).join(', ');
      out.push(`  after ${p.steps} predicted step${p.steps === 1 ? '' : 's'}: ${changes === '' ? 'no field changes' : changes}`);
    }
  }
  return out.join('\n');
}
