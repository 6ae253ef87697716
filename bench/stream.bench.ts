/**
 * What duplicating the stream costs the primary (issue 7), in one benny suite: the same order
 * workload on a primary with its durable SQLite log (group commit), with no mirror, with the
 * worker-thread mirror (one shard, fed through a SharedArrayBuffer ring), and with a mirror node in
 * another process fed through Redis Streams (the primary node publishes every committed batch).
 * One op = the whole workload, until the mirror has applied every event (for the Redis case:
 * until the mirror group has nothing undelivered or unacknowledged). Targets: the worker-thread
 * mirror costs the primary at most 10% of its events/s; the Redis path sustains 100,000 events/s
 * or more. Writes bench/results/stream.json and stream.md (stream-TAG.* with BENCH_TAG=TAG);
 * BENCH_STREAM_CASES=memory,sqlite,transport,redis picks the groups of cases that run (default all).
 *
 * Redis: `WFMIRROR_REDIS_URL` if set, else a redis-server of its own on a free loopback port.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import b from 'benny';
import type { CaseResult } from 'benny/lib/internal/common-types.js';
import { Redis } from 'ioredis';
import { order, simulatedOrderActivities } from '../examples/order.js';
import { median } from '../ts/benchmark/sampling.js';
import {
  FleetRegistry,
  type HistoryEvent,
  InProcessTee,
  MemoryEventLog,
  MirrorEngine,
  PrimaryEngine,
  PrimaryNode,
  RedisEventPublisher,
  readShardLag,
  registerPrimary,
  SqliteEventLog,
  streamKeys,
  VirtualClock,
  WorkerMirror,
} from '../ts/index.js';
import { runOrderWorkload } from '../ts/node/order-workload.js';
import { caseOptions as benchCaseOptions, collectGarbage, machineInfo } from './machine.js';

const INSTANCES = Number(process.env.BENCH_STREAM_INSTANCES ?? 10_000);
/** Which groups of cases run (BENCH_STREAM_CASES, comma-separated; default all): memory, sqlite, transport, redis. */
const GROUPS = new Set((process.env.BENCH_STREAM_CASES ?? 'memory,sqlite,transport,redis').split(',').map((g) => g.trim()));
const TAG = process.env.BENCH_TAG ? `-${process.env.BENCH_TAG}` : '';
const WINDOW = 1_000;
/**
 * Instances of the untimed warm-up workload each op of the memory and SQLite cases runs first, on
 * the same log and mirror (BENCH_STREAM_WARM; 0: none). A worker mirror is a fresh thread per op,
 * and a fresh V8 isolate runs its first tens of thousands of events in the interpreter while the
 * compiler's threads work beside it: on 2 vCPUs, V8's four helper threads took 500-700 ms of CPU
 * in a cold op against 160-200 ms in a warm one (per-thread CPU from /proc, 101,000 events). The
 * primary's code is warm from the ops before. A deployed mirror runs for hours; so both sides are
 * measured warm, and the plain cases run the same warm-up so the logs match.
 */
const WARM_INSTANCES = Number(process.env.BENCH_STREAM_WARM ?? 3_000);
const SHARDS = 4;
const ORDER_MODULE = fileURLToPath(new URL('../examples/order.js', import.meta.url));
const CLI = fileURLToPath(new URL('../ts/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wfm-stream-bench-'));
let op = 0;
const nextPath = () => join(dir, `op-${++op}.db`);

/** Time and events of the last op of each case (and, for the worker mirror, its main-thread cost). */
const last: Record<string, { events: number; primaryMs: number; totalMs: number; mainThreadMs?: number }> = {};
/**
 * Every op's timed part per case (ms): from the first start (or publish) to the mirror having
 * applied everything. Opening the log, starting the mirror's worker and closing them are outside
 * it: a deployment pays them once, not per 100,000 events, and a worker's start (a thread, its
 * module imports) took longer than the SQLite case's whole difference. benny still times whole
 * ops (kept in the JSON); the tables use these.
 */
const opTimes: Record<string, number[]> = {};
function recordOp(name: string, op: (typeof last)[string]): void {
  last[name] = op;
  opTimes[name] ??= [];
  opTimes[name].push(op.totalMs);
}

/**
 * A case's options, its op times counted from its own start: benny runs an async case twice, at
 * once, while it prepares the suite (to learn what the function returns); those ops overlap and
 * are not samples.
 */
