/**
 * Every comparison backend on one fleet size (default 1,000,000 instances x 32 fields), measured in
 * one run against, in the same run:
 *  - the memory-bandwidth roofline: a plain wasm SIMD sum over the same two matrices, on one
 *    thread and on as many threads as the piscina backend uses (ts/benchmark/roofline.ts);
 *  - a naive implementation written the way the concept's pseudocode reads (objects keyed by
 *    variable name) and a plain typed-array loop (bench/compare-baselines.ts).
 * Two fleets: a healthy one (1% of the instances differ from their mirror, as in production) with
 * every case, and a stressed one (25% differ) with the CPU cases, where no kernel can skip much.
 * Backends that keep matrices in memory of their own (wasm arenas) get the fleet placed there once,
 * as a fleet created with that backend is, so they compare in place. Every case writes its result
 * into reused output arrays (CompareOptions.output). Every backend's answer is
 * checked against the js reference before it is timed.
 * Writes bench/results/compare.json and compare.md (compare-TAG.* with BENCH_TAG=TAG, e.g. nvidia-h100).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import b from 'benny';
import type { CaseResult } from 'benny/lib/internal/common-types.js';
import { loadRooflineModule, singleThreadSum, ThreadedSum } from '../ts/benchmark/roofline.js';
import { BACKEND_NAMES, type BackendName } from '../ts/compare/backend.js';
import { BACKENDS } from '../ts/compare/backend-registry.js';
import { compareRowsSync } from '../ts/compare/backends/js.js';
import type { WasmArena } from '../ts/compare/backends/wasm-memory.js';
import type { Comparator, ComparisonLayout, ComparisonResult } from '../ts/compare/comparator.js';
import { calibrationInput } from '../ts/hardware/calibrate.js';
import { naiveCompare, namedRules, toNamedVectors, typedLoopCompare } from './compare-baselines.js';
import { caseOptions as benchCaseOptions, collectGarbage, machineInfo } from './machine.js';
import { type PairedRatio, pairedRounds } from './paired-rounds.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const FIELDS = Number(process.env.BENCH_FIELDS ?? 32);
const THREADS = Number(process.env.BENCH_THREADS ?? availableParallelism());
const TAG = process.env.BENCH_TAG ? `-${process.env.BENCH_TAG}` : '';
const caseOptions = benchCaseOptions(3);
/** Paired rounds of the roofline ratios (see paired-rounds.ts): how many, and seconds per case each. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_TIME = 1;
/** The GPU backends' documented relative deviation bound is far below this (exact masks always). */
const GPU_BOUND = 1e-12;
const ROOF_1 = 'roofline: plain sum, 1 thread';
const ROOF_N = `roofline: plain sum, ${THREADS} threads`;
const POOLED = `piscina (${THREADS} workers, wasm SIMD)`;
const NAIVE = 'naive: objects keyed by variable name';

interface Fleet {
  readonly label: string;
  readonly layout: ComparisonLayout;
  readonly primary: Float64Array;
  readonly mirror: Float64Array;
  readonly expected: ComparisonResult;
}

function fleet(label: string, differingRowShare: number): Fleet {
  const input = calibrationInput(ROWS, FIELDS, undefined, differingRowShare);
  return { label, ...input, expected: compareRowsSync(input.primary, input.mirror, input.layout) };
}

/** Throws unless `actual` is the reference's answer (the wasm kernels bit-exact; GPU paths within their bound). */
function check(name: string, f: Fleet, actual: ComparisonResult, relative: number): void {
  const { expected } = f;
  if (actual.rowCount !== expected.rowCount) throw new Error(`${name}: ${actual.rowCount} rows, expected ${expected.rowCount}`);
  for (let i = 0; i < expected.rowCount; i++) {
    const e = expected.deviation[i]!;
    const a = actual.deviation[i]!;
    if (a !== e && !(Math.abs(a - e) <= relative * Math.abs(e)))
      throw new Error(`${name}: row ${i} deviation ${a}, expected ${e}`);
  }
  for (let w = 0; w < expected.affected.length; w++) {
    if (actual.affected[w] !== expected.affected[w]) throw new Error(`${name}: affected word ${w} differs`);
  }
}

