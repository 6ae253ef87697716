/**
 * Helpers of the multi-process tests: node role processes (built code, `dist/ts/cli/main.js` primary-node / mirror-node),
 * waiting on their output and on Redis, and the undisturbed reference a disturbed run must match.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import { readJsonlReports } from '../../ts/anomaly/jsonl-sink.js';
import type { AnomalyReport } from '../../ts/anomaly/report.js';
import { VirtualClock } from '../../ts/clock/virtual-clock.js';
import { FaultPlan } from '../../ts/engine/faults.js';
import { FleetRegistry } from '../../ts/engine/fleet.js';
import { MirrorEngine } from '../../ts/engine/mirror-engine.js';
import { PrimaryEngine } from '../../ts/engine/primary-engine.js';
import { MemoryEventLog } from '../../ts/history/memory-event-log.js';
import type { MirroredInstance, MirrorNodeStats } from '../../ts/node/mirror-node.js';
import { parseWorkloadFault, runOrderWorkload } from '../../ts/node/order-workload.js';
import { ReadonlySqliteLog } from '../../ts/node/readonly-sqlite-log.js';
import { streamKeys } from '../../ts/stream/redis/keys.js';
import { readShardLag } from '../../ts/stream/redis/stream-lag.js';

export const ROLES = fileURLToPath(new URL('../../dist/ts/cli/main.js', import.meta.url));

/** Why the multi-process tests cannot run (the built entry is missing), or undefined. */
export function builtRolesMissing(): string | undefined {
  return existsSync(ROLES) ? undefined : `${ROLES} is not built (npx tsc -p tsconfig.build.json)`;
}

/** One node process and its output lines. */
export class NodeProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly label: string,
    args: readonly string[],
  ) {
    this.child = spawn(process.execPath, [ROLES, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Waits until the process printed `line`. */
  async waitFor(line: string, timeoutMs = 40_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.lines.includes(line)) {
      if (this.child.exitCode !== null)
        throw new Error(`${this.label} exited (${this.child.exitCode}) before "${line}": ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`${this.label} did not print "${line}" in ${timeoutMs} ms: ${this.stderr}`);
      await sleep(10);
    }
  }

  /** SIGTERM (graceful) or SIGKILL, then waits for the exit; returns the exit code. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.pid, signal);
    return this.exited;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` is true. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** One primary node's part in a run: its name, instances, faults. */
export interface PrimarySpec {
  readonly name: string;
  readonly instances: number;
  readonly faults?: readonly string[];
}

/** What the tests vary in a node process of either role. */
interface NodeOptions {
  readonly shards: number | string;
  readonly prefix?: string;
  readonly extra?: readonly string[];
}

/** The arguments both node roles start with: the role, the broker, the name, the shards. */
function nodeArgs(role: 'primary-node' | 'mirror-node', redisUrl: string, name: string, options: NodeOptions): string[] {
  return [
    role,
    '--redis',
    redisUrl,
    ...(options.prefix === undefined ? [] : ['--prefix', options.prefix]),
    '--name',
    name,
    '--shards',
    String(options.shards),
  ];
}

/**
 * The arguments of a `primary-node` process running `spec` against `redisUrl`, its log in `dir`:
 * the tests differ only in the window, pacing and extra flags they give.
 */
export function primaryNodeArgs(redisUrl: string, dir: string, spec: PrimarySpec, options: NodeOptions): string[] {
  return [
    ...nodeArgs('primary-node', redisUrl, spec.name, options),
    '--db',
    join(dir, `${spec.name}.db`),
    '--instances',
    String(spec.instances),
    ...(spec.faults ?? []).flatMap((f) => ['--fault', f]),
    ...(options.extra ?? []),
  ];
}

/**
 * The arguments of a `mirror-node` process named `name` against `redisUrl` on the reference
 * backend, writing its summary to `summary`: the tests differ only in the extra flags they give.
 */
export function mirrorNodeArgs(redisUrl: string, name: string, summary: string, options: NodeOptions): string[] {
  return [...nodeArgs('mirror-node', redisUrl, name, options), '--backend', 'js', '--summary', summary, ...(options.extra ?? [])];
}

/** The states an undisturbed run of `specs` ends with, as a mirror sees them: each workload run in process on a memory log. */
export async function undisturbedStates(specs: readonly PrimarySpec[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const log = new MemoryEventLog();
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const faults = (spec.faults ?? []).map((f) => parseWorkloadFault(f, `${spec.name}-`));
    const primary = new PrimaryEngine({
      log,
      fleets: new FleetRegistry([order]),
      activities: simulatedOrderActivities(),
      clock,
      ...(faults.length > 0 ? { faults: new FaultPlan(faults) } : {}),
    });
    await runOrderWorkload(primary, clock, { instances: spec.instances, idPrefix: `${spec.name}-` });
    const mirror = new MirrorEngine({ fleets: new FleetRegistry([order]) });
    mirror.apply(await log.readRange(0, Number.POSITIVE_INFINITY));
    for (const i of mirror.allInstances()) out[i.workflowId] = { seq: i.seq, status: i.status, state: { ...i.state } };
  }
  // As the mirror node's JSON summary carries them.
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

/** The events in a primary node's SQLite log. */
export async function loggedEvents(dbPath: string): Promise<number> {
  const log = ReadonlySqliteLog.open(dbPath, 'test');
  try {
    return await log.lastPosition();
  } finally {
    await log.close();
  }
}

/** True when every shard's mirror group (events and deltas) has nothing undelivered or unacknowledged. */
export async function mirrorGroupDrained(redis: Redis, prefix: string, shards: number): Promise<boolean> {
  const lag = await readShardLag(redis, streamKeys(prefix), shards);
  return lag.every(
    (s) =>
      s.mirror?.lag === 0 && s.mirror.pending === 0 && s.deltas !== undefined && s.deltas.lag === 0 && s.deltas.pending === 0,
  );
}

/** A mirror node's `applied` count as it last reported it in Redis. */
export async function reportedApplied(redis: Redis, prefix: string, name: string): Promise<number> {
  const text = await redis.hget(streamKeys(prefix).mirrors, name);
  return text === null ? 0 : Number((JSON.parse(text) as { applied: number }).applied);
}

/** What `--summary` of a mirror node holds. */
export interface MirrorSummary {
  readonly stats: MirrorNodeStats;
  readonly instances: readonly MirroredInstance[];
  readonly positions: Record<string, number>;
  readonly errors: readonly string[];
}

export function readMirrorSummary(path: string): MirrorSummary {
  return JSON.parse(readFileSync(path, 'utf8')) as MirrorSummary;
}

/** The summary's instances keyed as {@link undisturbedStates} keys them. */
export function summaryStates(summary: MirrorSummary): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const i of summary.instances) out[i.workflowId] = { seq: i.seq, status: i.status, state: i.state };
  return out;
}

/** Reports in a JSONL file ([] when it does not exist). */
export function reportsIn(path: string): AnomalyReport[] {
  return existsSync(path) ? readJsonlReports(path) : [];
}
