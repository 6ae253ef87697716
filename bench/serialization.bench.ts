/**
 * Matrix serialization, measured in one run against baselines of the same run:
 *  - MatrixSnapshot encode/decode of a 1,000,000 x 32 matrix, warm (a reused writer, decoding into a
 *    reused matrix) and cold (fresh buffers), against a plain copy of the values (the floor of any
 *    warm path) and a fresh array of the same size filled once (the floor of any cold path: first
 *    touch of new memory);
 *  - the same against JSON.stringify / JSON.parse of the same data. JSON cannot hold the whole
 *    matrix (its text would pass V8's ~512 MB string limit), so both sides are also measured on a
 *    100,000-row slice and compared as rates (GB/s of payload);
 *  - deltas when 1% of the fields changed (uniformly at random over the 1M x 32 matrix, each touched
 *    row's seq moved): bytes and time of a Delta of the changed fields, against the full state
 *    vectors of the changed rows (every field, the same Delta format without diffing, and one
 *    StateVector buffer per row) and a whole snapshot.
 * Payload = the matrix's bytes: values + seqs + row-id bytes + row-id ends.
 * Writes bench/results/serialization.json and serialization.md.
 */
import { writeFileSync } from 'node:fs';
import b from 'benny';
import {
  applyDelta,
  DeltaTracker,
  decodeDelta,
  decodeMatrixSnapshot,
  encodeDelta,
  type FleetSchema,
  f64,
  layoutFor,
  MatrixSnapshotWriter,
  RowIndex,
  StateMatrix,
} from '../ts/index.js';
import { encodeStateVector } from '../ts/state/state-vector-codec.js';
import { caseOptions as benchCaseOptions, collectGarbage, machineInfo } from './machine.js';

const ROWS = Number(process.env.BENCH_SNAPSHOT_ROWS ?? 1_000_000);
const JSON_ROWS = Math.min(ROWS, Number(process.env.BENCH_JSON_ROWS ?? 100_000));
const FIELDS = 32;
const CHANGED_FRACTION = 0.01;
const WARMUP_RUNS = 2;

/** See engine.bench.ts: each case starts from a collected heap. */
const caseOptions = benchCaseOptions(3);

/** A seeded generator (mulberry32), so every run measures the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const state = Object.fromEntries(Array.from({ length: FIELDS }, (_, j) => [`f${j}`, f64()]));
const schema: FleetSchema = {
  workflowType: 'bench',
  version: 1,
  fingerprint: 'bench-fingerprint',
  state,
  layout: layoutFor(state),
};
const stride = schema.layout.stride;

/** `rows` rows of state-vector-like numbers (amounts with cents, counts, codes, 32-bit hashes), ids "order-0000042". */
function fleetOf(rows: number): { matrix: StateMatrix; index: RowIndex } {
  const next = random(42);
  const matrix = new StateMatrix(schema.layout, rows);
  matrix.ensureRows(rows);
  const index = new RowIndex();
  const data = matrix.data;
  for (let r = 0; r < rows; r++) {
    index.rowFor(`order-${String(r).padStart(7, '0')}`);
    matrix.setSeq(r, 1 + Math.floor(next() * 40));
    for (let j = 0; j < FIELDS; j++) {
      const kind = j % 4;
      data[r * stride + j] =
        kind === 0
          ? Math.round(next() * 1e7) / 100
          : kind === 1
            ? Math.floor(next() * 50)
            : kind === 2
              ? j % 5
              : Math.floor(next() * 2 ** 32);
    }
  }
  return { matrix, index };
}

function payloadBytes(rows: number, index: RowIndex): number {
  let ids = 0;
  for (let r = 0; r < rows; r++) ids += index.idOf(r).length;
  return rows * stride * 8 + rows * 8 + ids + rows * 4;
}

const big = fleetOf(ROWS);
const small = fleetOf(JSON_ROWS);
const bigPayload = payloadBytes(ROWS, big.index);
const smallPayload = payloadBytes(JSON_ROWS, small.index);

