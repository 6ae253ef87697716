/**
 * The steady state of a fleet compared on a GPU node: both matrices resident on the device, each
 * cycle sending only the rows that changed (deltas, scattered on the device) and reading back only
 * the rows over the threshold (compacted with an atomic counter). Measured in one run against:
 *  - the CPU backends comparing the whole fleet in place (wasm-simd on one thread, piscina on all);
 *  - the webgpu backend's plain compare(), which uploads both matrices and reads back every row.
 * The resident answer is checked against the js reference (the exact set of rows over the
 * threshold, their masks exact) before anything is timed.
 * Env: BENCH_ROWS (default 1,000,000), BENCH_FIELDS (32), BENCH_THREADS (all cores),
 * BENCH_CHANGED_SHARE (rows changed per cycle, default 0.01), BENCH_TAG (suffix of the results
 * file names, e.g. nvidia-h100). Writes bench/results/gpu-resident[-TAG].json and .md.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import b from 'benny';
import { BACKENDS } from '../ts/compare/backend-registry.js';
import { compareRowsSync } from '../ts/compare/backends/js.js';
import { createWebGpuComparator, type WebGpuComparator } from '../ts/compare/backends/webgpu.js';
import type { Comparator, ComparisonResult } from '../ts/compare/comparator.js';
import { calibrationInput } from '../ts/hardware/calibrate.js';
import { machineInfo } from './machine.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const FIELDS = Number(process.env.BENCH_FIELDS ?? 32);
const THREADS = Number(process.env.BENCH_THREADS ?? availableParallelism());
const CHANGED_SHARE = Number(process.env.BENCH_CHANGED_SHARE ?? 0.01);
const TAG = process.env.BENCH_TAG ? `-${process.env.BENCH_TAG}` : '';
/** Rows with any deviation: the healthy fleet's 1% differing instances come back. */
const THRESHOLD = 0;
const caseOptions = { minSamples: 5, maxTime: 3 } as { minSamples: number; maxTime: number };

const { layout, primary, mirror } = calibrationInput(ROWS, FIELDS, undefined, 0.01);
const expected = compareRowsSync(primary, mirror, layout);