/** The fleet copied into `comparator.storage` when it has one (once, as a fleet would be allocated there). */
function placedFor(comparator: Comparator, f: Fleet): { primary: Float64Array; mirror: Float64Array } {
  const storage = comparator.storage;
  if (storage === undefined) return f;
  const primary = storage.allocate(f.primary.length);
  const mirror = storage.allocate(f.mirror.length);
  primary.set(f.primary);
  mirror.set(f.mirror);
  return { primary, mirror };
}

/**
 * Reused result arrays, as a caller comparing its fleet periodically passes them
 * (`CompareOptions.output`); in the backend's storage when it has one, so the wasm kernels write
 * them in place. A fresh 12 MB result per call would mostly measure the garbage collector.
 */
function outputFor(comparator: Comparator): { deviation: Float64Array; affected: Uint32Array } {
  const words = Math.max(1, Math.ceil(FIELDS / 32));
  const storage = comparator.storage;
  if (storage === undefined) return { deviation: new Float64Array(ROWS), affected: new Uint32Array(ROWS * words) };
  const block = storage.allocate(ROWS + Math.ceil((ROWS * words) / 2));
  return {
    deviation: block.subarray(0, ROWS),
    affected: new Uint32Array(block.buffer, block.byteOffset + ROWS * 8, ROWS * words),
  };
}

// Backends are created once and serve both fleets.
const comparators: { name: BackendName; comparator: Comparator }[] = [];
const notRun: { backend: BackendName; reason: string }[] = [];
for (const name of BACKEND_NAMES) {
  const probe = await BACKENDS[name].probe();
  if (!probe.available) {
    notRun.push({ backend: name, reason: probe.reason });
    continue;
  }
  try {
    comparators.push({ name, comparator: await BACKENDS[name].create({ workers: THREADS }) });
  } catch (error) {
    notRun.push({ backend: name, reason: error instanceof Error ? error.message : String(error) });
  }
}
const rooflineWasm = await loadRooflineModule();
const closers: (() => unknown)[] = [];

/** The cases of one fleet; `everything` adds the slow ones (naive, GPU backends). */
async function casesFor(f: Fleet, everything: boolean): Promise<Record<string, () => unknown>> {
  const cases: Record<string, () => unknown> = {};
  for (const { name, comparator } of comparators) {
    const gpu = name === 'webgpu' || name === 'gpujs';
    if (gpu && !everything) continue;
    const placed = placedFor(comparator, f);
    const label = name === 'piscina' ? POOLED : name === 'js' ? 'js reference' : name;
    check(label, f, await comparator.compare(placed.primary, placed.mirror, f.layout), gpu ? GPU_BOUND : 0);
    const output = outputFor(comparator);
    cases[label] = () => comparator.compare(placed.primary, placed.mirror, f.layout, { output });
    // The rooflines read the very arrays the wasm kernels read, in the same memory.
    if (name === 'wasm-simd') {
      const sum = singleThreadSum(rooflineWasm, (comparator.storage as WasmArena).memory);
      cases[ROOF_1] = () => sum([placed.primary, placed.mirror]);
    }
    if (name === 'piscina') {
      const roofline = new ThreadedSum(rooflineWasm, (comparator.storage as WasmArena).memory, THREADS);
      closers.push(() => roofline.close());
      cases[ROOF_N] = () => roofline.sum([placed.primary, placed.mirror]);
    }
  }
  const loopDeviation = new Float64Array(ROWS);
  const loopAffected = new Uint32Array(ROWS * Math.max(1, Math.ceil(FIELDS / 32)));
  cases['plain typed-array loop'] = () => typedLoopCompare(f.primary, f.mirror, f.layout, ROWS, loopDeviation, loopAffected);
  return cases;
}

/**
 * The naive case, in a suite of its own after the others: its two million objects would
 * otherwise sit in the heap while every other case is timed, and V8's concurrent marking of them
 * would take the second core from the threaded cases. They are garbage once this returns.
 */
