/**
 * The wasm backends against the oracle (the shared conformance suite, exact: no deviation
 * tolerance), plus what is theirs alone: the zero-copy path for matrices from `storage`, the
 * arena's release/reuse and growth rules, and the SIMD and scalar builds agreeing bit for bit.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRowsSync } from '../../ts/compare/backends/js.js';
import { type WasmComparator, wasmScalarBackend, wasmSimdBackend } from '../../ts/compare/backends/wasm.js';
import { webAssemblyApi } from '../../ts/compare/backends/wasm-api.js';
import {
  ComparatorDisposedError,
  StorageAllocationError,
  StorageReleaseError,
  WasmKernelInvalidError,
  WasmKernelMissingError,
  WasmMemoryExhaustedError,
} from '../../ts/compare/backends/wasm-errors.js';
import { instantiateKernel, loadKernelModuleFrom } from '../../ts/compare/backends/wasm-kernel.js';
import { WasmArena } from '../../ts/compare/backends/wasm-memory.js';
import { expectSameResult, randomLayout, randomMatrices, runComparatorConformance, SPECIAL_VALUES } from './conformance.js';

const createSimd = async (): Promise<WasmComparator> => (await wasmSimdBackend.create()) as WasmComparator;
const createScalar = async (): Promise<WasmComparator> => (await wasmScalarBackend.create()) as WasmComparator;

runComparatorConformance('wasm-simd', createSimd, { largeFleetFields: 32 });
runComparatorConformance('wasm-scalar', createScalar);

/** Copies a heap matrix into `storage`, as a fleet whose matrices live there would hold it. */
function inStorage(comparator: WasmComparator, matrix: Float64Array): Float64Array {
  const array = comparator.storage.allocate(matrix.length);
  array.set(matrix);
  return array;
}

function arenaOf(comparator: WasmComparator): WasmArena {
  if (!(comparator.storage instanceof WasmArena)) throw new Error('storage is not a WasmArena');
  return comparator.storage;
}

