/**
 * The piscina backend against the oracle with real sharding (2 workers, shards of 8+ rows, so most
 * fixed and random cases are split and the tiny ones run on the calling thread), plus the shard
 * plan, zero-copy on the pool, concurrent comparisons, releases during a comparison in flight, and
 * workers that die.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRowsSync } from '../../ts/compare/backends/js.js';
import { createPiscinaComparator, type PiscinaComparator, piscinaBackend } from '../../ts/compare/backends/piscina.js';
import { ComparisonWorkerError, InvalidBackendSettingsError } from '../../ts/compare/backends/piscina-errors.js';
import { planShards } from '../../ts/compare/backends/piscina-shards.js';
import { ComparatorDisposedError } from '../../ts/compare/backends/wasm-errors.js';
import { expectSameResult, randomLayout, randomMatrices, runComparatorConformance } from './conformance.js';

const SHARDED = { workers: 2, minRowsPerWorker: 8 } as const;

runComparatorConformance('piscina (2 workers, sharded from 8 rows)', () => piscinaBackend.create(SHARDED), {
  largeFleetFields: 32,
});

describe('planShards', () => {
  it('covers the range exactly, in order, in near-equal shards of at least minRowsPerWorker rows', () => {
    for (const workers of [1, 2, 3, 4, 7]) {
      for (const minRows of [1, 8, 100]) {
        for (const rows of [0, 1, 7, 8, 9, 15, 16, 17, 99, 100, 101, 1000, 1001, 1003, 65_537]) {
          const shards = planShards(rows, workers, minRows);
          if (rows < minRows || rows === 0) {
            expect(shards).toEqual([]);
            continue;
          }
          expect(shards.length).toBe(Math.max(1, Math.min(workers, Math.floor(rows / minRows))));
          let next = 0;
          for (const shard of shards) {
            expect(shard.start).toBe(next);
            expect(shard.count).toBeGreaterThanOrEqual(minRows);
            next += shard.count;
          }
          expect(next).toBe(rows);
          const sizes = shards.map((s) => s.count);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it('splits a row count the workers do not divide: 1001 rows over 2 workers, 1003 over 3', () => {
    expect(planShards(1001, 2, 10)).toEqual([
      { start: 0, count: 501 },
      { start: 501, count: 500 },
    ]);
    expect(planShards(1003, 3, 10)).toEqual([
      { start: 0, count: 335 },
      { start: 335, count: 334 },
      { start: 669, count: 334 },
    ]);
  });
});

describe('piscina backend', () => {
  let comparator: PiscinaComparator;
  beforeAll(async () => {
    comparator = await createPiscinaComparator(SHARDED);
  });
  afterAll(() => {
    comparator.dispose();
  });

  it('probe: available, and create validates its settings', async () => {
    expect(await piscinaBackend.probe()).toEqual({ available: true, detail: expect.stringMatching(/worker threads/) });
    expect([comparator.name, comparator.workers, comparator.minRowsPerWorker]).toEqual(['piscina', 2, 8]);
    await expect(createPiscinaComparator({ workers: 0 })).rejects.toBeInstanceOf(InvalidBackendSettingsError);
    await expect(createPiscinaComparator({ minRowsPerWorker: 0.5 })).rejects.toBeInstanceOf(InvalidBackendSettingsError);
  });

  it('shards an odd row range across both workers and matches the oracle', async () => {
    const layout = randomLayout(37, 5);
    const { primary, mirror } = randomMatrices(layout, 1100, 6);
    const options = { rowStart: 37, rowCount: 1001 };
    const before = comparator.stats.pooledComparisons;
    const actual = await comparator.compare(primary, mirror, layout, options);
    expect(comparator.stats.pooledComparisons - before).toBe(1);
    expect(comparator.stats.lastShards).toEqual([
      { start: 0, count: 501 },
      { start: 501, count: 500 },
    ]);
    expectSameResult(actual, compareRowsSync(primary, mirror, layout, options));
  });

  it('runs a batch under minRowsPerWorker on the calling thread', async () => {
    const layout = randomLayout(6, 7);
    const { primary, mirror } = randomMatrices(layout, 7, 8);
    const before = comparator.stats;
    expectSameResult(await comparator.compare(primary, mirror, layout), compareRowsSync(primary, mirror, layout));
    expect(comparator.stats.callingThreadComparisons - before.callingThreadComparisons).toBe(1);
    expect(comparator.stats.pooledComparisons).toBe(before.pooledComparisons);
  });

  it('reads matrices from storage in place on the workers', async () => {
    const layout = randomLayout(16, 9);
    const { primary, mirror } = randomMatrices(layout, 500, 10);
    const p = comparator.storage.allocate(primary.length);
    const m = comparator.storage.allocate(mirror.length);
    p.set(primary);
    m.set(mirror);
    const before = comparator.stats;
    expectSameResult(await comparator.compare(p, m, layout), compareRowsSync(primary, mirror, layout));
    const after = comparator.stats;
    expect(after.pooledComparisons - before.pooledComparisons).toBe(1);
    expect(after.zeroCopyInputs - before.zeroCopyInputs).toBe(2);
    expect(after.copiedBytes).toBe(before.copiedBytes);
    comparator.storage.release(p);
    comparator.storage.release(m);
  });

  it('runs concurrent comparisons without mixing their outputs', async () => {
    const cases = [11, 12, 13, 14].map((seed) => {
      const layout = randomLayout(seed, seed);
      return { layout, ...randomMatrices(layout, 300 + seed, seed + 100) };
    });
    const results = await Promise.all(cases.map((c) => comparator.compare(c.primary, c.mirror, c.layout)));
    results.forEach((result, i) => {
      const c = cases[i]!;
      expectSameResult(result, compareRowsSync(c.primary, c.mirror, c.layout));
    });
  });

  it('keeps a released matrix intact until the comparison reading it has finished', async () => {
    const layout = randomLayout(24, 15);
    const { primary, mirror } = randomMatrices(layout, 20_000, 16);
    const expected = compareRowsSync(primary, mirror, layout);
    const p = comparator.storage.allocate(primary.length);
    const m = comparator.storage.allocate(mirror.length);
    p.set(primary);
    m.set(mirror);
    const inFlight = comparator.compare(p, m, layout);
    // The engines move on: the matrices grow into new ones and the old ones are released while
    // the workers still read them. New allocations must not land on them.
    comparator.storage.release(p);
    comparator.storage.release(m);
    const q = comparator.storage.allocate(primary.length);
    const r = comparator.storage.allocate(mirror.length);
    q.fill(Number.NaN);
    r.fill(Number.POSITIVE_INFINITY);
    expect([q.byteOffset, r.byteOffset]).not.toContain(p.byteOffset);
    expect([q.byteOffset, r.byteOffset]).not.toContain(m.byteOffset);
    expectSameResult(await inFlight, expected);
    // Once it is done, the released blocks are free again.
    const s = comparator.storage.allocate(primary.length);
    expect([p.byteOffset, m.byteOffset]).toContain(s.byteOffset);
    for (const array of [q, r, s]) comparator.storage.release(array);
  });

  it('rejects the comparisons in flight with a typed error when disposed', async () => {
    const own = await createPiscinaComparator(SHARDED);
    const layout = randomLayout(8, 17);
    const { primary, mirror } = randomMatrices(layout, 50_000, 18);
    const inFlight = own.compare(primary, mirror, layout);
    own.dispose();
    await expect(inFlight).rejects.toBeInstanceOf(ComparatorDisposedError);
    await expect(own.compare(primary, mirror, layout)).rejects.toBeInstanceOf(ComparatorDisposedError);
  });
});

describe('piscina backend with failing workers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wfmirror-piscina-'));
  const layout = randomLayout(8, 19);
  const { primary, mirror } = randomMatrices(layout, 100, 20);

  it('turns a worker that exits mid-shard into a typed rejection, not a hang', async () => {
    const script = join(dir, 'exiting-worker.mjs');
    writeFileSync(script, 'export default function shard() { process.exit(3); }\n');
    const dying = await createPiscinaComparator(SHARDED, { workerScript: script });
    try {
      const error = await dying.compare(primary, mirror, layout).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ComparisonWorkerError);
      expect((error as ComparisonWorkerError).code).toBe('COMPARISON_WORKER_FAILED');
      expect((error as Error).message).toMatch(/exited with code/);
    } finally {
      dying.dispose();
    }
  });

  it('turns a worker that throws into a typed rejection', async () => {
    const script = join(dir, 'throwing-worker.mjs');
    writeFileSync(script, "export default function shard() { throw new Error('kernel trapped'); }\n");
    const throwing = await createPiscinaComparator(SHARDED, { workerScript: script });
    try {
      await expect(throwing.compare(primary, mirror, layout)).rejects.toThrow(/kernel trapped/);
      await expect(throwing.compare(primary, mirror, layout)).rejects.toBeInstanceOf(ComparisonWorkerError);
    } finally {
      throwing.dispose();
    }
  });

  it('turns a worker that fails to load into a typed rejection', async () => {
    const script = join(dir, 'broken-worker.mjs');
    writeFileSync(script, "throw new Error('cannot load');\n");
    const broken = await createPiscinaComparator(SHARDED, { workerScript: script });
    try {
      await expect(broken.compare(primary, mirror, layout)).rejects.toBeInstanceOf(ComparisonWorkerError);
    } finally {
      broken.dispose();
    }
  });
});