const writer = new MatrixSnapshotWriter();
const smallWriter = new MatrixSnapshotWriter();
const bigBytes = writer.encode(big.matrix, big.index, schema).slice();
const unaligned = new Uint8Array(bigBytes.length + 3);
unaligned.set(bigBytes, 3);
const unalignedBytes = unaligned.subarray(3);
const smallBytes = smallWriter.encode(small.matrix, small.index, schema).slice();
const reused = new StateMatrix(schema.layout, ROWS);
const smallReused = new StateMatrix(schema.layout, JSON_ROWS);
const copyTarget = new Float64Array(ROWS * stride);
const idStrings = Array.from({ length: ROWS }, (_, r) => big.index.idOf(r));

/** The JSON baseline's document: what a snapshot holds, as JSON can say it. */
const jsonDocument = {
  workflowType: schema.workflowType,
  version: schema.version,
  fingerprint: schema.fingerprint,
  fields: schema.layout.names,
  rowCount: JSON_ROWS,
  values: Array.from(small.matrix.data.subarray(0, JSON_ROWS * stride)),
  seqs: Array.from(small.matrix.seqs.subarray(0, JSON_ROWS)),
  ids: Array.from({ length: JSON_ROWS }, (_, r) => small.index.idOf(r)),
};
const jsonText = JSON.stringify(jsonDocument);

// Deltas: 1% of all fields, uniformly at random; each op writes them (alternating sign, so every
// op changes the bits) and moves the touched rows' seqs, like engines do.
const changeCount = Math.round(ROWS * FIELDS * CHANGED_FRACTION);
const changes = new Uint32Array(changeCount);
{
  const next = random(7);
  const picked = new Set<number>();
  while (picked.size < changeCount) picked.add(Math.floor(next() * ROWS * FIELDS));
  let i = 0;
  for (const cell of [...picked].sort((x, y) => x - y)) changes[i++] = cell;
}
const touchedRows = new Set(Array.from(changes, (cell) => Math.floor(cell / FIELDS))).size;
let flip = 1;
function writeChanges(matrix: StateMatrix): void {
  const data = matrix.data;
  const seqs = matrix.seqs;
  flip = -flip;
  let lastRow = -1;
  for (let i = 0; i < changes.length; i++) {
    const cell = changes[i]!;
    const row = Math.floor(cell / FIELDS);
    data[row * stride + (cell % FIELDS)] = flip * (i + 0.5);
    if (row !== lastRow) {
      matrix.setSeq(row, seqs[row]! + 1);
      lastRow = row;
    }
  }
}
const deltaTracker = new DeltaTracker(big.matrix, big.index, schema);
deltaTracker.mark();
const vectorTracker = new DeltaTracker(big.matrix, big.index, schema, { diffFields: false });
vectorTracker.mark();
writeChanges(big.matrix);
const sampleDelta = encodeDelta(deltaTracker.take());
const sampleVectors = encodeDelta(vectorTracker.take());
let stateVectorBytes = 0;
{
  let r = -1;
  for (const cell of changes) {
    const row = Math.floor(cell / FIELDS);
    if (row === r) continue;
    r = row;
    stateVectorBytes += encodeStateVector(stateVectorOf(row)).length;
  }
}

function stateVectorOf(row: number) {
  return {
    workflowId: big.index.idOf(row),
    workflowType: schema.workflowType,
    version: schema.version,
    seq: big.matrix.seqs[row]!,
    values: big.matrix.data.slice(row * stride, row * stride + FIELDS),
  };
}

