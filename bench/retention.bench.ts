/**
 * What `retention: { closed }` does to a long run: the same stream of short payment workflows
 * (charge, then done) through a WorkflowMirror on a durable SQLite log, keeping every closed
 * instance (the default) or only the newest 1,000. One op = INSTANCES instances, started in waves
 * of WAVE and drained after each, on a fresh log. benny times both cases in rounds that rotate
 * their order; the speed-up is taken within each round. Then, outside benny, the heap each
 * instance leaves behind, measured on a collected heap after the run.
 * Writes bench/results/retention.json and retention.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { charge, payment } from '../examples/payment.js';
import { WorkflowMirror } from '../ts/index.js';
import { caseOptions as benchCaseOptions, collectGarbage, machineInfo } from './machine.js';
import { medianOf, rotatingRounds } from './rotating-rounds.js';

// Long enough for the cost of keeping everything to show: it grows with the instances ever run.
const INSTANCES = Number(process.env.BENCH_RETENTION_INSTANCES ?? 150_000);
const WAVE = 1_000;
const KEEP = 1_000;
const ROUNDS = Number(process.env.BENCH_RETENTION_ROUNDS ?? 3);
const caseOptions = benchCaseOptions(20);

/** Runs `instances` payments through a fresh pair; returns the pair still open (the caller closes it). */
async function run(retention: number | undefined, instances: number, dir: string): Promise<WorkflowMirror> {
  const path = join(dir, `log-${Math.random().toString(36).slice(2)}.db`);
  const wm = await WorkflowMirror.open({
    workflows: [payment],
    activities: { charge },
    log: { kind: 'sqlite', path },
    anomalies: { store: false },
    compare: { every: { events: 10_000, ms: 250 }, threshold: 0 },
    ...(retention === undefined ? {} : { retention: { closed: retention } }),
  });
  for (let start = 0; start < instances; start += WAVE) {
    const starts: Promise<void>[] = [];
    for (let i = start; i < Math.min(instances, start + WAVE); i++)
      starts.push(wm.start('payment', `p-${i}`, { amount: i % 500 }));
    await Promise.all(starts);
    await wm.drain();
  }
  if (wm.stats().primary.completed !== instances) throw new Error('not every payment completed');
  if (wm.stats().comparisons.anomalies !== 0) throw new Error('a clean run raised anomalies');
  return wm;
}

const dir = mkdtempSync(join(tmpdir(), 'wfm-bench-retention-'));
const ALL = 'keep every closed instance (default)';
const SOME = `retention: { closed: ${KEEP.toLocaleString('en-US')} }`;
const cases: Record<string, () => Promise<void>> = {
  [ALL]: async () => (await run(undefined, INSTANCES, dir)).close(),
  [SOME]: async () => (await run(KEEP, INSTANCES, dir)).close(),
};
const names = Object.keys(cases);
for (const name of names) await cases[name]!();

const rounds = await rotatingRounds('retention', cases, caseOptions, ROUNDS);

/** Heap (JS objects and array buffers) left per instance after a run, on a collected heap. */
async function retainedBytesPerInstance(retention: number | undefined): Promise<number> {
  collectGarbage();
  const heap = () => {
    collectGarbage();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  // Warm the pair's structures on a small run first so the difference is per instance, not per pair.
  const small = await run(retention, 5_000, dir);
  const before = heap();
  await small.close();
  const large = await run(retention, INSTANCES + 5_000, dir);
  const after = heap();
  await large.close();
  return (after - before) / INSTANCES;
}
const memory = { [ALL]: await retainedBytesPerInstance(undefined), [SOME]: await retainedBytesPerInstance(KEEP) };
rmSync(dir, { recursive: true, force: true });

const of = (round: (typeof rounds)[number], name: string) => round.find((r) => r.name === name)!;
const rows = names.map((name) => ({
  name,
  instancesPerSecond: INSTANCES / medianOf(rounds.map((round) => of(round, name).mean)),
  margin: Math.max(...rounds.map((round) => of(round, name).margin)),
  samples: rounds.reduce((sum, round) => sum + of(round, name).samples, 0),
  retainedBytesPerInstance: memory[name]!,
}));
const speedups = rounds.map((round) => of(round, ALL).mean / of(round, SOME).mean);
const result = {
  suite: 'retention',
  date: new Date().toISOString(),
  machine: machineInfo(),
  instances: INSTANCES,
  wave: WAVE,
  keep: KEEP,
  cases: rows,
  rounds,
  speedup: { median: medianOf(speedups), rounds: speedups },
};
writeFileSync(new URL('../../bench/results/retention.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const md = [
  `# Retention benchmark (${result.date.slice(0, 10)})`,
  '',
  `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}. Command: \`npm run bench:retention\`.`,
  `One op: ${fmt(INSTANCES)} payment workflows (start, charge, complete: 4 events each) through a WorkflowMirror on a fresh durable SQLite log, started in waves of ${fmt(WAVE)} and drained after each; comparison rounds every 10,000 events or 250 ms. ${ROUNDS} rounds of the suite, each starting with the next case; figures are medians over the rounds, the speed-up is taken within each round.`,
  '',
  '| case | instances/s | ± % | samples | heap left per instance (bytes) |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${fmt(r.instancesPerSecond)} | ${r.margin.toFixed(1)} | ${r.samples} | ${fmt(r.retainedBytesPerInstance)} |`,
  ),
  '',
  `Retention is ${result.speedup.median.toFixed(2)}x as fast (rounds: ${speedups.map((x) => `${x.toFixed(2)}x`).join(', ')}). Keeping everything, each fleet round compares every instance ever run and the heap grows by the figure above per instance; with retention a round compares the ${fmt(KEEP)} kept rows plus those running. Heap left per instance: the difference between a run of ${fmt(INSTANCES + 5_000)} instances and a warm-up run of 5,000, on a collected heap, divided by ${fmt(INSTANCES)}.`,
  '',
].join('\n');
writeFileSync(new URL('../../bench/results/retention.md', import.meta.url), md);
console.log(md);