function measuredFrom(name: string, maxTime: number): { minSamples: number; maxTime: number } {
  return benchCaseOptions(maxTime, () => {
    opTimes[name] = [];
  });
}

/** What one op of {@link primaryOnly} measured. */
type PrimaryOp = (typeof last)[string];

/** What runs beside the primary in one op. */
interface OpSetup {
  /** The memory log instead of the durable SQLite log. */
  readonly memory?: boolean;
  /** The worker-thread mirror, one shard; `niceness` is its WorkerMirror option. */
  readonly worker?: { readonly niceness?: number };
  /** An in-process MirrorEngine on the main thread, fed at commit (WorkflowMirror's default). */
  readonly inProcess?: boolean;
  /** A process started beside the timed part (the control of the paired rounds), stopped when it ends. */
  readonly neighbour?: () => ChildProcess;
}

/** One op on a fresh log: the warm-up workload, then the timed one. */
async function primaryOnly(setup: OpSetup = {}): Promise<PrimaryOp> {
  const { memory = false, worker, inProcess = false, neighbour } = setup;
  const log: SqliteEventLog | MemoryEventLog = memory
    ? new MemoryEventLog()
    : SqliteEventLog.open({ path: nextPath(), groupCommit: { maxBatch: 1000 } });
  const fleets = new FleetRegistry([order]);
  const clock = new VirtualClock(0);
  const primary = new PrimaryEngine({ log, fleets, activities: simulatedOrderActivities(), clock });
  if (inProcess) {
    const twin = new MirrorEngine({ fleets });
    new InProcessTee(log, [(events) => twin.apply(events)]);
  }
  const mirror =
    worker === undefined
      ? undefined
      : await WorkerMirror.start({
          log,
          fleets,
          workflows: [{ module: ORDER_MODULE, export: 'order' }],
          shards: 1,
          ...(worker.niceness === undefined ? {} : { niceness: worker.niceness }),
        });
  if (WARM_INSTANCES > 0) {
    await runOrderWorkload(primary, clock, { instances: WARM_INSTANCES, idPrefix: 'warm-', window: WINDOW });
    await primary.whenIdle();
    await mirror?.whenCaughtUp();
  }
  const warmEvents = primary.stats.eventsAppended;
  const warmMainThreadMs = mirror?.stats().mainThreadMs ?? 0;
  collectGarbage();
  const running = neighbour === undefined ? undefined : await started(neighbour());
  const t0 = performance.now();
  await runOrderWorkload(primary, clock, { instances: INSTANCES, idPrefix: '', window: WINDOW });
  await primary.whenIdle();
  const primaryMs = performance.now() - t0;
  await mirror?.whenCaughtUp();
  // The in-process mirror applied each batch at its commit: nothing is left to wait for.
  const totalMs = performance.now() - t0;
  running?.kill('SIGKILL');
  const events = primary.stats.eventsAppended - warmEvents;
  let measured: PrimaryOp = { events, primaryMs, totalMs };
  if (mirror !== undefined) {
    const stats = mirror.stats();
    if (stats.applied < warmEvents + events)
      throw new Error(`worker mirror applied ${stats.applied} of ${warmEvents + events} events`);
    measured = { ...measured, mainThreadMs: stats.mainThreadMs - warmMainThreadMs };
    await mirror.close();
  }
  await log.close();
  return measured;
}

/** The cases of the main suite: one op each, recorded under the case's name. */
const recordedCase = (name: string, setup: OpSetup) => async (): Promise<void> => {
  recordOp(name, await primaryOnly(setup));
};

// ---- Paired rounds: the worker mirror's cost, and what any busy neighbour costs here ----

/**
 * A busy loop in another process at idle priority (SCHED_IDLE, `chrt --idle 0`): it runs only on
 * CPU time no other thread of the machine asks for, so whatever it costs the primary is the cost
 * of a second core being busy at all, which no scheduling of the mirror's thread can avoid. On
 * the 2-vCPU VM it cost the SQLite primary as much as one at normal priority (about 20%), while a
 * pure arithmetic loop on the main thread lost nothing to it (see docs/ARCHITECTURE.md).
 */