/** The cases, by name. */
const cases: Record<string, () => unknown> = {
  'baseline: copy of the values (warm memory)': () => copyTarget.set(big.matrix.data.subarray(0, ROWS * stride)),
  'baseline: fresh array of the values, filled (cold memory)': () => new Float64Array(ROWS * stride).fill(1),
  'snapshot encode, reused writer': () => writer.encode(big.matrix, big.index, schema),
  'snapshot encode, fresh buffer': () => new MatrixSnapshotWriter().encode(big.matrix, big.index, schema),
  'snapshot decode, into a reused matrix': () => decodeMatrixSnapshot(bigBytes, schema, { into: reused }),
  'snapshot decode, into a reused matrix, unaligned bytes': () => decodeMatrixSnapshot(unalignedBytes, schema, { into: reused }),
  'snapshot decode, new matrix': () => decodeMatrixSnapshot(bigBytes, schema),
  'baseline: RowIndex of the ids (strings already made)': () => {
    const index = new RowIndex();
    for (const id of idStrings) index.rowFor(id);
    return index;
  },
  'snapshot decode, into a reused matrix, + row ids -> RowIndex': () =>
    decodeMatrixSnapshot(bigBytes, schema, { into: reused }).rowIds.toRowIndex(),
  'JSON.stringify (100k rows)': () => JSON.stringify(jsonDocument),
  'JSON.parse + typed arrays (100k rows)': () => {
    const parsed = JSON.parse(jsonText) as { values: number[]; seqs: number[] };
    return [Float64Array.from(parsed.values), Float64Array.from(parsed.seqs)];
  },
  'snapshot encode, reused writer (100k rows)': () => smallWriter.encode(small.matrix, small.index, schema),
  'snapshot decode, into a reused matrix (100k rows)': () => decodeMatrixSnapshot(smallBytes, schema, { into: smallReused }),
  'baseline: write the 1% changes': () => writeChanges(big.matrix),
  'delta (changed fields): write + take + encode': () => {
    writeChanges(big.matrix);
    return encodeDelta(deltaTracker.take());
  },
  'full vectors of changed rows (Delta, every field): write + take + encode': () => {
    writeChanges(big.matrix);
    return encodeDelta(vectorTracker.take());
  },
  'full vectors of changed rows (one StateVector each): encode': () => {
    let r = -1;
    let bytes = 0;
    for (const cell of changes) {
      const row = Math.floor(cell / FIELDS);
      if (row === r) continue;
      r = row;
      bytes += encodeStateVector(stateVectorOf(row)).length;
    }
    return bytes;
  },
  'delta decode': () => decodeDelta(sampleDelta, schema),
  'full vectors of changed rows (Delta): decode': () => decodeDelta(sampleVectors, schema),
};

async function suite(name: string, names: readonly string[]) {
  const only = process.env.BENCH_ONLY;
  const chosen = only === undefined ? names : names.filter((n) => n.includes(only));
  if (chosen.length === 0) return { results: [] };
  for (const caseName of chosen) for (let i = 0; i < WARMUP_RUNS; i++) await cases[caseName]!();
  collectGarbage();
  return b.suite(name, ...chosen.map((caseName) => b.add(caseName, cases[caseName]!, caseOptions)), b.cycle(), b.complete());
}

const snapshotSuite = await suite('snapshot', [
  'baseline: copy of the values (warm memory)',
  'baseline: fresh array of the values, filled (cold memory)',
  'snapshot encode, reused writer',
  'snapshot encode, fresh buffer',
  'snapshot decode, into a reused matrix',
  'snapshot decode, into a reused matrix, unaligned bytes',
  'snapshot decode, new matrix',
  'baseline: RowIndex of the ids (strings already made)',
  'snapshot decode, into a reused matrix, + row ids -> RowIndex',
]);
const jsonSuite = await suite('json', [
  'JSON.stringify (100k rows)',
  'JSON.parse + typed arrays (100k rows)',
  'snapshot encode, reused writer (100k rows)',
  'snapshot decode, into a reused matrix (100k rows)',
]);
const deltaSuite = await suite('delta', [
  'baseline: write the 1% changes',
  'delta (changed fields): write + take + encode',
  'full vectors of changed rows (Delta, every field): write + take + encode',
  'full vectors of changed rows (one StateVector each): encode',
  'delta decode',
  'full vectors of changed rows (Delta): decode',
]);