let gpu: WebGpuComparator;
try {
  gpu = await createWebGpuComparator();
} catch (error) {
  console.error(`webgpu is not available here: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}

/** The rows the reference puts over the threshold, with their mask words. */
function expectedOver(result: ComparisonResult): Map<number, number[]> {
  const words = result.affected.length / result.rowCount;
  const over = new Map<number, number[]>();
  for (let r = 0; r < result.rowCount; r++) {
    if (result.deviation[r]! > THRESHOLD) over.set(r, Array.from(result.affected.subarray(r * words, (r + 1) * words)));
  }
  return over;
}
const over = expectedOver(expected);

const fleet = gpu.createResidentFleet(layout, ROWS);
fleet.upload('primary', 0, primary);
fleet.upload('mirror', 0, mirror);
const first = await fleet.compareOverThreshold(THRESHOLD);
if (first.rows.length !== over.size) throw new Error(`resident: ${first.rows.length} rows over, expected ${over.size}`);
for (let i = 0; i < first.rows.length; i++) {
  const words = over.get(first.rows[i]!);
  const got = Array.from(first.affected.subarray(i * first.maskWords, (i + 1) * first.maskWords));
  if (words === undefined || words.join() !== got.join()) throw new Error(`resident: row ${first.rows[i]} differs`);
}

// The deltas of one cycle: CHANGED_SHARE of the rows, 4 fields each, written to the mirror with
// the values it already holds, so every cycle's answer stays the checked one.
const changedRows = Math.max(1, Math.round(ROWS * CHANGED_SHARE));
const deltaCount = changedRows * 4;
const rowIndex = new Uint32Array(deltaCount);
const fieldIndex = new Uint32Array(deltaCount);
const values = new Float64Array(deltaCount);
for (let i = 0; i < deltaCount; i++) {
  const row = Math.floor((i >> 2) * (ROWS / changedRows));
  const field = (i * 7) % FIELDS;
  rowIndex[i] = row;
  fieldIndex[i] = field;
  values[i] = mirror[row * layout.stride + field]!;
}

/** A CPU backend comparing the whole fleet in place (placed once in its wasm memory). */
async function cpuCase(name: 'wasm-simd' | 'piscina'): Promise<{ comparator: Comparator; run: () => Promise<unknown> }> {
  const comparator = await BACKENDS[name].create({ workers: THREADS });
  const storage = comparator.storage;
  const p = storage ? storage.allocate(primary.length) : primary;
  const m = storage ? storage.allocate(mirror.length) : mirror;
  if (storage) {
    p.set(primary);
    m.set(mirror);
  }
  const words = Math.ceil(FIELDS / 32);
  const block = storage ? storage.allocate(ROWS + Math.ceil((ROWS * words) / 2)) : new Float64Array(ROWS + ROWS * words);
  const output = {
    deviation: block.subarray(0, ROWS),
    affected: new Uint32Array(block.buffer, block.byteOffset + ROWS * 8, ROWS * words),
  };
  const got = await comparator.compare(p, m, layout);
  if (got.deviation.some((d, r) => d !== expected.deviation[r])) throw new Error(`${name}: deviations differ from the reference`);
  return { comparator, run: () => Promise.resolve(comparator.compare(p, m, layout, { output })) };
}

const simd = await cpuCase('wasm-simd');
const pooled = await cpuCase('piscina');
const gpuOutput = { deviation: new Float64Array(ROWS), affected: new Uint32Array(ROWS * Math.ceil(FIELDS / 32)) };

const NAMES = {
  simd: 'wasm-simd, whole fleet (1 thread)',
  pooled: `piscina, whole fleet (${THREADS} workers)`,
  plain: 'webgpu compare(): upload both matrices, read back every row',
  resident: `webgpu resident: deltas for ${(CHANGED_SHARE * 100).toFixed(1)}% of rows + rows over threshold`,
  residentOnly: 'webgpu resident: rows over threshold only',
} as const;
const cases: Record<string, () => Promise<unknown>> = {
  [NAMES.simd]: simd.run,
  [NAMES.pooled]: pooled.run,
  [NAMES.plain]: () => Promise.resolve(gpu.compare(primary, mirror, layout, { output: gpuOutput })),
  [NAMES.resident]: () => {
    fleet.applyDeltas('mirror', rowIndex, fieldIndex, values);
    return fleet.compareOverThreshold(THRESHOLD);
  },
  [NAMES.residentOnly]: () => fleet.compareOverThreshold(THRESHOLD),
};
for (const run of Object.values(cases)) await run(); // warm-up, unmeasured

const summary = await b.suite(
  `resident fleet, ${ROWS.toLocaleString('en-US')} x ${FIELDS}`,
  ...Object.entries(cases).map(([name, run]) => b.add(name, run, caseOptions)),
  b.cycle(),
  b.complete(),
);
const rows = summary.results.map((r) => ({
  name: r.name,
  msPerOp: r.details.mean * 1000,
  msMedian: r.details.median * 1000,
  msMin: r.details.min * 1000,
  margin: r.details.relativeMarginOfError,
  samples: r.samples,
}));
const median = (name: string) => rows.find((r) => r.name === name)?.msMedian ?? Number.NaN;
const ratios = {
  'resident cycle speed-up over wasm-simd (1 thread)': median(NAMES.simd) / median(NAMES.resident),
  [`resident cycle speed-up over piscina (${THREADS} workers)`]: median(NAMES.pooled) / median(NAMES.resident),
  'webgpu compare() speed-up over wasm-simd (1 thread)': median(NAMES.simd) / median(NAMES.plain),
  'webgpu compare() speed-up over piscina': median(NAMES.pooled) / median(NAMES.plain),
};

fleet.dispose();
gpu.dispose();
simd.comparator.dispose();
pooled.comparator.dispose();

const result = {
  suite: 'gpu-resident',
  date: new Date().toISOString(),
  machine: machineInfo(),
  adapter: gpu.adapter,
  rows: ROWS,
  fields: FIELDS,
  changedRowsPerCycle: changedRows,
  rowsOverThreshold: over.size,
  cases: rows,
  ratiosFromMedians: ratios,
};
const base = new URL(`../../bench/results/gpu-resident${TAG}`, import.meta.url);
writeFileSync(`${base.pathname}.json`, `${JSON.stringify(result, null, 2)}\n`);
const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const md = [
  `# Resident GPU fleet benchmark (${result.date.slice(0, 10)})`,
  '',
  `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}; adapter: ${gpu.adapter}.`,
  `Command: \`npm run bench:gpu-resident\`${TAG ? ` with BENCH_TAG=${TAG.slice(1)}` : ''}. Fleet: ${fmt(ROWS, 0)} instances x ${FIELDS} fields,`,
  `${fmt(over.size, 0)} rows over the threshold; a cycle writes ${fmt(deltaCount, 0)} field deltas to ${fmt(changedRows, 0)} rows.`,
  'The resident answer was checked against the js reference (exact row set and masks) before timing.',
  '',
  '| case | ms (mean) | median | fastest | ± % | samples |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) => `| ${r.name} | ${fmt(r.msPerOp)} | ${fmt(r.msMedian)} | ${fmt(r.msMin)} | ${r.margin.toFixed(1)} | ${r.samples} |`,
  ),
  '',
  '| ratio (from medians) | value |',
  '| --- | ---: |',
  ...Object.entries(ratios).map(([k, v]) => `| ${k} | ${fmt(v, 2)} |`),
  '',
].join('\n');
writeFileSync(`${base.pathname}.md`, md);
console.log(md);
process.exit(0);