describe('wasm backends', () => {
  let simd: WasmComparator;
  let scalar: WasmComparator;
  beforeAll(async () => {
    simd = await createSimd();
    scalar = await createScalar();
  });
  afterAll(() => {
    simd.dispose();
    scalar.dispose();
  });

  it('probe: both builds are available here, and name their kernel', async () => {
    const probes = [await wasmSimdBackend.probe(), await wasmScalarBackend.probe()];
    expect(probes).toEqual([
      { available: true, detail: expect.stringMatching(/SIMD kernel .*compare-simd\.wasm$/) },
      { available: true, detail: expect.stringMatching(/scalar kernel .*compare-scalar\.wasm$/) },
    ]);
    expect([simd.name, simd.kernel, scalar.name, scalar.kernel]).toEqual(['wasm-simd', 'simd', 'wasm-scalar', 'scalar']);
  });

  it('reads matrices from storage in place, and copies only the compared rows of others', async () => {
    const layout = randomLayout(20, 1);
    const { primary, mirror } = randomMatrices(layout, 300, 2);
    const options = { rowStart: 40, rowCount: 100 };
    const expected = compareRowsSync(primary, mirror, layout, options);
    const before = simd.stats;

    expectSameResult(await simd.compare(inStorage(simd, primary), inStorage(simd, mirror), layout, options), expected);
    const afterZeroCopy = simd.stats;
    expect(afterZeroCopy.comparisons - before.comparisons).toBe(1);
    expect(afterZeroCopy.zeroCopyInputs - before.zeroCopyInputs).toBe(2);
    expect(afterZeroCopy.copiedInputs - before.copiedInputs).toBe(0);
    expect(afterZeroCopy.copiedBytes - before.copiedBytes).toBe(0);

    expectSameResult(await simd.compare(primary, inStorage(simd, mirror), layout, options), expected);
    const afterOneCopy = simd.stats;
    expect(afterOneCopy.zeroCopyInputs - afterZeroCopy.zeroCopyInputs).toBe(1);
    expect(afterOneCopy.copiedInputs - afterZeroCopy.copiedInputs).toBe(1);
    // 100 rows of stride 20, not the 300 rows the matrix holds.
    expect(afterOneCopy.copiedBytes - afterZeroCopy.copiedBytes).toBe(100 * layout.stride * 8);
  });

  it('treats a view into the storage memory (a subarray) as in place too', async () => {
    const layout = randomLayout(8, 3);
    const { primary, mirror } = randomMatrices(layout, 50, 4);
    const p = inStorage(simd, primary).subarray(10 * layout.stride);
    const m = inStorage(simd, mirror).subarray(10 * layout.stride);
    const before = simd.stats.zeroCopyInputs;
    const expected = compareRowsSync(primary, mirror, layout, { rowStart: 10 });
    const actual = await simd.compare(p, m, layout);
    expect(simd.stats.zeroCopyInputs - before).toBe(2);
    expect(actual.deviation).toEqual(expected.deviation);
    expect(actual.affected).toEqual(expected.affected);
  });

  it('returns results in ordinary arrays, not views of its shared memory', async () => {
    const layout = randomLayout(5, 5);
    const { primary, mirror } = randomMatrices(layout, 10, 6);
    const result = await simd.compare(inStorage(simd, primary), inStorage(simd, mirror), layout);
    expect(result.deviation.buffer).toBeInstanceOf(ArrayBuffer);
    expect(result.affected.buffer).toBeInstanceOf(ArrayBuffer);
  });

  it('writes straight into output arrays allocated from its storage (no copy out)', async () => {
    const layout = randomLayout(40, 9);
    const { primary, mirror } = randomMatrices(layout, 33, 10);
    const block = simd.storage.allocate(33 + 33);
    const output = { deviation: block.subarray(0, 33), affected: new Uint32Array(block.buffer, block.byteOffset + 33 * 8, 66) };
    const result = await simd.compare(inStorage(simd, primary), inStorage(simd, mirror), layout, { output });
    expectSameResult(result, compareRowsSync(primary, mirror, layout));
    expect(result.deviation.byteOffset).toBe(output.deviation.byteOffset);
    expect(result.affected.byteOffset).toBe(output.affected.byteOffset);
    simd.storage.release(block);
  });

  it('gives identical results from the SIMD and the scalar build (bit for bit), special values included', async () => {
    for (const fields of [1, 2, 3, 5, 31, 32, 33, 64, 67]) {
      const layout = randomLayout(fields, fields * 13);
      const { primary, mirror } = randomMatrices(layout, 257, fields * 17);
      // Every special pair somewhere in the first rows, so both paths meet every corner.
      let k = 0;
      for (const p of SPECIAL_VALUES) {
        for (const m of SPECIAL_VALUES) {
          const at = Math.floor(k / fields) * layout.stride + (k % fields);
          primary[at] = p;
          mirror[at] = m;
          k++;
        }
      }
      const a = await simd.compare(primary, mirror, layout, { missingWeight: 3.5 });
      const b = await scalar.compare(primary, mirror, layout, { missingWeight: 3.5 });
      expect(new Uint8Array(a.deviation.buffer)).toEqual(new Uint8Array(b.deviation.buffer));
      expect(a.affected).toEqual(b.affected);
      expectSameResult(a, compareRowsSync(primary, mirror, layout, { missingWeight: 3.5 }));
    }
  });

  it('rejects use after dispose with a typed error', async () => {
    const comparator = await createScalar();
    comparator.dispose();
    const layout = randomLayout(4, 1);
    await expect(comparator.compare(new Float64Array(4), new Float64Array(4), layout)).rejects.toBeInstanceOf(
      ComparatorDisposedError,
    );
  });
});

