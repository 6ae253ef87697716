import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adoptJson, copyJson, NotJsonError } from '../../ts/history/json-value.js';

/** What a walk makes of a value: the value, or the error's path and problem. */
function outcome(walk: (v: unknown) => unknown, value: unknown): unknown {
  try {
    return { ok: walk(value) };
  } catch (error) {
    if (error instanceof NotJsonError) return { path: error.path, problem: error.problem };
    throw error;
  }
}

describe('adoptJson (the owned-append check) agrees with copyJson', () => {
  it('accepts and refuses the same values, with the same path and problem, and yields equal values', () => {
    const leaf = fc.oneof(
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.double(),
      fc.constant(-0),
      fc.constant(undefined),
      fc.constant(Number.NaN),
      fc.bigInt(),
      fc.date(),
    );
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(tree, fc.boolean(), (value, freezeTop) => {
        // copyJson first: it leaves the value alone, while adoptJson may freeze it in place.
        const copied = outcome(copyJson, value);
        const candidate = freezeTop && typeof value === 'object' && value !== null ? Object.freeze(value) : value;
        const adopted = outcome(adoptJson, candidate);
        expect(adopted).toEqual(copied);
      }),
      { numRuns: 2000 },
    );
  });

  it('reports a cycle as a cycle, and refuses values deeper than the limit', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(outcome(adoptJson, cyclic)).toMatchObject({ path: '.self', problem: expect.stringContaining('cycle') });
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(outcome(adoptJson, deep)).toMatchObject({ problem: expect.stringContaining('deeper') });
  });

  it('keeps a valid unfrozen value as the same object, frozen all the way down', () => {
    const value = { a: [1, { b: 'x' }], c: null };
    expect(adoptJson(value)).toBe(value);
    expect(Object.isFrozen(value.a[1])).toBe(true);
  });
});