async function naiveCase(f: Fleet): Promise<CaseResult> {
  const namedPrimary = toNamedVectors(f.primary, f.layout, ROWS);
  const namedMirror = toNamedVectors(f.mirror, f.layout, ROWS);
  const rules = namedRules(f.layout);
  const run = () => naiveCompare(namedPrimary, namedMirror, rules);
  run(); // warm-up, unmeasured
  const summary = await b.suite(`${f.label}: naive`, b.add(NAIVE, run, caseOptions), b.cycle(), b.complete());
  return summary.results[0]!;
}

const FIRST = [ROOF_1, ROOF_N, NAIVE, 'plain typed-array loop', 'js reference'];
const rank = (name: string) => (FIRST.includes(name) ? FIRST.indexOf(name) : FIRST.length);

interface Row {
  fleet: string;
  name: string;
  threads: number;
  msPerOp: number;
  msMedian: number;
  msMin: number;
  gigabytesPerSecond: number;
  margin: number;
  samples: number;
}

/** The roofline ratios of one fleet in paired rounds, for the kernels that ran. */
function rooflinePairs(cases: Record<string, () => unknown>) {
  const pair = (ratio: string, baseline: string, subject: string) =>
    cases[baseline] && cases[subject]
      ? [{ ratio, baseline: { name: baseline, run: cases[baseline] }, subject: { name: subject, run: cases[subject] } }]
      : [];
  return [
    ...pair('wasm-simd / roofline (1 thread)', ROOF_1, 'wasm-simd'),
    ...pair(`piscina / roofline (${THREADS} threads)`, ROOF_N, POOLED),
  ];
}

interface FleetResult {
  readonly rows: Row[];
  readonly paired: PairedRatio[];
}

const bytesRead = 2 * ROWS * Math.ceil(FIELDS / 4) * 4 * 8;
async function runFleet(f: Fleet, everything: boolean): Promise<FleetResult> {
  const cases = await casesFor(f, everything);
  const order = Object.keys(cases).sort((x, y) => rank(x) - rank(y));
  for (const name of order) await cases[name]!(); // warm-up, unmeasured
  collectGarbage();
  const summary = await b.suite(f.label, ...order.map((name) => b.add(name, cases[name]!, caseOptions)), b.cycle(), b.complete());
  const results: CaseResult[] = [...summary.results];
  collectGarbage();
  const paired = await pairedRounds(f.label, rooflinePairs(cases), ROUNDS, ROUND_TIME);
  if (everything) {
    collectGarbage();
    results.push(await naiveCase(f));
  }
  collectGarbage();
  const rows = results
    .sort((x, y) => rank(x.name) - rank(y.name))
    .map((r) => ({
      fleet: f.label,
      name: r.name,
      threads: r.name === POOLED || r.name === ROOF_N ? THREADS : 1,
      msPerOp: r.details.mean * 1000,
      msMedian: r.details.median * 1000,
      msMin: r.details.min * 1000,
      gigabytesPerSecond: bytesRead / r.details.mean / 1e9,
      margin: r.details.relativeMarginOfError,
      samples: r.samples,
    }));
  return { rows, paired };
}

const healthyFleet = await runFleet(fleet('healthy fleet (1% of instances differ)', 0.01), true);
const stressedFleet = await runFleet(fleet('stressed fleet (25% of instances differ)', 0.25), false);
const healthy = healthyFleet.rows;
const stressed = stressedFleet.rows;
for (const close of closers) await close();
for (const { comparator } of comparators) comparator.dispose();

/**
 * Ratios from means, from medians and from the fastest sample of each case. This machine is a
 * shared VM: a neighbour's burst lands on a few samples of whichever case runs then and drags its
 * mean, while the median stays with the typical run.
 */