describe('WasmArena (the wasm backends’ MatrixStorage)', () => {
  it('allocates zero-filled, 16-byte aligned arrays in its shared memory', () => {
    const arena = new WasmArena();
    for (const length of [0, 1, 3, 8, 1001]) {
      const array = arena.allocate(length);
      expect(array.length).toBe(length);
      expect(array.byteOffset % 16).toBe(0);
      expect(array.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(array.every((v) => v === 0)).toBe(true);
      expect(arena.owns(array)).toBe(true);
    }
    expect(arena.owns(new Float64Array(8))).toBe(false);
    // Another SharedArrayBuffer (even another arena's) is not this memory.
    expect(arena.owns(new WasmArena().allocate(8))).toBe(false);
    expect(() => arena.allocate(-1)).toThrow(StorageAllocationError);
    expect(() => arena.allocate(1.5)).toThrow(StorageAllocationError);
  });

  it('reuses a released block, cleared, and coalesces neighbours', () => {
    const arena = new WasmArena();
    const a = arena.allocate(100);
    const b = arena.allocate(100);
    const c = arena.allocate(100);
    a.fill(7);
    b.fill(8);
    const aOffset = a.byteOffset;
    arena.release(a);
    const again = arena.allocate(100);
    expect(again.byteOffset).toBe(aOffset);
    expect(again.every((v) => v === 0)).toBe(true);
    // a's block and b's, freed, make one block that fits 200 values at a's offset.
    arena.release(again);
    arena.release(b);
    const both = arena.allocate(200);
    expect(both.byteOffset).toBe(aOffset);
    expect(both.every((v) => v === 0)).toBe(true);
    expect(arena.stats.liveBlocks).toBe(2);
    arena.release(both);
    arena.release(c);
    expect(arena.stats.liveBlocks).toBe(0);
  });

  it('refuses to release what it did not allocate, twice, or a part', () => {
    const arena = new WasmArena();
    const a = arena.allocate(16);
    expect(() => arena.release(new Float64Array(16))).toThrow(StorageReleaseError);
    expect(() => arena.release(a.subarray(2))).toThrow(StorageReleaseError);
    arena.release(a);
    expect(() => arena.release(a)).toThrow(StorageReleaseError);
  });

  it('holds a released block until every comparison begun before the release has ended', () => {
    const arena = new WasmArena();
    const a = arena.allocate(64);
    const first = arena.beginComparison();
    arena.release(a);
    const second = arena.beginComparison(); // began after the release: does not hold a
    expect(arena.allocate(64).byteOffset).not.toBe(a.byteOffset);
    expect(arena.stats.pendingReleases).toBe(1);
    arena.endComparison(second);
    expect(arena.stats.pendingReleases).toBe(1);
    arena.endComparison(first);
    expect(arena.stats.pendingReleases).toBe(0);
    expect(arena.allocate(64).byteOffset).toBe(a.byteOffset);
  });

  it('grows the memory and keeps earlier arrays valid and recognised as its own', async () => {
    const comparator = await createSimd();
    const arena = arenaOf(comparator);
    const layout = randomLayout(12, 9);
    const { primary, mirror } = randomMatrices(layout, 64, 10);
    const p = inStorage(comparator, primary);
    const m = inStorage(comparator, mirror);
    const bytesBefore = arena.stats.memoryBytes;
    const growsBefore = arena.stats.grows;
    // 32 MiB: far past the initial 1 MiB.
    const big = comparator.storage.allocate(4 * 1024 * 1024);
    expect(arena.stats.grows).toBeGreaterThan(growsBefore);
    expect(bytesBefore).toBeLessThan(32 * 1024 * 1024);
    expect(arena.stats.memoryBytes).toBeGreaterThanOrEqual(big.byteOffset + big.byteLength);
    // Earlier views: same length, same values, still ours (their buffer object predates the grow).
    expect(p.buffer).not.toBe(big.buffer);
    expect(p.length).toBe(primary.length);
    expect(p).toEqual(primary);
    expect(arena.owns(p) && arena.owns(big)).toBe(true);
    // Writes through an old view and through the new one reach the same bytes.
    big[big.length - 1] = 42;
    p[0] = primary[0]!;
    expect(arena.float64(p.byteOffset, 1)[0]).toBe(primary[0]);
    const zeroCopyBefore = comparator.stats.zeroCopyInputs;
    expectSameResult(await comparator.compare(p, m, layout), compareRowsSync(primary, mirror, layout));
    expect(comparator.stats.zeroCopyInputs - zeroCopyBefore).toBe(2);
    comparator.dispose();
  });

  it('fails with a typed error when the memory cannot grow enough', () => {
    const arena = new WasmArena({ initialPages: 2, maximumPages: 4 });
    expect(() => arena.allocate(1024 * 1024)).toThrow(WasmMemoryExhaustedError);
    // What fits still works after the failure.
    expect(arena.allocate(1024).length).toBe(1024);
  });
});

describe('kernel loading', () => {
  it('reports a missing kernel file with a typed error', async () => {
    const path = join(tmpdir(), `wfmirror-no-such-kernel-${process.pid}.wasm`);
    await expect(loadKernelModuleFrom(path)).rejects.toBeInstanceOf(WasmKernelMissingError);
  });

  it('reports a file that is not WebAssembly with a typed error', async () => {
    const path = join(tmpdir(), `wfmirror-broken-kernel-${process.pid}.wasm`);
    writeFileSync(path, 'not wasm');
    await expect(loadKernelModuleFrom(path)).rejects.toBeInstanceOf(WasmKernelInvalidError);
  });

  it('reports a module without the kernel exports with a typed error', async () => {
    const api = webAssemblyApi();
    if (api === undefined) throw new Error('no WebAssembly');
    const empty = await api.compile(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    expect(() => instantiateKernel(empty, new WasmArena().memory, 'empty.wasm')).toThrow(WasmKernelInvalidError);
  });
});
