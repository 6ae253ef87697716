/**
 * The reference backend against its own oracle (proves the suite runs green), plus checks that
 * the suite's fixtures really reach every corner of the rule and that its comparison would fail a
 * backend that differs.
 */
import { describe, expect, it } from 'vitest';
import { compareRowsSync, createJsComparator, fieldReason } from '../../ts/compare/backends/js.js';
import { expectSameResult, randomLayout, randomMatrices, runComparatorConformance } from './conformance.js';

runComparatorConformance('js', () => createJsComparator());

describe('conformance fixtures', () => {
  it('cover every outcome of the per-field rule', () => {
    const seen = new Set<string>();
    for (const fields of [8, 33, 65]) {
      const layout = randomLayout(fields, fields);
      const { primary, mirror } = randomMatrices(layout, 200, fields + 1);
      const result = compareRowsSync(primary, mirror, layout);
      for (let r = 0; r < 200; r++) {
        if (result.deviation[r] === Number.POSITIVE_INFINITY) seen.add('infinite deviation');
        for (let j = 0; j < fields; j++) {
          const p = primary[r * layout.stride + j]!;
          const m = mirror[r * layout.stride + j]!;
          const w = layout.weights[j]!;
          const reason = fieldReason(p, m, w, layout.tolerances[j]!, layout.categorical[j]!);
          seen.add(reason ?? (Number.isNaN(p) && Number.isNaN(m) ? 'both missing' : p !== m ? 'differs, not affected' : 'equal'));
          if (reason === null && w === 0 && p !== m && !Number.isNaN(p) && !Number.isNaN(m)) seen.add('weight 0 differs');
        }
      }
    }
    expect([...seen].sort()).toEqual(
      [
        'both missing',
        'categorical',
        'differs, not affected',
        'equal',
        'infinite deviation',
        'missing',
        'numeric',
        'weight 0 differs',
      ].sort(),
    );
  });

  it('expectSameResult fails on one differing deviation or mask bit', () => {
    const layout = randomLayout(40, 3);
    const { primary, mirror } = randomMatrices(layout, 10, 4);
    const expected = compareRowsSync(primary, mirror, layout);
    const row = expected.deviation.findIndex(Number.isFinite);
    expect(row).toBeGreaterThanOrEqual(0);
    // Off by a relative 1e-9 (representable at any magnitude): exact comparison must see it.
    const nudge = (d: number): number => d + Math.max(1e-9, Math.abs(d) * 1e-9);
    const offDeviation = { ...expected, deviation: expected.deviation.map((d, i) => (i === row ? nudge(d) : d)) };
    const offBit = { ...expected, affected: expected.affected.map((w, i) => (i === 5 ? w ^ 0x80000000 : w)) };
    expect(() => expectSameResult(offDeviation, expected)).toThrow(new RegExp(`row ${row}: deviation`));
    expect(() => expectSameResult(offBit, expected)).toThrow(/row 2: affected word 1/);
    expect(() =>
      expectSameResult(offDeviation, expected, { deviationTolerance: { relative: 1e-6, absolute: 1e-6 } }),
    ).not.toThrow();
  });
});