function ratiosOf(rows: readonly Row[]) {
  type Statistic = 'msPerOp' | 'msMedian' | 'msMin';
  const get = (name: string, key: Statistic) => rows.find((r) => r.name === name)?.[key] ?? Number.NaN;
  const pair = (f: (key: Statistic) => number) => ({ mean: f('msPerOp'), median: f('msMedian'), best: f('msMin') });
  return {
    'wasm-simd / roofline (1 thread)': pair((k) => get(ROOF_1, k) / get('wasm-simd', k)),
    [`piscina / roofline (${THREADS} threads)`]: pair((k) => get(ROOF_N, k) / get(POOLED, k)),
    'wasm-simd speed-up over naive': pair((k) => get(NAIVE, k) / get('wasm-simd', k)),
    'piscina speed-up over naive': pair((k) => get(NAIVE, k) / get(POOLED, k)),
    'wasm-simd speed-up over js reference': pair((k) => get('js reference', k) / get('wasm-simd', k)),
  };
}
const ratios = { healthy: ratiosOf(healthy), stressed: ratiosOf(stressed) };
const result = {
  suite: 'compare',
  date: new Date().toISOString(),
  machine: machineInfo(),
  rows: ROWS,
  fields: FIELDS,
  bytesReadPerOp: bytesRead,
  cases: [...healthy, ...stressed],
  ratios,
  pairedRounds: { rounds: ROUNDS, secondsPerCase: ROUND_TIME, healthy: healthyFleet.paired, stressed: stressedFleet.paired },
  notRun,
};
writeFileSync(new URL(`../../bench/results/compare${TAG}.json`, import.meta.url), `${JSON.stringify(result, null, 2)}\n`);

const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const table = (title: string, rows: readonly Row[], r: ReturnType<typeof ratiosOf>, paired: readonly PairedRatio[]) => [
  `## ${title}`,
  '',
  '| case | threads | ms per comparison (mean) | median | fastest sample | GB/s (mean) | ± % | samples |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (x) =>
      `| ${x.name} | ${x.threads} | ${fmt(x.msPerOp)} | ${fmt(x.msMedian)} | ${fmt(x.msMin)} | ${fmt(x.gigabytesPerSecond, 2)} | ${x.margin.toFixed(1)} | ${x.samples} |`,
  ),
  '',
  '| ratio | from means | from medians | from fastest samples |',
  '| --- | ---: | ---: | ---: |',
  ...Object.entries(r)
    .filter(([, v]) => Number.isFinite(v.mean))
    .map(([k, v]) => `| ${k} | ${fmt(v.mean, 2)} | ${fmt(v.median, 2)} | ${fmt(v.best, 2)} |`),
  '',
  ...(paired.length === 0
    ? []
    : [
        `Paired rounds: ${ROUNDS} rounds of the two cases alone, ${ROUND_TIME} s each, order swapped each round; a round's ratio is from the two medians.`,
        '',
        '| ratio, paired rounds | median of rounds | lowest | highest |',
        '| --- | ---: | ---: | ---: |',
        ...paired.map((x) => `| ${x.ratio} | ${fmt(x.median, 2)} | ${fmt(x.lowest, 2)} | ${fmt(x.highest, 2)} |`),
        '',
      ]),
];
const md = [
  `# Comparator benchmark (${result.date.slice(0, 10)})`,
  '',
  `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}. Command: \`npm run bench:compare\`.`,
  `Fleets: ${fmt(ROWS, 0)} instances x ${FIELDS} float64 fields, row-major; ${fmt(bytesRead / 1e6, 0)} MB read per comparison (both matrices).`,
  "Every backend's answer was checked against the js reference before it was timed (wasm and piscina: bit-exact). Results are written into reused output arrays (`CompareOptions.output`, in the backend's wasm memory where it has one). GB/s = bytes of both matrices / mean time per comparison.",
  '',
  ...table(healthy[0]?.fleet ?? 'healthy', healthy, ratios.healthy, healthyFleet.paired),
  ...table(stressed[0]?.fleet ?? 'stressed', stressed, ratios.stressed, stressedFleet.paired),
  ...(notRun.length > 0 ? ['Not run here:', ...notRun.map((n) => `- ${n.backend}: ${n.reason}`), ''] : []),
].join('\n');
writeFileSync(new URL(`../../bench/results/compare${TAG}.md`, import.meta.url), md);
console.log(md);
process.exit(0);
