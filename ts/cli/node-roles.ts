/**
 * `wfmirror primary-node` and `wfmirror mirror-node`: the two roles of a deployment across
 * machines (docs/DEPLOYMENT.md), on the demo's order workflow. A primary node serves the order
 * workload (ts/node/order-workload.ts) on its own SQLite log and publishes it to Redis; a mirror
 * node follows the shards it owns and writes anomaly reports. Both print `ready` once they run
 * and shut down gracefully on SIGTERM or SIGINT (drain, acknowledge, flush, close), then print
 * `stopped` and, with `--summary FILE`, write what they did as JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import type { BackendChoice } from '../compare/select-backend.js';
import { MirrorNode } from '../node/mirror-node.js';
import { orderId, parseWorkloadFault, runOrderWorkload } from '../node/order-workload.js';
import { PrimaryNode } from '../node/primary-node.js';
import { parsePublisherFault } from '../stream/redis/publisher-faults.js';

/** Where the roles write their lines (stdout by default). */
export type LineWriter = (line: string) => void;

const stdoutLine: LineWriter = (line) => process.stdout.write(`${line}\n`);
const stderrLine: LineWriter = (line) => process.stderr.write(`${line}\n`);

/** The `primary-node` usage, for `wfmirror --help`. */
export const PRIMARY_NODE_HELP = `  wfmirror primary-node --redis URL --name NAME [--db FILE] [--shards N] [--prefix P]
                        [--instances N] [--id-prefix P] [--window N] [--pace-ms N]
                        [--fault KIND@I]... [--transport-fault KIND@N]... [--delta-ms N]
                        [--trim-ms N] [--summary FILE] [--exit-when-done]
      A primary node: runs N order workflows (default 1,000; ids <id-prefix>order-000000...)
      on its SQLite log (default .wfmirror/<name>.db), publishes every durable batch to the
      shard streams in Redis (default 4 shards, keys under wfm:) and its state deltas every
      --delta-ms (default 100), registers its log for the mirrors, and trims what both groups
      acknowledged. Prints "ready", then "done" when the workload is published; stays up until
      SIGTERM (--exit-when-done: exits then). --fault injects an engine fault into instance I
      (corrupt-field, duplicate-delivery, drop-delivery, changed-handler, altered-result,
      swapped-calls); --transport-fault damages the stream (duplicate@N, reorder@N, corrupt@N).
`;

/** The `mirror-node` usage, for `wfmirror --help`. */
export const MIRROR_NODE_HELP = `  wfmirror mirror-node --redis URL --name NAME [--shards N] [--own 0,1,...] [--prefix P]
                       [--backend NAME] [--profile P] [--threshold X] [--jsonl FILE]
                       [--store FILE] [--compare-ms N] [--claim-idle-ms N] [--ack-delay-ms N]
                       [--summary FILE]
      A mirror node: replays the shards it owns (default all) from the primaries' logs, then
      follows their streams in group "mirror", applies the primaries' deltas, compares on the
      chosen backend (default auto: this machine's hardware profile) and writes anomaly reports
      (--jsonl, --store). Entries idle longer than --claim-idle-ms (default 30,000) are claimed
      from a dead node. Prints "ready"; on SIGTERM stops reading, finishes, acknowledges,
      compares once more, flushes the reports and exits.
`;