const idleBusyLoop = (): ChildProcess =>
  spawn('chrt', ['--idle', '0', process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' });

/** Whether `chrt` can start an idle-priority process here (util-linux; Linux only). */
function canRunIdleLoop(): boolean {
  return spawnSync('chrt', ['--idle', '0', process.execPath, '-e', '0'], { stdio: 'ignore' }).status === 0;
}

/** `child`, once it has been running for 100 ms (long enough to be spinning), or an error if it exited. */
async function started(child: ChildProcess): Promise<ChildProcess> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, 100);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the neighbour process exited (${code}) before the op`));
    });
  });
  return child;
}

/** BENCH_STREAM_ROUNDS (default 9): rounds of the paired comparison; 0 leaves it out. */
const ROUNDS = Number(process.env.BENCH_STREAM_ROUNDS ?? 9);
/** The niceness the paired rounds give the worker mirror's thread in their low-priority op. */
const LOW_PRIORITY = 19;

/** One paired measure: the median over rounds of (primary alone time / time of the other op). */
interface PairedCost {
  readonly measure: string;
  /** 1 - the median of the per-round ratios: the share of the primary's events/s lost. */
  readonly cost: number;
  readonly lowest: number;
  readonly highest: number;
  readonly perRound: readonly number[];
}

/**
 * Rounds of five ops each, in an order that rotates every round: the primary alone; with the
 * worker mirror; with the worker mirror at niceness 19; with an in-process mirror on the main
 * thread (what WorkflowMirror runs by default); and alone beside the idle-priority busy loop.
 * Each op's timed part is compared with the plain op of its own round, seconds apart, so that a
 * slow minute of this shared VM (its timings swing by a third from one run to the next) moves
 * both sides of a ratio; the main suite's table times each case in one block of ops and cannot.
 */
async function pairedCosts(memory: boolean): Promise<PairedCost[]> {
  const withLoop = canRunIdleLoop();
  const setups: Record<string, OpSetup> = {
    plain: { memory },
    worker: { memory, worker: {} },
    low: { memory, worker: { niceness: LOW_PRIORITY } },
    inProcess: { memory, inProcess: true },
    ...(withLoop ? { loop: { memory, neighbour: idleBusyLoop } } : {}),
  };
  const kinds = Object.keys(setups);
  const times: Record<string, number[]> = Object.fromEntries(kinds.map((kind) => [kind, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const sequence = kinds.map((_, i) => kinds[(i + round) % kinds.length]!);
    for (const kind of sequence) times[kind]!.push((await primaryOnly(setups[kind])).totalMs);
  }
  const log = memory ? 'memory log' : 'SQLite log';
  const cost = (measure: string, kind: string): PairedCost => {
    const perRound = times.plain!.map((plain, i) => 1 - plain / times[kind]![i]!);
    return { measure, cost: median(perRound), lowest: Math.min(...perRound), highest: Math.max(...perRound), perRound };
  };
  return [
    cost(`worker-thread mirror, ${log}: primary events/s lost`, 'worker'),
    cost(`worker-thread mirror at niceness ${LOW_PRIORITY}, ${log}: primary events/s lost`, 'low'),
    cost(`in-process mirror on the main thread (no worker), ${log}: primary events/s lost`, 'inProcess'),
    ...(withLoop
      ? [cost(`control: a busy loop at idle priority in another process, ${log}: primary events/s lost`, 'loop')]
      : []),
  ];
}

// ---- Redis ----
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await readShardLag(redis, keys, SHARDS).catch(String))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
/**
 * True when the mirror group was delivered every entry of every events stream and acknowledged
 * them all (the mirror node acknowledges after applying). Compared by entry id: Redis does not
 * always know a group's `lag` once entries were deleted.
 */
async function mirrorDrained(): Promise<boolean> {
  const lags = await readShardLag(redis, keys, SHARDS);
  for (const lag of lags) {
    if (lag.mirror === undefined || lag.mirror.pending !== 0) return false;
    const info = (await redis.xinfo('STREAM', keys.events(lag.shard))) as unknown[];
    const last = info[info.indexOf('last-generated-id') + 1];
    if (lag.mirror.lastDeliveredId !== last) return false;
  }
  return true;
}
let redisServer: ChildProcess | undefined;
let redisUrl = process.env.WFMIRROR_REDIS_URL ?? '';
// Assigned below when a Redis case runs; only those cases use them.
let redis!: Redis;
let mirrorNode: ChildProcess | undefined;
const prefix = `bench${process.pid}`;
const keys = streamKeys(prefix);
if (GROUPS.has('redis') || GROUPS.has('transport')) {
  if (redisUrl === '') {
    const port = await freePort();
    redisServer = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    );
    redisUrl = `redis://127.0.0.1:${port}`;
  }
  redis = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: null });
  await waitFor('redis-server', async () => (await redis.ping().catch(() => '')) === 'PONG', 10_000);
  // The mirror node runs in its own process, as on a mirror machine; it follows every primary node registered under the prefix.
  const node = spawn(
    process.execPath,
    [CLI, 'mirror-node', '--redis', redisUrl, '--prefix', prefix, '--name', 'm1', '--shards', String(SHARDS), '--backend', 'js'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  mirrorNode = node;
  // A run that fails midway must not leave the mirror node and the server behind.
  process.on('exit', () => {
    node.kill('SIGKILL');
    redisServer?.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    node.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) resolve();
    });
    node.once('exit', (code) => reject(new Error(`mirror-node exited (${code}) before it was ready`)));
  });
}

