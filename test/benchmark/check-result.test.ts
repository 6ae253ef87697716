/** The correctness gate: bit-exact or within the given relative bound, identical masks, or a typed error naming the row. */
import { describe, expect, it } from 'vitest';
import { checkAgainstReference } from '../../ts/benchmark/check-result.js';
import { BenchmarkResultMismatchError } from '../../ts/benchmark/errors.js';

const expected = { rowCount: 3, deviation: Float64Array.of(0, 1, 1e12), affected: Uint32Array.of(0, 1, 4) };
const copy = () => ({ rowCount: 3, deviation: expected.deviation.slice(), affected: expected.affected.slice() });

describe('checkAgainstReference', () => {
  it('accepts a bit-exact answer with error 0', () => {
    expect(checkAgainstReference('x', expected, copy(), 0)).toBe(0);
  });

  it('accepts a deviation within the bound and reports the largest relative error', () => {
    const actual = copy();
    actual.deviation[2] = 1e12 * (1 + 1e-13);
    const error = checkAgainstReference('x', expected, actual, 2 ** -32);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(2e-13);
  });

  it.each([
    [
      'a deviation outside the bound',
      (a: ReturnType<typeof copy>) => (a.deviation[1] = 1.001),
      /row 1 deviation 1.001, expected 1/,
    ],
    ['a non-zero deviation where 0 is expected', (a: ReturnType<typeof copy>) => (a.deviation[0] = 1e-300), /row 0 deviation/],
    ['a NaN deviation', (a: ReturnType<typeof copy>) => (a.deviation[2] = Number.NaN), /row 2 deviation NaN/],
    ['a different mask', (a: ReturnType<typeof copy>) => (a.affected[2] = 5), /mask word 2 is 5, expected 4/],
  ])('refuses %s', (_, spoil, message) => {
    const actual = copy();
    spoil(actual);
    const attempt = () => checkAgainstReference('wasm-x', expected, actual, 2 ** -32);
    expect(attempt).toThrow(BenchmarkResultMismatchError);
    expect(attempt).toThrow(message);
    expect(attempt).toThrow(/^wasm-x disagrees with the js reference/);
  });

  it('refuses a different row count', () => {
    expect(() => checkAgainstReference('x', expected, { ...copy(), rowCount: 2 }, 0)).toThrow(/2 rows, expected 3/);
  });
});
