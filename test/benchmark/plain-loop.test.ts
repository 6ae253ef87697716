/** The baseline computes the reference's answer on the benchmark's fleets (so timing it is timing the same work). */
import { describe, expect, it } from 'vitest';
import { plainLoopCompare } from '../../ts/benchmark/plain-loop.js';
import { compareRowsSync } from '../../ts/compare/backends/js.js';
import { maskWordsFor } from '../../ts/compare/comparator.js';
import { calibrationInput } from '../../ts/hardware/calibrate.js';

describe('plainLoopCompare', () => {
  it.each([
    [500, 8, 0.25],
    [300, 40, 0.5],
    [64, 5, 1],
  ])('equals the js reference on %i rows x %i fields, %f of rows differing', (rows, fields, share) => {
    const { layout, primary, mirror } = calibrationInput(rows, fields, undefined, share);
    // One field missing on one side, one on both: the loop's NaN rule is the reference's.
    mirror[layout.stride + 1] = Number.NaN;
    primary[2 * layout.stride] = Number.NaN;
    mirror[2 * layout.stride] = Number.NaN;
    const expected = compareRowsSync(primary, mirror, layout);
    const deviation = new Float64Array(rows);
    const affected = new Uint32Array(rows * maskWordsFor(fields));
    plainLoopCompare(primary, mirror, layout, rows, deviation, affected);
    expect(deviation).toEqual(expected.deviation);
    expect(affected).toEqual(expected.affected);
    expect(deviation[1]).toBeGreaterThanOrEqual(1e6);
  });
});