async function throughRedis(): Promise<void> {
  const clock = new VirtualClock(0);
  const name = `p${++op}`;
  const node = await PrimaryNode.open({
    redisUrl,
    prefix,
    shards: SHARDS,
    name,
    dbPath: join(dir, `${name}.db`),
    workflows: [order],
    activities: simulatedOrderActivities(),
    clock,
    trimIntervalMs: 0,
  });
  const t0 = performance.now();
  await runOrderWorkload(node, clock, { instances: INSTANCES, idPrefix: `${name}-`, window: WINDOW });
  await node.drain();
  const primaryMs = performance.now() - t0;
  await waitFor('the mirror node', mirrorDrained);
  const totalMs = performance.now() - t0;
  const events = await node.log.lastPosition();
  recordOp(REDIS, { events, primaryMs, totalMs });
  await node.close();
}

/**
 * The transport alone: histories recorded before the suite (distinct instance ids per op, since
 * the mirror node keeps what it applied) are handed to a new publisher in batches of 1,000, as a
 * primary's log subscription hands it durable batches, and consumed and applied by the mirror node:
 * what the Redis path carries when the primary's own work is not on the same two cores. The
 * histories are read back from their logs before the case's suite, outside every op: reading a
 * log back costs 4-7 us per event here (SQLite's row fetch, mostly the blob), which a live
 * publisher never pays. (Until 2026-11-26 the read was inside the op and the case measured it:
 * 81-86k events/s, against ~190k for publish-to-applied alone.) They are held in memory only for
 * that suite (about 31 MB each), so they weigh on no other case's heap.
 */
const recorded: { path: string; source: string }[] = [];
for (let i = 0; GROUPS.has('transport') && i < Number(process.env.BENCH_STREAM_RECORDED ?? 20); i++) {
  const path = join(dir, `recorded-${i}.db`);
  const log = SqliteEventLog.open({ path, groupCommit: { maxBatch: 1000 } });
  const clock = new VirtualClock(0);
  const primary = new PrimaryEngine({ log, fleets: new FleetRegistry([order]), activities: simulatedOrderActivities(), clock });
  await runOrderWorkload(primary, clock, { instances: INSTANCES, idPrefix: `r${i}-`, window: WINDOW });
  await primary.whenIdle();
  await log.close();
  recorded.push({ path, source: `t${i}` });
}
/** The recorded histories, read back (see above), each with the source it is published as. */
const prepared: { source: string; events: HistoryEvent[] }[] = [];
async function prepareHistories(): Promise<void> {
  for (const { path, source } of recorded) {
    const log = SqliteEventLog.open({ path });
    prepared.push({ source, events: await log.readRange(0, Number.POSITIVE_INFINITY) });
    await log.close();
    // Registered with its log, so that the mirror node could repair a gap from it.
    await registerPrimary(redis, keys, { name: source, logPath: path, host: 'bench', pid: process.pid, startedAt: Date.now() });
  }
}
async function transportAlone(): Promise<void> {
  const history = prepared.shift();
  if (history === undefined) throw new Error('out of recorded histories: raise BENCH_STREAM_RECORDED');
  const { source, events } = history;
  // The publisher is given no log tail to publish at open: the events come through publish().
  // (Fewer than its queue bound, 200,000, so it never falls back to re-reading.)
  const noTail = { readRange: async () => [] };
  const t0 = performance.now();
  const publisher = await RedisEventPublisher.open({ url: redisUrl, prefix, shards: SHARDS, source, log: noTail });
  for (let i = 0; i < events.length; i += 1000) publisher.publish(events.slice(i, i + 1000));
  await publisher.flush();
  const primaryMs = performance.now() - t0;
  await waitFor('the mirror node', mirrorDrained);
  const totalMs = performance.now() - t0;
  recordOp(TRANSPORT, { events: events.length, primaryMs, totalMs });
  await publisher.close();
}