/** applyDelta changes its target, so it is timed by hand: a fresh copy (untimed) per run, median of 5. */
function timeApply(): number {
  const times: number[] = [];
  const base = writer.encode(big.matrix, big.index, schema).slice();
  deltaTracker.mark();
  writeChanges(big.matrix);
  const delta = decodeDelta(encodeDelta(deltaTracker.take()), schema);
  for (let i = 0; i < 5; i++) {
    const decoded = decodeMatrixSnapshot(base, schema, { into: reused });
    const index = decoded.rowIds.toRowIndex();
    const start = performance.now();
    applyDelta(reused, index, delta, schema);
    times.push((performance.now() - start) / 1000);
  }
  return times.sort((x, y) => x - y)[2]!;
}
const applySeconds = timeApply();

const results = [...snapshotSuite.results, ...jsonSuite.results, ...deltaSuite.results];
/** Bytes each case moves, for GB/s: the snapshot payload, or the values alone for the copy baselines. */
const payloadPerOp: Record<string, number> = {
  'baseline: copy of the values (warm memory)': ROWS * stride * 8,
  'baseline: fresh array of the values, filled (cold memory)': ROWS * stride * 8,
  'snapshot encode, reused writer': bigPayload,
  'snapshot encode, fresh buffer': bigPayload,
  'snapshot decode, into a reused matrix': bigPayload,
  'snapshot decode, into a reused matrix, unaligned bytes': bigPayload,
  'snapshot decode, new matrix': bigPayload,
  'snapshot decode, into a reused matrix, + row ids -> RowIndex': bigPayload,
  'JSON.stringify (100k rows)': smallPayload,
  'JSON.parse + typed arrays (100k rows)': smallPayload,
  'snapshot encode, reused writer (100k rows)': smallPayload,
  'snapshot decode, into a reused matrix (100k rows)': smallPayload,
};
const rows = results.map((r) => {
  const payload = payloadPerOp[r.name];
  return {
    name: r.name,
    meanSeconds: r.details.mean,
    payloadGBps: payload === undefined ? undefined : payload / r.details.mean / 1e9,
    margin: r.details.relativeMarginOfError,
    samples: r.samples,
  };
});
const seconds = (name: string) => rows.find((r) => r.name === name)?.meanSeconds ?? Number.NaN;
const rate = (name: string, payload: number) => payload / seconds(name) / 1e9;
const ratios = {
  'snapshot encode vs JSON.stringify (100k rows, same data)':
    seconds('JSON.stringify (100k rows)') / seconds('snapshot encode, reused writer (100k rows)'),
  'snapshot decode vs JSON.parse (100k rows, same data)':
    seconds('JSON.parse + typed arrays (100k rows)') / seconds('snapshot decode, into a reused matrix (100k rows)'),
  'snapshot encode 1M (warm) vs JSON.stringify, GB/s':
    rate('snapshot encode, reused writer', bigPayload) / rate('JSON.stringify (100k rows)', smallPayload),
  'snapshot decode 1M (warm) vs JSON.parse, GB/s':
    rate('snapshot decode, into a reused matrix', bigPayload) / rate('JSON.parse + typed arrays (100k rows)', smallPayload),
  'snapshot encode 1M (cold) vs JSON.stringify, GB/s':
    rate('snapshot encode, fresh buffer', bigPayload) / rate('JSON.stringify (100k rows)', smallPayload),
  'snapshot decode 1M (cold) vs JSON.parse, GB/s':
    rate('snapshot decode, new matrix', bigPayload) / rate('JSON.parse + typed arrays (100k rows)', smallPayload),
  'snapshot encode (warm) vs copy of the values':
    seconds('baseline: copy of the values (warm memory)') / seconds('snapshot encode, reused writer'),
  'snapshot encode (cold) vs fresh filled array':
    seconds('baseline: fresh array of the values, filled (cold memory)') / seconds('snapshot encode, fresh buffer'),
  'delta bytes vs full vectors (Delta) bytes': sampleDelta.length / sampleVectors.length,
  'delta bytes vs StateVector per changed row': sampleDelta.length / stateVectorBytes,
  'delta bytes vs whole snapshot': sampleDelta.length / bigBytes.length,
  'delta time vs full vectors (Delta) time (both minus the write baseline)':
    (seconds('delta (changed fields): write + take + encode') - seconds('baseline: write the 1% changes')) /
    (seconds('full vectors of changed rows (Delta, every field): write + take + encode') -
      seconds('baseline: write the 1% changes')),
};
const sizes = {
  snapshotBytes: bigBytes.length,
  payloadBytes: bigPayload,
  jsonRows: JSON_ROWS,
  jsonTextChars: jsonText.length,
  jsonPayloadBytes: smallPayload,
  changedFields: changeCount,
  changedRows: touchedRows,
  deltaBytes: sampleDelta.length,
  fullVectorDeltaBytes: sampleVectors.length,
  stateVectorBytes,
  applyDeltaSeconds: applySeconds,
};
const result = {
  suite: 'serialization',
  date: new Date().toISOString(),
  machine: machineInfo(),
  rows: ROWS,
  fields: FIELDS,
  sizes,
  results: rows,
  ratios,
};
writeFileSync(new URL('../../bench/results/serialization.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (s: number) => fmt(s * 1000, 1);
const md = [
  `# Serialization benchmark (${result.date.slice(0, 10)})`,
  '',
  `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}. Command: \`npm run bench:serialization\`.`,
  `Matrix: ${fmt(ROWS)} rows x ${FIELDS} f64 fields (stride ${stride}); payload ${fmt(bigPayload / 1e6, 1)} MB (values, seqs, row ids, id ends), snapshot ${fmt(bigBytes.length / 1e6, 1)} MB.`,
  `JSON cannot hold the whole matrix in one string, so JSON and snapshot are also compared on ${fmt(JSON_ROWS)} rows of the same data (${fmt(smallPayload / 1e6, 1)} MB payload, ${fmt(jsonText.length / 1e6, 1)} M chars of JSON) and as rates. JSON also loses NaN (null) and -0, which the snapshot keeps.`,
  '"Warm" reuses memory (a kept writer; decoding into an existing matrix); "cold" allocates it. On this VM the first touch of fresh memory is the dominant cost of any cold path: see the cold-memory baseline.',
  `Each case: ${WARMUP_RUNS} unmeasured runs, then benny (min 5 samples), on a collected heap.`,
  '',
  '| case | ms/op | GB/s (payload; values alone for the baselines) | ± % | samples |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${ms(r.meanSeconds)} | ${r.payloadGBps === undefined ? '' : fmt(r.payloadGBps, 2)} | ${r.margin.toFixed(1)} | ${r.samples} |`,
  ),
  `| applyDelta of the 1% delta (median of 5, by hand) | ${ms(applySeconds)} | | | 5 |`,
  '',
  `Deltas: ${fmt(changeCount)} changed fields (1% of all, uniformly at random) in ${fmt(touchedRows)} rows.`,
  '',
  '| bytes | value |',
  '| --- | ---: |',
  `| Delta of the changed fields | ${fmt(sampleDelta.length)} |`,
  `| full vectors of the changed rows, as one Delta | ${fmt(sampleVectors.length)} |`,
  `| full vectors of the changed rows, one StateVector each | ${fmt(stateVectorBytes)} |`,
  `| whole snapshot | ${fmt(bigBytes.length)} |`,
  '',
  '| ratio | value |',
  '| --- | ---: |',
  ...Object.entries(ratios).map(([k, v]) => `| ${k} | ${v.toFixed(3)} |`),
  '',
].join('\n');
writeFileSync(new URL('../../bench/results/serialization.md', import.meta.url), md);
console.log(md);
