/**
 * `wfmirror whatif`: a what-if from the command line, on an event log file. The log is replayed
 * into a mirror (the demo's order workflow; other definitions are not known to the command), then
 * the hypothesis in a JSON file runs on one instance (`instance`, optionally `fromSeq`) or on every
 * instance of `workflowType` that has `whenOpen` open (an activity or timer name; all when absent).
 * The log is opened read-only in effect: nothing is appended.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { order } from '../../examples/order.js';
import { type BackendChoice, createComparator } from '../compare/select-backend.js';
import { catchUp } from '../engine/catch-up.js';
import { FleetRegistry } from '../engine/fleet.js';
import { MirrorEngine } from '../engine/mirror-engine.js';
import { SqliteEventLog } from '../history/sqlite-event-log.js';
import { type FleetWhatIfResult, fleetWhatIf } from '../predict/fleet-what-if.js';
import type { HypotheticalEvent } from '../predict/hypothesis.js';
import { type WhatIfResult, whatIf } from '../predict/what-if.js';
import { table } from './format-summary.js';

/** The hypothesis file. */
export interface HypothesisFile {
  readonly workflowType: string;
  readonly events: readonly HypotheticalEvent[];
  /** One instance only (else the whole fleet of `workflowType`). */
  readonly instance?: string;
  /** With `instance`: fork after this seq of its history. */
  readonly fromSeq?: number;
  /** Fleet: only instances with an activity or timer of this name open. */
  readonly whenOpen?: string;
}

const EVENT_TYPES = ['ActivityCompleted', 'ActivityFailed', 'TimerFired', 'SignalReceived'];

/** The hypothesis in `text`, checked. @throws Error naming what is wrong */
export function parseHypothesis(text: string): HypothesisFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`the hypothesis is not JSON: ${(error as Error).message}`);
  }
  const h = raw as Partial<HypothesisFile> | null;
  if (typeof h !== 'object' || h === null) throw new Error('the hypothesis must be a JSON object');
  if (typeof h.workflowType !== 'string') throw new Error('hypothesis.workflowType must be a string');
  if (!Array.isArray(h.events)) throw new Error('hypothesis.events must be an array');
  h.events.forEach((e: unknown, i) => {
    const event = e as { type?: unknown; activity?: unknown; timer?: unknown; name?: unknown; error?: unknown } | null;
    if (typeof event !== 'object' || event === null || !EVENT_TYPES.includes(String(event.type))) {
      throw new Error(`hypothesis.events[${i}].type must be one of ${EVENT_TYPES.join(', ')}`);
    }
    const need = (key: 'activity' | 'timer' | 'name' | 'error') => {
      if (typeof event[key] !== 'string') throw new Error(`hypothesis.events[${i}].${key} must be a string`);
    };
    if (event.type === 'ActivityCompleted' || event.type === 'ActivityFailed') need('activity');
    if (event.type === 'ActivityFailed') need('error');
    if (event.type === 'TimerFired') need('timer');
    if (event.type === 'SignalReceived') need('name');
  });
  if (h.instance !== undefined && typeof h.instance !== 'string') throw new Error('hypothesis.instance must be a string');
  if (h.fromSeq !== undefined && (!Number.isSafeInteger(h.fromSeq) || h.instance === undefined)) {
    throw new Error('hypothesis.fromSeq must be an integer, and needs hypothesis.instance');
  }
  if (h.whenOpen !== undefined && typeof h.whenOpen !== 'string') throw new Error('hypothesis.whenOpen must be a string');
  return h as HypothesisFile;
}

/** What `wfmirror whatif --json` prints. */
export type WhatIfReport =
  | { readonly kind: 'instance'; readonly replayedEvents: number; readonly result: WhatIfResult }
  | {
      readonly kind: 'fleet';
      readonly replayedEvents: number;
      readonly result: Omit<FleetWhatIfResult, 'deviation' | 'affected' | 'workflowIds'>;
      readonly deviated: number;
      readonly maxDeviation: number;
      /** Instances by deviation, largest first (at most 10). */
      readonly top: readonly { readonly workflowId: string; readonly deviation: number }[];
    };