function positiveInt(fail: (message: string) => never, name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** Resolves on the first SIGTERM or SIGINT. */
function shutdownSignal(): { readonly requested: () => boolean; readonly wait: Promise<void> } {
  let requested = false;
  const wait = new Promise<void>((resolve) => {
    const on = () => {
      requested = true;
      resolve();
    };
    process.once('SIGTERM', on);
    process.once('SIGINT', on);
  });
  return { requested: () => requested, wait };
}

function writeSummary(path: string | undefined, summary: unknown): void {
  if (path === undefined) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(summary, null, 2)}\n`);
}

function errorLine(error: unknown): string {
  return error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error);
}

/** Runs `wfmirror primary-node`; resolves with the exit code once the node has shut down. */
export async function runPrimaryNodeCommand(
  args: string[],
  fail: (message: string) => never,
  write: LineWriter = stdoutLine,
  log: LineWriter = stderrLine,
): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        redis: { type: 'string' },
        name: { type: 'string' },
        db: { type: 'string' },
        shards: { type: 'string' },
        prefix: { type: 'string' },
        instances: { type: 'string' },
        'id-prefix': { type: 'string' },
        window: { type: 'string' },
        'pace-ms': { type: 'string' },
        fault: { type: 'string', multiple: true },
        'transport-fault': { type: 'string', multiple: true },
        'delta-ms': { type: 'string' },
        'trim-ms': { type: 'string' },
        summary: { type: 'string' },
        'exit-when-done': { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  const redisUrl = values['redis'] as string | undefined;
  const name = values['name'] as string | undefined;
  if (redisUrl === undefined) fail('primary-node needs --redis URL');
  if (name === undefined) fail('primary-node needs --name NAME');
  const idPrefix = (values['id-prefix'] as string | undefined) ?? `${name}-`;
  let faults: ReturnType<typeof parseWorkloadFault>[];
  let transportFaults: ReturnType<typeof parsePublisherFault>[];
  try {
    faults = ((values['fault'] as string[] | undefined) ?? []).map((spec) => parseWorkloadFault(spec, idPrefix));
    transportFaults = ((values['transport-fault'] as string[] | undefined) ?? []).map(parsePublisherFault);
  } catch (error) {
    fail((error as Error).message);
  }
  const shards = positiveInt(fail, 'shards', values['shards'] as string | undefined, 4);
  const instances = positiveInt(fail, 'instances', values['instances'] as string | undefined, 1_000);
  const signal = shutdownSignal();
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const errors: string[] = [];
  let node: PrimaryNode;
  try {
    node = await PrimaryNode.open({
      redisUrl,
      ...(values['prefix'] !== undefined ? { prefix: values['prefix'] as string } : {}),
      shards,
      name,
      dbPath: (values['db'] as string | undefined) ?? join('.wfmirror', `${name}.db`),
      workflows: [order],
      activities: simulatedOrderActivities(),
      clock,
      faults,
      transportFaults,
      deltaIntervalMs: positiveInt(fail, 'delta-ms', values['delta-ms'] as string | undefined, 100),
      trimIntervalMs: positiveInt(fail, 'trim-ms', values['trim-ms'] as string | undefined, 5_000),
      onError: (error) => {
        if (errors.length < 50) errors.push(errorLine(error));
      },
    });
  } catch (error) {
    log(`wfmirror primary-node: ${errorLine(error)}`);
    return 1;
  }
  write('ready');
  let started = 0;
  try {
    started = await runOrderWorkload(node, clock, {
      instances,
      idPrefix,
      window: positiveInt(fail, 'window', values['window'] as string | undefined, 50),
      paceMs: positiveInt(fail, 'pace-ms', values['pace-ms'] as string | undefined, 0),
      onProgress: (n) => write(`progress ${n}`),
      stopRequested: signal.requested,
    });
    if (!signal.requested()) {
      await node.drain();
      write('done');
      if (values['exit-when-done'] !== true) await signal.wait;
    }
  } catch (error) {
    log(`wfmirror primary-node: ${errorLine(error)}`);
  }
  await node.close();
  writeSummary(values['summary'] as string | undefined, {
    name,
    started,
    lastInstance: started > 0 ? orderId(idPrefix, started - 1) : null,
    stats: node.stats(),
    faultsFired: node.faultsFired,
    errors,
  });
  write('stopped');
  return 0;
}

/** Runs `wfmirror mirror-node`; resolves with the exit code once the node has shut down. */
export async function runMirrorNodeCommand(
  args: string[],
  fail: (message: string) => never,
  write: LineWriter = stdoutLine,
  log: LineWriter = stderrLine,
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        redis: { type: 'string' },
        name: { type: 'string' },
        shards: { type: 'string' },
        own: { type: 'string' },
        prefix: { type: 'string' },
        backend: { type: 'string' },
        profile: { type: 'string' },
        threshold: { type: 'string' },
        jsonl: { type: 'string' },
        store: { type: 'string' },
        'compare-ms': { type: 'string' },
        'claim-idle-ms': { type: 'string' },
        'ack-delay-ms': { type: 'string' },
        summary: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  const redisUrl = values['redis'] as string | undefined;
  const name = values['name'] as string | undefined;
  if (redisUrl === undefined) fail('mirror-node needs --redis URL');
  if (name === undefined) fail('mirror-node needs --name NAME');
  const shards = positiveInt(fail, 'shards', values['shards'] as string | undefined, 4);
  const ownRaw = values['own'] as string | undefined;
  const owned = ownRaw === undefined ? undefined : ownRaw.split(',').map((s) => positiveInt(fail, 'own', s.trim(), 0));
  const thresholdRaw = values['threshold'] as string | undefined;
  const threshold = thresholdRaw === undefined ? 0.5 : Number(thresholdRaw);
  if (!Number.isFinite(threshold) || threshold < 0)
    fail(`--threshold must be a number >= 0, got ${JSON.stringify(thresholdRaw)}`);
  const signal = shutdownSignal();
  const errors: string[] = [];
  let node: MirrorNode;
  try {
    node = await MirrorNode.open({
      redisUrl,
      ...(values['prefix'] !== undefined ? { prefix: values['prefix'] as string } : {}),
      shards,
      ...(owned !== undefined ? { owned } : {}),
      name,
      workflows: [order],
      accelerator: {
        backend: ((values['backend'] as string | undefined) ?? 'auto') as BackendChoice,
        ...(values['profile'] !== undefined ? { profile: values['profile'] as string } : {}),
      },
      threshold,
      ...(values['jsonl'] !== undefined ? { jsonl: values['jsonl'] as string } : {}),
      ...(values['store'] !== undefined ? { store: values['store'] as string } : {}),
      compareEveryMs: positiveInt(fail, 'compare-ms', values['compare-ms'] as string | undefined, 250),
      claimIdleMs: positiveInt(fail, 'claim-idle-ms', values['claim-idle-ms'] as string | undefined, 30_000),
      ackDelayMs: positiveInt(fail, 'ack-delay-ms', values['ack-delay-ms'] as string | undefined, 0),
      onError: (error) => {
        if (errors.length < 50) errors.push(errorLine(error));
      },
    });
  } catch (error) {
    log(`wfmirror mirror-node: ${errorLine(error)}`);
    return 1;
  }
  write('ready');
  await signal.wait;
  await node.close();
  writeSummary(values['summary'] as string | undefined, {
    name,
    shards: node.owned,
    stats: node.stats(),
    positions: Object.fromEntries(node.positions),
    instances: node.instances(),
    errors,
  });
  write('stopped');
  return 0;
}
