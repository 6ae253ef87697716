/**
 * Engine throughput, measured in one run against baselines of the same run:
 *  - mirror replay of a recorded history (state matrix kept current), against a plain loop over
 *    the same events (the floor: reading the history and dispatching on type);
 *  - primary + mirror on the memory log;
 *  - primary + mirror on SQLite with group commit (WAL, synchronous=FULL: an acknowledged event is
 *    on disk), against raw batched inserts of the same number of rows into the same kind of table.
 * Writes bench/results/engine.json and engine.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import b from 'benny';
import Database from 'better-sqlite3';
import { order } from '../examples/order.js';
import { FleetRegistry, MemoryEventLog, MirrorEngine, SqliteEventLog } from '../ts/index.js';
import { caseOptions as benchCaseOptions, collectGarbage, machineInfo } from './machine.js';
import { recordHistory, runPipeline } from './workloads.js';

const REPLAY_INSTANCES = Number(process.env.BENCH_REPLAY_INSTANCES ?? 20_000);
const PIPELINE_INSTANCES = Number(process.env.BENCH_PIPELINE_INSTANCES ?? 10_000);
/** Unmeasured runs of each case before its suite. */
const WARMUP_RUNS = 4;

/**
 * Benchmark.js runs `onStart` right before a case's first sample: each case starts from a
 * collected heap (with --expose-gc, as `npm run bench:engine` runs it), so none pays for the
 * previous case's garbage. benny's types do not list the option; Benchmark.js takes it.
 */
const caseOptions = benchCaseOptions(4);

// Released after the replay suite (see below): a 200k-event history kept alive through the
// pipeline suite makes every old-generation collection there walk it, which charged the
// pipelines for the replay's data.
let history = await recordHistory(REPLAY_INSTANCES);
const replayEvents = history.length;
const pipelineEvents = await runPipeline(new MemoryEventLog(), PIPELINE_INSTANCES);
const dir = mkdtempSync(join(tmpdir(), 'wfmirror-bench-'));
let run = 0;

/** The cases, by name. Each replays or runs the same work every time it is called. */
const cases: Record<string, () => unknown> = {
  'baseline: loop over history': () => {
    let touched = 0;
    for (const event of history) if (event.type === 'ActivityCompleted' || event.seq === 1) touched += event.seq;
    return touched;
  },
  'mirror replay (matrix current)': () => {
    const mirror = new MirrorEngine({ fleets: new FleetRegistry([order]) });
    mirror.apply(history);
    if (mirror.stats.applied !== history.length) throw new Error('replay lost events');
  },
  'primary+mirror, memory log': async () => {
    await runPipeline(new MemoryEventLog(), PIPELINE_INSTANCES);
  },
  'baseline: raw SQLite batched inserts': () => {
    const path = join(dir, `raw-${run++}.db`);
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(
      'CREATE TABLE events(pos INTEGER PRIMARY KEY, workflow_id TEXT, seq INTEGER, type INTEGER, time REAL, payload TEXT, UNIQUE(workflow_id, seq))',
    );
    const insert = db.prepare('INSERT INTO events(workflow_id, seq, type, time, payload) VALUES (?, ?, ?, ?, ?)');
    const batch = db.transaction((from: number, rows: number) => {
      for (let i = from; i < from + rows; i++)
        insert.run(`order-${i >> 3}`, i & 7, 2, 0, '{"name":"charge","scheduledSeq":3,"result":{"amount":12.5}}');
    });
    // The pipeline's commits carry up to 1000 events (its maxBatch); raw inserts get that batch size.
    for (let done = 0; done < pipelineEvents; done += 1000) batch(done, Math.min(1000, pipelineEvents - done));
    db.close();
    rmSync(path, { force: true });
  },
  'primary+mirror, SQLite group commit': async () => {
    const path = join(dir, `log-${run++}.db`);
    const log = SqliteEventLog.open({ path });
    await runPipeline(log, PIPELINE_INSTANCES);
    await log.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  },
};

const eventsPerOp: Record<string, number> = {
  'baseline: loop over history': replayEvents,
  'mirror replay (matrix current)': replayEvents,
  'primary+mirror, memory log': pipelineEvents,
  'baseline: raw SQLite batched inserts': pipelineEvents,
  'primary+mirror, SQLite group commit': pipelineEvents,
};