/** Runs the hypothesis on the log at `database` (see the module comment). */
export async function runWhatIf(
  database: string,
  hypothesis: HypothesisFile,
  backend: BackendChoice = 'js',
): Promise<WhatIfReport> {
  if (!existsSync(database)) throw new Error(`no event log at ${database}`);
  const log = SqliteEventLog.open({ path: database });
  try {
    const mirror = new MirrorEngine({ fleets: new FleetRegistry([order]) });
    const replayedEvents = await catchUp(log, mirror);
    if (hypothesis.instance !== undefined) {
      const result = await whatIf({
        log,
        mirror,
        workflowId: hypothesis.instance,
        events: hypothesis.events,
        ...(hypothesis.fromSeq === undefined ? {} : { fromSeq: hypothesis.fromSeq }),
      });
      return { kind: 'instance', replayedEvents, result };
    }
    const comparator = await createComparator({ backend });
    try {
      const { whenOpen } = hypothesis;
      const result = await fleetWhatIf({
        mirror,
        workflowType: hypothesis.workflowType,
        hypothesis: (i) => (whenOpen === undefined || i.open.some((o) => o.name === whenOpen) ? hypothesis.events : undefined),
        comparator,
      });
      const byDeviation = [...result.deviation.keys()].sort((a, b) => result.deviation[b]! - result.deviation[a]!);
      const { deviation, affected, workflowIds, ...rest } = result;
      return {
        kind: 'fleet',
        replayedEvents,
        result: rest,
        deviated: deviation.reduce((n, d) => n + (d > 0 ? 1 : 0), 0),
        maxDeviation: deviation.length === 0 ? 0 : deviation[byDeviation[0]!]!,
        top: byDeviation
          .slice(0, 10)
          .filter((i) => deviation[i]! > 0)
          .map((i) => ({ workflowId: workflowIds[i]!, deviation: deviation[i]! })),
      };
    } finally {
      comparator.dispose();
    }
  } finally {
    await log.close();
  }
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

/** The report as people read it. */
export function formatWhatIf(report: WhatIfReport): string {
  const out = [`replayed ${number.format(report.replayedEvents)} events from the log`];
  if (report.kind === 'instance') {
    const r = report.result;
    out.push(`what-if on ${r.workflowId}, forked after seq ${r.fromSeq}:`, '');
    out.push(
      table(
        ['step', 'event', 'commands', 'status'],
        r.steps.map((s, k) => [String(k + 1), s.event.type, s.commands.map((c) => c.kind).join(', ') || '-', s.status]),
      ),
      '',
      `ends ${r.status}; deviation from the real path ${number.format(r.deviation)} (fields: ${r.affectedFields.join(', ') || 'none'})`,
    );
    return out.join('\n');
  }
  const r = report.result;
  out.push(
    `what-if on every ${r.workflowType}: ${number.format(r.changed)} instances given the events, ${r.refused.length} refused; compared on ${r.backend}`,
    `${number.format(report.deviated)} instances deviate from the real fleet; largest deviation ${number.format(report.maxDeviation)}`,
  );
  if (report.top.length > 0) {
    out.push(
      '',
      table(
        ['instance', 'deviation'],
        report.top.map((t) => [t.workflowId, number.format(t.deviation)]),
      ),
    );
  }
  return out.join('\n');
}

/** Runs `wfmirror whatif`; returns the exit code. */
export async function runWhatIfCommand(
  args: string[],
  fail: (message: string) => never,
  write: (text: string) => void,
): Promise<number> {
  let values: { db?: string; hypothesis?: string; backend?: string; json?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: { db: { type: 'string' }, hypothesis: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.hypothesis === undefined) fail('--hypothesis FILE is required');
  let report: WhatIfReport;
  try {
    const hypothesis = parseHypothesis(readFileSync(values.hypothesis, 'utf8'));
    // An unknown backend name is refused by createComparator, with the names it knows.
    report = await runWhatIf(values.db ?? '.wfmirror/wfmirror.db', hypothesis, (values.backend ?? 'js') as BackendChoice);
  } catch (error) {
    fail((error as Error).message);
  }
  write(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : `${formatWhatIf(report)}\n`);
  return 0;
}
