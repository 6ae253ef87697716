/**
 * Lead mode's cost on the mirror: the same recorded history (the demo's order fleet) replayed by a
 * plain mirror and by a mirror with lead mode (a prediction per scheduled activity, a judgement
 * per completion), in one benny suite. Target (issue 6): lead mode at most 30% slower. Then
 * fleet what-if over 100,000 order instances waiting for their dispatch timer ("every dispatch
 * fires now"), compared with the real fleet on the js reference and on wasm-simd.
 * Writes bench/results/lead.json and lead.md.
 */
import { writeFileSync } from 'node:fs';
import b from 'benny';
import { order, simulatedOrderActivities } from '../examples/order.js';
import { demoId, demoInput } from '../ts/cli/demo-faults.js';
import {
  BACKENDS,
  FleetRegistry,
  type FleetWhatIfInstance,
  fleetWhatIf,
  type HypotheticalEvent,
  LeadMode,
  MemoryEventLog,
  MirrorEngine,
  PrimaryEngine,
  VirtualClock,
} from '../ts/index.js';
import { caseOptions as benchCaseOptions, collectGarbage, machineInfo } from './machine.js';
import { medianOf, rotatingRounds } from './rotating-rounds.js';
import { recordHistory } from './workloads.js';

const INSTANCES = Number(process.env.BENCH_REPLAY_INSTANCES ?? 20_000);
const WARMUP_RUNS = 4;
const caseOptions = benchCaseOptions(4);

const history = await recordHistory(INSTANCES);
const PLAIN = 'mirror replay (replay only)';
const LEAD = (lookahead: number) => `mirror replay with lead mode (lookahead ${lookahead})`;

let last: LeadMode | undefined;
const cases: Record<string, () => unknown> = {
  [PLAIN]: () => {
    const mirror = new MirrorEngine({ fleets: new FleetRegistry([order]) });
    mirror.apply(history);
    if (mirror.stats.applied !== history.length) throw new Error('replay lost events');
  },
};
for (const lookahead of [1, 3]) {
  cases[LEAD(lookahead)] = () => {
    // The learner is fresh each run, as for a mirror that starts with no history of results.
    const lead = new LeadMode({ threshold: 0.5, lookahead });
    const mirror = new MirrorEngine({ fleets: new FleetRegistry([order]), ...lead.hooks });
    mirror.apply(history);
    if (mirror.stats.applied !== history.length) throw new Error('replay lost events');
    last = lead;
  };
}
const names = Object.keys(cases);
for (const name of names) for (let i = 0; i < WARMUP_RUNS; i++) cases[name]!();
collectGarbage();
/** Rounds of the suite, each case's figure its median over them (see rotating-rounds.ts). */
const ROUNDS = Number(process.env.BENCH_LEAD_ROUNDS ?? 3);
const rounds = await rotatingRounds('lead', cases, caseOptions, ROUNDS);

// ---- Fleet what-if ----
const WHAT_IF_INSTANCES = Number(process.env.BENCH_WHATIF_INSTANCES ?? 100_000);
/** A mirror of `instances` orders, each reserved and charged and waiting for its dispatch timer. */
async function waitingFleet(instances: number): Promise<MirrorEngine> {
  const log = new MemoryEventLog();
  const primary = new PrimaryEngine({
    log,
    fleets: new FleetRegistry([order]),
    activities: simulatedOrderActivities(),
    clock: new VirtualClock(0),
  });
  for (let i = 0; i < instances; i++) await primary.start('order', demoId(i), demoInput(i));
  await primary.whenIdle();
  const mirror = new MirrorEngine({ fleets: new FleetRegistry([order]) });
  mirror.apply(await log.readRange(0, Number.POSITIVE_INFINITY));
  return mirror;
}
const waiting = await waitingFleet(WHAT_IF_INSTANCES);
const dispatchNow: readonly HypotheticalEvent[] = [{ type: 'TimerFired', timer: 'dispatch' }];
// Instances whose first charge attempt failed wait for its retry instead (the virtual clock never moves here): left as they are.
const hypothesis = (i: FleetWhatIfInstance) =>
  i.open.some((o) => o.kind === 'timer' && o.name === 'dispatch') ? dispatchNow : undefined;
const wasm = await BACKENDS['wasm-simd'].create({});
const whatIfCases: Record<string, () => Promise<unknown>> = {
  [`fleet what-if, ${WHAT_IF_INSTANCES.toLocaleString('en-US')} instances, js reference`]: () =>
    fleetWhatIf({ mirror: waiting, workflowType: 'order', hypothesis }),
  [`fleet what-if, ${WHAT_IF_INSTANCES.toLocaleString('en-US')} instances, wasm-simd`]: () =>
    fleetWhatIf({ mirror: waiting, workflowType: 'order', hypothesis, comparator: wasm }),
};
const sample = await fleetWhatIf({ mirror: waiting, workflowType: 'order', hypothesis, comparator: wasm });
if (sample.changed < 0.9 * WHAT_IF_INSTANCES || sample.refused.length > 0)
  throw new Error('fleet what-if: the hypothesis did not apply everywhere');