const PLAIN_MEMORY = 'primary alone (memory log)';
const WORKER_MEMORY = 'primary + worker-thread mirror (memory log, 1 shard)';
const PLAIN = 'primary alone (SQLite log, group commit)';
const WORKER = 'primary + worker-thread mirror (1 shard, SharedArrayBuffer ring)';
const REDIS = `primary node + mirror node in another process, through Redis Streams (${SHARDS} shards)`;
const TRANSPORT = `Redis Streams path alone: durable batches published, consumed and applied by the mirror node (${SHARDS} shards)`;
const cases: Record<string, () => Promise<void>> = {
  ...(GROUPS.has('memory') && {
    [PLAIN_MEMORY]: recordedCase(PLAIN_MEMORY, { memory: true }),
    [WORKER_MEMORY]: recordedCase(WORKER_MEMORY, { memory: true, worker: {} }),
  }),
  ...(GROUPS.has('sqlite') && { [PLAIN]: recordedCase(PLAIN, {}), [WORKER]: recordedCase(WORKER, { worker: {} }) }),
  ...(GROUPS.has('redis') && { [REDIS]: throughRedis }),
};
const results: CaseResult[] = [];
if (Object.keys(cases).length > 0) {
  for (const name of Object.keys(cases)) for (let i = 0; i < 2; i++) await cases[name]!();
  collectGarbage();
  const summary = await b.suite(
    'stream',
    ...Object.keys(cases).map((n) => b.add(n, cases[n]!, measuredFrom(n, 10))),
    b.cycle(),
    b.complete(),
  );
  results.push(...summary.results);
}
const paired: PairedCost[] = [];
if (ROUNDS > 0) {
  if (GROUPS.has('sqlite')) paired.push(...(await pairedCosts(false)));
  if (GROUPS.has('memory')) paired.push(...(await pairedCosts(true)));
}
if (GROUPS.has('transport')) {
  // A suite of its own, after the others: its histories are held in memory only meanwhile.
  await prepareHistories();
  await transportAlone(); // warm-up, unmeasured
  collectGarbage();
  // Each op uses up one history: a shorter time bounds how many it needs.
  const summary = await b.suite(
    'stream: transport',
    b.add(TRANSPORT, transportAlone, measuredFrom(TRANSPORT, 3)),
    b.cycle(),
    b.complete(),
  );
  results.push(...summary.results);
  prepared.length = 0;
}
if (mirrorNode !== undefined) {
  const node = mirrorNode;
  node.kill('SIGTERM');
  await new Promise((resolve) => node.once('exit', resolve));
  redis.disconnect();
}
redisServer?.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });

