/** The roofline sums: the right total on one thread and split across workers, for lengths that do not divide evenly. */
import { describe, expect, it } from 'vitest';
import { loadRooflineModule, singleThreadSum, ThreadedSum } from '../../ts/benchmark/roofline.js';
import type { WasmMemory } from '../../ts/compare/backends/wasm-api.js';
import { WasmArena } from '../../ts/compare/backends/wasm-memory.js';

function arraysIn(arena: WasmArena, lengths: readonly number[]): Float64Array[] {
  return lengths.map((length, k) => {
    const a = arena.allocate(length);
    for (let i = 0; i < length; i++) a[i] = i + 1 + k * 0.5;
    return a;
  });
}

const total = (arrays: readonly Float64Array[]) => arrays.reduce((s, a) => s + a.reduce((x, y) => x + y, 0), 0);

describe('roofline', () => {
  it('sums arrays in wasm memory on the calling thread', async () => {
    const arena = new WasmArena();
    const arrays = arraysIn(arena, [1000, 13, 8]);
    const sum = singleThreadSum(await loadRooflineModule(), arena.memory);
    expect(sum(arrays)).toBe(total(arrays));
  });

  it.each([2, 3])('sums the same arrays on %i worker threads, every value once', async (threads) => {
    const arena = new WasmArena();
    const arrays = arraysIn(arena, [1001, 5, 64]);
    const pool = new ThreadedSum(await loadRooflineModule(), arena.memory, threads);
    try {
      expect(pool.threads).toBe(threads);
      expect(await pool.sum(arrays)).toBe(total(arrays));
      expect(await pool.sum(arrays)).toBe(total(arrays));
    } finally {
      await pool.close();
    }
  });

  it('rejects a sum, rather than crash or hang, when its workers cannot start', async () => {
    const arena = new WasmArena();
    const arrays = arraysIn(arena, [64]);
    // Not a WebAssembly.Memory: instantiating the module in each worker fails.
    const pool = new ThreadedSum(await loadRooflineModule(), {} as WasmMemory, 2);
    try {
      await expect(pool.sum(arrays)).rejects.toThrow(/memory/i);
    } finally {
      await pool.close();
    }
  });
});