for (const name of Object.keys(whatIfCases)) for (let i = 0; i < 2; i++) await whatIfCases[name]!();
collectGarbage();
const whatIfSummary = await b.suite(
  'fleet-what-if',
  ...Object.keys(whatIfCases).map((n) => b.add(n, whatIfCases[n]!, caseOptions)),
  b.cycle(),
  b.complete(),
);
wasm.dispose();
const whatIfRows = whatIfSummary.results.map((r) => ({
  name: r.name,
  msMean: r.details.mean * 1000,
  msMedian: r.details.median * 1000,
  margin: r.details.relativeMarginOfError,
  samples: r.samples,
}));

const of = (round: (typeof rounds)[number], name: string) => round.find((r) => r.name === name)!;
const rows = names.map((name) => ({
  name,
  /** Median over the rounds of each round's mean time. */
  eventsPerSecond: history.length / medianOf(rounds.map((round) => of(round, name).mean)),
  medianEventsPerSecond: history.length / medianOf(rounds.map((round) => of(round, name).median)),
  margin: Math.max(...rounds.map((round) => of(round, name).margin)),
  samples: rounds.reduce((sum, round) => sum + of(round, name).samples, 0),
}));
/** Per lead case: the slowdown against replay only within each round (same seconds of the machine), and their median. */
const slowdown = Object.fromEntries(
  names
    .filter((name) => name !== PLAIN)
    .map((name) => {
      const perRound = rounds.map((round) => 1 - of(round, PLAIN).mean / of(round, name).mean);
      const perRoundMedians = rounds.map((round) => 1 - of(round, PLAIN).median / of(round, name).median);
      return [name, { mean: medianOf(perRound), median: medianOf(perRoundMedians), rounds: perRound }];
    }),
);
const result = {
  suite: 'lead',
  date: new Date().toISOString(),
  machine: machineInfo(),
  events: history.length,
  instances: INSTANCES,
  cases: rows,
  rounds,
  slowdown,
  lastLeadStats: last?.stats,
  fleetWhatIf: { instances: WHAT_IF_INSTANCES, cases: whatIfRows, lastTimings: sample.timings },
};
writeFileSync(new URL('../../bench/results/lead.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const md = [
  `# Lead mode benchmark (${result.date.slice(0, 10)})`,
  '',
  `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}. Command: \`npm run bench:lead\`.`,
  `History: ${fmt(history.length)} events of ${fmt(INSTANCES)} order workflows, replayed from memory by a fresh mirror per op, matrix kept current; lead mode predicts every scheduled activity (charge from its \`predict\`, reserve and ship from a learner that starts empty, per input) and judges each completion against its prediction, running a branch from the state before it where the result differs (the definition's prediction) or lies outside the learned spread.`,
  '',
  `${ROUNDS} rounds of the suite, each starting with the next case; each figure is the median over the rounds (± is the largest margin of a round, samples their sum). Slowdown = 1 - lead mode's events/s / replay only's, within a round.`,
  '',
  '| case | events/s (mean) | events/s (median) | ± % | samples |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) => `| ${r.name} | ${fmt(r.eventsPerSecond)} | ${fmt(r.medianEventsPerSecond)} | ${r.margin.toFixed(1)} | ${r.samples} |`,
  ),
  '',
  '| lead mode slower than replay only (target <= 30%) | from means | from medians | each round (means) |',
  '| --- | ---: | ---: | --- |',
  ...Object.entries(slowdown).map(([k, v]) => `| ${k} | ${pct(v.mean)} | ${pct(v.median)} | ${v.rounds.map(pct).join(', ')} |`),
  '',
  `Last lead-mode run: ${JSON.stringify(last?.stats)}.`,
  '',
  `## Fleet what-if`,
  '',
  `${fmt(WHAT_IF_INSTANCES)} order instances waiting for their dispatch timer; hypothesis: every dispatch fires now (each instance's handler runs on the fork and schedules its shipment); the forked fleet is compared with the real one in one batch. One op = fork + hypothesis + comparison.`,
  '',
  '| case | ms per op (mean) | median | ± % | samples |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...whatIfRows.map((r) => `| ${r.name} | ${fmt(r.msMean, 1)} | ${fmt(r.msMedian, 1)} | ${r.margin.toFixed(1)} | ${r.samples} |`),
  '',
  `${fmt(sample.changed)} of them had the timer open (the others wait for a charge retry). Split of one wasm-simd op (ms): fork ${fmt(sample.timings.forkMs, 1)}, hypothesis ${fmt(sample.timings.applyMs, 1)}, comparison ${fmt(sample.timings.compareMs, 1)}.`,
  '',
].join('\n');
writeFileSync(new URL('../../bench/results/lead.md', import.meta.url), md);
console.log(md);
process.exit(0);