const rows = results.map((r) => {
  const events = last[r.name]!.events;
  const times = opTimes[r.name] ?? [];
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const medianMs = median(times);
  const deviation = Math.sqrt(times.reduce((a, t) => a + (t - mean) ** 2, 0) / Math.max(1, times.length - 1));
  return {
    name: r.name,
    events,
    eventsPerSecond: events / (mean / 1000),
    medianEventsPerSecond: events / (medianMs / 1000),
    /** Relative standard deviation of the timed parts (%). */
    spread: (deviation / mean) * 100,
    ops: times.length,
    opMs: times,
    /** benny's figure: whole ops, opening and closing the log and the mirror included. */
    bennyEventsPerSecond: events / r.details.mean,
    bennyMargin: r.details.relativeMarginOfError,
    lastOp: last[r.name],
  };
});
const rowOf = (name: string) => rows.find((r) => r.name === name);
const plain = rowOf(PLAIN);
const worker = rowOf(WORKER);
const plainMemory = rowOf(PLAIN_MEMORY);
const workerMemory = rowOf(WORKER_MEMORY);
const result = {
  suite: 'stream',
  date: new Date().toISOString(),
  machine: machineInfo(),
  instances: INSTANCES,
  cases: rows,
  workerMirrorCost: plain && worker && 1 - worker.eventsPerSecond / plain.eventsPerSecond,
  workerMirrorCostMemoryLog: plainMemory && workerMemory && 1 - workerMemory.eventsPerSecond / plainMemory.eventsPerSecond,
  redisTransportEventsPerSecond: rowOf(TRANSPORT)?.eventsPerSecond,
  workerMirrorMainThreadShare: worker && (worker.lastOp!.mainThreadMs ?? 0) / worker.lastOp!.primaryMs,
  redisEventsPerSecond: rowOf(REDIS)?.eventsPerSecond,
  /** The paired rounds (see pairedCosts): the figures the targets are judged by. */
  pairedRounds: { rounds: ROUNDS, costs: paired },
};
writeFileSync(new URL(`../../bench/results/stream${TAG}.json`, import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const cores = result.machine.cores;
/** A measure's table row, or none when its cases did not run. */
const measure = (label: string, value: number | undefined, show: (x: number) => string, target = '') =>
  value === undefined ? [] : [`| ${label} | ${show(value)} | ${target} |`];
const events = rows[0]?.events ?? 0;
const selection = GROUPS.size < 4 ? ` (BENCH_STREAM_CASES=${[...GROUPS].join(',')})` : '';
const md = [
  `# Stream duplication benchmark (${result.date.slice(0, 10)})`,
  '',
  `Machine: ${result.machine.cpu}, ${cores} cores, Node ${result.machine.node}. Command: \`npm run bench:stream\`${selection}.`,
  `Workload: ${fmt(INSTANCES)} order workflows (${fmt(events)} events), ${fmt(WINDOW)} in flight, on a durable SQLite log (WAL, synchronous=FULL, group commit) unless the case says otherwise. One op = the whole workload until the mirror applied every event; events/s = events / mean time of the ops' timed parts, from the first start to the mirror caught up (opening and closing the log and the mirror are left out: a deployment pays them once; benny's whole-op figure is in the last column). ${WARM_INSTANCES > 0 ? `Each op of the memory and SQLite cases first runs ${fmt(WARM_INSTANCES)} other workflows on the same log and mirror, untimed, so that a fresh worker's code is compiled, as a deployed mirror's is (BENCH_STREAM_WARM=0: cold).` : 'No warm-up (BENCH_STREAM_WARM=0): a fresh worker runs cold in each op.'}`,
  '',
  '| case | events/s (mean) | events/s (median) | spread % | ops | benny: events/s per whole op (open and close included) |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${fmt(r.eventsPerSecond)} | ${fmt(r.medianEventsPerSecond)} | ${r.spread.toFixed(1)} | ${r.ops} | ${fmt(r.bennyEventsPerSecond)} |`,
  ),
  '',
  '| measure | value | target |',
  '| --- | ---: | ---: |',
  ...measure('worker-thread mirror, memory log: primary events/s lost', result.workerMirrorCostMemoryLog, pct, '<= 10%'),
  ...measure(
    `worker-thread mirror, SQLite log (primary, log writer and mirror threads on ${cores} cores): events/s lost`,
    result.workerMirrorCost,
    pct,
    '<= 10%',
  ),
  ...measure(
    'worker-thread mirror: main-thread time spent feeding it / primary time (last op)',
    result.workerMirrorMainThreadShare,
    pct,
  ),
  ...measure(
    'Redis Streams path alone: events/s published, consumed and applied by the other process',
    result.redisTransportEventsPerSecond,
    fmt,
    '>= 100,000',
  ),
  ...measure(
    `primary node + Redis Streams + mirror node, all on this machine's ${cores} cores: events/s`,
    result.redisEventsPerSecond,
    fmt,
  ),
  '',
  ...(paired.length === 0
    ? []
    : [
        `Paired rounds (${ROUNDS}): each round runs one op of the primary alone, one with the worker-thread mirror, one with the worker-thread mirror at niceness ${LOW_PRIORITY} (\`WorkerMirror\` option \`niceness\`), one with an in-process mirror on the main thread (WorkflowMirror's default) and one alone beside a busy loop at idle priority in another process (\`chrt --idle 0\`), in an order that rotates every round; each op is compared with the plain op of its own round, and the figure is the median over rounds. The busy loop is the control: it only takes CPU time no thread here asks for, so what it costs is what a busy core costs this primary when nothing else is shared with it (no memory, no caches the primary's process uses, no wake-ups).`,
        '',
        '| measure (paired rounds) | median | range | target |',
        '| --- | ---: | ---: | ---: |',
        ...paired.map(
          (p) =>
            `| ${p.measure} | ${pct(p.cost)} | ${pct(p.lowest)} to ${pct(p.highest)} | ${p.measure.startsWith('worker-thread mirror,') ? '<= 10%' : ''} |`,
        ),
        '',
      ]),
].join('\n');
writeFileSync(new URL(`../../bench/results/stream${TAG}.md`, import.meta.url), md);
console.log(md);
process.exit(0);
