/**
 * `wfmirror status`: what the event log says about the deployment writing to it: the epoch, the
 * log's last position, the primary's last heartbeat, and each mirror's last reported position and
 * lag (`startMirrorReports`). Read from the log file, so it works from any process. With
 * `--predict [ID]`, also the predicted future of running instances (status-predictions.ts).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Heartbeat } from '../history/event-log.js';
import { SqliteEventLog } from '../history/sqlite-event-log.js';
import { type ProtectionStatus, protectionStatusFromLog } from '../recovery/mirror-lag.js';
import { table } from './format-summary.js';
import { runNodeStatusCommand } from './node-status.js';
import { formatPredictions, type PredictionsReport, readPredictions } from './status-predictions.js';

/** What `wfmirror status --json` prints. */
export interface StatusReport extends ProtectionStatus {
  readonly database: string;
  /** The primary's last heartbeat, its age, and what it means. */
  readonly primary:
    | (Heartbeat & { readonly ageMs: number; readonly state: 'alive' | 'silent' | 'replaced' })
    | { readonly state: 'no heartbeat' };
}

/** Reads the status of the log at `database`. @throws Error when there is no log there */
export async function readStatus(
  database: string,
  staleAfterMs: number,
  deadAfterMs: number,
  now = Date.now(),
): Promise<StatusReport> {
  if (!existsSync(database)) throw new Error(`no event log at ${database}`);
  const log = SqliteEventLog.open({ path: database });
  try {
    const status = await protectionStatusFromLog(log, { staleAfterMs, now });
    const beat = await log.lastHeartbeat();
    const primary: StatusReport['primary'] =
      beat === undefined
        ? { state: 'no heartbeat' }
        : {
            ...beat,
            ageMs: now - beat.time,
            state: beat.epoch < status.epoch ? 'replaced' : now - beat.time > deadAfterMs ? 'silent' : 'alive',
          };
    return { database, ...status, primary };
  } finally {
    await log.close();
  }
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const age = (ms: number) => (ms < 1_000 ? `${number.format(ms)} ms ago` : `${(ms / 1_000).toFixed(1)} s ago`);

/** The status as people read it. */
export function formatStatus(s: StatusReport, now = Date.now()): string {
  const p = s.primary;
  const out = [
    `event log ${s.database}: epoch ${s.epoch}, last position ${number.format(s.logPosition)}`,
    p.state === 'no heartbeat'
      ? 'primary: no heartbeat recorded'
      : `primary: ${p.owner}, epoch ${p.epoch}, last heartbeat ${age(p.ageMs)} (${p.state})`,
    '',
  ];
  if (s.mirrors.length > 0) {
    out.push(
      table(
        ['mirror', 'applied', 'lag (events)', 'reported', 'following'],
        s.mirrors.map((m) => [
          m.name,
          number.format(m.position),
          number.format(m.lag),
          m.reportedAt === undefined ? '-' : age(now - m.reportedAt),
          m.stale === true ? 'no (stale)' : 'yes',
        ]),
      ),
      '',
    );
  }
  out.push(`status: ${s.state}${s.state === 'unmirrored' ? ' (no mirror reported its position recently)' : ''}`);
  return out.join('\n');
}

/** Runs `wfmirror status`; returns the exit code (0, or 1 when unmirrored). */
export async function runStatusCommand(
  args: string[],
  fail: (message: string) => never,
  write: (text: string) => void,
): Promise<number> {
  // A deployment of primary and mirror nodes (docs/DEPLOYMENT.md) is read from Redis, not from a log file.
  if (args.some((a) => a === '--redis' || a.startsWith('--redis='))) return runNodeStatusCommand(args, fail, write);
  let values: {
    db?: string;
    json?: boolean;
    'stale-ms'?: string;
    'dead-after-ms'?: string;
    predict?: boolean;
    instance?: string;
    limit?: string;
  };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        db: { type: 'string' },
        json: { type: 'boolean' },
        'stale-ms': { type: 'string' },
        'dead-after-ms': { type: 'string' },
        predict: { type: 'boolean' },
        instance: { type: 'string' },
        limit: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  const ms = (name: 'stale-ms' | 'dead-after-ms', fallback: number) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) fail(`--${name} must be a positive number of milliseconds, got ${JSON.stringify(raw)}`);
    return n;
  };
  const staleMs = ms('stale-ms', 10_000);
  const deadMs = ms('dead-after-ms', 5_000);
  const database = values.db ?? '.wfmirror/wfmirror.db';
  let status: StatusReport;
  try {
    status = await readStatus(database, staleMs, deadMs);
  } catch (error) {
    fail((error as Error).message);
  }
  let predictions: PredictionsReport | undefined;
  if (values.predict === true || values.instance !== undefined) {
    const limit = values.limit === undefined ? 10 : Number(values.limit);
    if (!Number.isSafeInteger(limit) || limit < 1)
      fail(`--limit must be a positive integer, got ${JSON.stringify(values.limit)}`);
    try {
      predictions = await readPredictions(database, {
        limit,
        ...(values.instance === undefined ? {} : { workflowId: values.instance }),
      });
    } catch (error) {
      fail((error as Error).message);
    }
  }
  if (values.json === true) {
    write(`${JSON.stringify(predictions === undefined ? status : { ...status, predictions }, null, 2)}\n`);
  } else {
    write(`${formatStatus(status)}\n${predictions === undefined ? '' : `\n${formatPredictions(predictions)}\n`}`);
  }
  return status.state === 'mirrored' ? 0 : 1;
}