/**
 * Runs one benny suite over some cases, each compared with the baseline listed first. Every case
 * runs WARMUP_RUNS times unmeasured just before its suite (a pipeline run reaches its steady speed
 * after about four: measured 70k, 80k, 95k, 106k events/s for runs 1-4), so no sample includes the JIT warming up, and the
 * suites run one after the other so the replay is not measured on a heap full of pipelines.
 */
async function suite(name: string, all: readonly string[]) {
  // BENCH_ONLY=<substring> keeps the cases whose name contains it (to look at one case alone).
  const only = process.env.BENCH_ONLY;
  const names = only === undefined ? all : all.filter((n) => n.includes(only));
  if (names.length === 0) return { results: [] };
  for (const caseName of names) for (let i = 0; i < WARMUP_RUNS; i++) await cases[caseName]!();
  collectGarbage();
  return b.suite(name, ...names.map((caseName) => b.add(caseName, cases[caseName]!, caseOptions)), b.cycle(), b.complete());
}

const replaySuite = await suite('replay', ['baseline: loop over history', 'mirror replay (matrix current)']);
history = [];
collectGarbage();
// The memory-log pipeline goes last: each of its runs leaves a whole history behind.
const pipelineSuite = await suite('pipeline', [
  'baseline: raw SQLite batched inserts',
  'primary+mirror, SQLite group commit',
  'primary+mirror, memory log',
]);
const summary = { results: [...replaySuite.results, ...pipelineSuite.results] };
rmSync(dir, { recursive: true, force: true });

// benny rounds `ops` to whole operations per second; a pipeline op takes a good part of a second,
// so events/s come from the mean time per op instead.
const rows = summary.results.map((r) => ({
  name: r.name,
  meanSecondsPerOp: r.details.mean,
  eventsPerSecond: (eventsPerOp[r.name] ?? 0) / r.details.mean,
  margin: r.details.relativeMarginOfError,
  samples: r.samples,
}));
const by = (name: string) => rows.find((r) => r.name === name)?.eventsPerSecond ?? Number.NaN;
const ratios = {
  'mirror replay vs loop baseline': by('mirror replay (matrix current)') / by('baseline: loop over history'),
  'SQLite pipeline vs raw SQLite inserts': by('primary+mirror, SQLite group commit') / by('baseline: raw SQLite batched inserts'),
  'SQLite pipeline vs memory pipeline': by('primary+mirror, SQLite group commit') / by('primary+mirror, memory log'),
};
const result = {
  suite: 'engine',
  date: new Date().toISOString(),
  machine: machineInfo(),
  replayEvents,
  pipelineEvents,
  rows,
  ratios,
};
writeFileSync(new URL('../../bench/results/engine.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const md = [
  `# Engine benchmark (${result.date.slice(0, 10)})`,
  '',
  `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}. Command: \`npm run bench:engine\`.`,
  `Replay history: ${fmt(replayEvents)} events (${fmt(REPLAY_INSTANCES)} order workflows); pipeline runs: ${fmt(pipelineEvents)} events (${fmt(PIPELINE_INSTANCES)} workflows) each.`,
  'Pipelines: 1,000 workflows in flight, instant simulated activities, virtual clock; SQLite: WAL, synchronous=FULL, group commit (maxBatch 1000, 16 KiB pages) on the writer thread, batches sent to it as columns.',
  `Two suites (replay; pipeline), each case run ${WARMUP_RUNS} times unmeasured just before its suite and started on a collected heap. events/s = events per op / mean time per op.`,
  '',
  '| case | events/s | ± % | samples |',
  '| --- | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.name} | ${fmt(r.eventsPerSecond)} | ${r.margin.toFixed(1)} | ${r.samples} |`),
  '',
  '| ratio | value |',
  '| --- | ---: |',
  ...Object.entries(ratios).map(([k, v]) => `| ${k} | ${v.toFixed(3)} |`),
  '',
].join('\n');
writeFileSync(new URL('../../bench/results/engine.md', import.meta.url), md);
console.log(md);
