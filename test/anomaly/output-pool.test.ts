/** The detector's pool of result arrays: reuse, growth, storage placement and release. */
import { describe, expect, it } from 'vitest';
import { OutputPool } from '../../ts/anomaly/output-pool.js';
import { recordingStorage } from '../support/recording-storage.js';

describe('OutputPool', () => {
  it('hands back the same arrays for the next round of the same or a smaller size', () => {
    const pool = new OutputPool(undefined);
    const a = pool.take(3000, 3000);
    expect(a.deviation.length).toBeGreaterThanOrEqual(3000);
    expect(a.affected.length).toBeGreaterThanOrEqual(3000);
    pool.give(a);
    expect(pool.take(2000, 100)).toBe(a);
  });

  it('gives overlapping rounds arrays of their own, and a larger round new, larger arrays', () => {
    const pool = new OutputPool(undefined);
    const a = pool.take(100, 100);
    const b = pool.take(100, 100);
    expect(b.deviation).not.toBe(a.deviation);
    pool.give(a);
    const big = pool.take(5000, 5000);
    expect(big).not.toBe(a);
    expect(big.deviation.length).toBeGreaterThanOrEqual(5000);
  });

  it('places both arrays in one block of the storage, and releases blocks it does not keep', () => {
    const { storage, allocated, released } = recordingStorage();
    const pool = new OutputPool(storage);
    const outputs = Array.from({ length: 6 }, () => pool.take(2048, 4096));
    expect(allocated).toHaveLength(6);
    const first = outputs[0]!;
    expect(first.deviation.buffer).toBe(allocated[0]!.buffer);
    expect(first.affected.buffer).toBe(allocated[0]!.buffer);
    // The mask words follow the deviations in the block, without overlapping them.
    expect(first.affected.byteOffset).toBeGreaterThanOrEqual(first.deviation.byteOffset + first.deviation.byteLength);
    for (const o of outputs) pool.give(o);
    expect(released).toEqual([allocated[4], allocated[5]]);
  });
});
