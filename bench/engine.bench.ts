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
import { machineInfo } from './machine.js';
import { recordHistory, runPipeline } from './workloads.js';

const REPLAY_INSTANCES = Number(process.env.BENCH_REPLAY_INSTANCES ?? 20_000);
const PIPELINE_INSTANCES = Number(process.env.BENCH_PIPELINE_INSTANCES ?? 10_000);
const caseOptions = { minSamples: 5, maxTime: 4 };

/**
 * benny calls the outer function once per case (setup) and times the function it returns. The
 * setup collects garbage (when run with --expose-gc, as `npm run bench:engine` does) so that no
 * case pays for the previous case's garbage.
 */
function measured<T>(fn: () => T): () => () => T {
  return () => {
    (globalThis as { gc?: () => void }).gc?.();
    return fn;
  };
}

const history = await recordHistory(REPLAY_INSTANCES);
const pipelineEvents = await runPipeline(new MemoryEventLog(), PIPELINE_INSTANCES);
const dir = mkdtempSync(join(tmpdir(), 'wfmirror-bench-'));
let run = 0;

const eventsPerOp: Record<string, number> = {
  'baseline: loop over history': history.length,
  'mirror replay (matrix current)': history.length,
  'primary+mirror, memory log': pipelineEvents,
  'baseline: raw SQLite batched inserts': pipelineEvents,
  'primary+mirror, SQLite group commit': pipelineEvents,
};

const summary = await b.suite(
  'engine',
  b.add(
    'baseline: loop over history',
    measured(() => {
      let touched = 0;
      for (const event of history) if (event.type === 'ActivityCompleted' || event.seq === 1) touched += event.seq;
      return touched;
    }),
    caseOptions,
  ),
  b.add(
    'mirror replay (matrix current)',
    measured(() => {
      const mirror = new MirrorEngine({ fleets: new FleetRegistry([order]) });
      mirror.apply(history);
      if (mirror.stats.applied !== history.length) throw new Error('replay lost events');
    }),
    caseOptions,
  ),
  b.add(
    'primary+mirror, memory log',
    measured(async () => {
      await runPipeline(new MemoryEventLog(), PIPELINE_INSTANCES);
    }),
    caseOptions,
  ),
  b.add(
    'baseline: raw SQLite batched inserts',
    measured(() => {
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
      // The pipeline's commits average a few hundred events; raw inserts get the same batch size.
      for (let done = 0; done < pipelineEvents; done += 500) batch(done, Math.min(500, pipelineEvents - done));
      db.close();
      rmSync(path, { force: true });
    }),
    caseOptions,
  ),
  b.add(
    'primary+mirror, SQLite group commit',
    measured(async () => {
      const path = join(dir, `log-${run++}.db`);
      const log = await SqliteEventLog.open({ path });
      await runPipeline(log, PIPELINE_INSTANCES);
      for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    }),
    caseOptions,
  ),
  b.cycle(),
  b.complete(),
);
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
const by = (name: string) => rows.find((r) => r.name === name)!.eventsPerSecond;
const ratios = {
  'mirror replay vs loop baseline': by('mirror replay (matrix current)') / by('baseline: loop over history'),
  'SQLite pipeline vs raw SQLite inserts': by('primary+mirror, SQLite group commit') / by('baseline: raw SQLite batched inserts'),
  'SQLite pipeline vs memory pipeline': by('primary+mirror, SQLite group commit') / by('primary+mirror, memory log'),
};
const result = {
  suite: 'engine',
  date: new Date().toISOString(),
  machine: machineInfo(),
  replayEvents: history.length,
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
  `Replay history: ${fmt(history.length)} events (${fmt(REPLAY_INSTANCES)} order workflows); pipeline runs: ${fmt(pipelineEvents)} events (${fmt(PIPELINE_INSTANCES)} workflows) each.`,
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
