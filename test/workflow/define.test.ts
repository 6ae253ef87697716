import { describe, expect, it } from 'vitest';
import { activity, bool, DefinitionError, defineWorkflow, enumOf, f64, i32, str } from '../../ts/index.js';

const state = { n: f64() };
const start = () => undefined;

describe('defineWorkflow validation', () => {
  it.each([
    ['empty', ''],
    ['leading digit', '1order'],
    ['space', 'my order'],
    ['slash', 'a/b'],
    ['too long', `a${'b'.repeat(128)}`],
    ['not a string', 42],
  ])('rejects a bad name (%s) with DefinitionError', (_label, name) => {
    expect(() => defineWorkflow({ name: name as string, version: 1, state, on: { start } })).toThrow(DefinitionError);
  });

  it('accepts names with letters, digits, dot, dash and underscore up to 128 characters', () => {
    expect(defineWorkflow({ name: 'Order_v2.eu-west', version: 1, state, on: { start } }).name).toBe('Order_v2.eu-west');
    expect(defineWorkflow({ name: `a${'b'.repeat(127)}`, version: 1, state, on: { start } }).name).toHaveLength(128);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects version %s with DefinitionError', (version) => {
    expect(() => defineWorkflow({ name: 'w', version, state, on: { start } })).toThrow(DefinitionError);
  });

  it('rejects an empty or missing state schema', () => {
    expect(() => defineWorkflow({ name: 'w', version: 1, state: {}, on: { start } })).toThrow(/at least one field/);
    expect(() => defineWorkflow({ name: 'w', version: 1, state: null as never, on: { start } })).toThrow(DefinitionError);
  });

  it('rejects a missing start handler', () => {
    expect(() => defineWorkflow({ name: 'w', version: 1, state, on: {} as never })).toThrow(/on\.start must be a function/);
  });

  it('rejects completed / failed handlers for activities that are not declared', () => {
    const activities = { charge: activity<{ amount: number }, { ok: boolean }>() };
    const completed = () =>
      defineWorkflow({
        name: 'w',
        version: 1,
        state,
        activities,
        on: { start, completed: { refund: () => undefined } as never },
      });
    expect(completed).toThrow(DefinitionError);
    expect(completed).toThrow(/on\.completed\.refund/);
    const failed = () =>
      defineWorkflow({ name: 'w', version: 1, state, activities, on: { start, failed: { refund: () => undefined } as never } });
    expect(failed).toThrow(/on\.failed\.refund/);
    // Without any activities declared, any completed handler is undeclared.
    expect(() =>
      defineWorkflow({ name: 'w', version: 1, state, on: { start, completed: { charge: () => undefined } as never } }),
    ).toThrow(DefinitionError);
  });

  it('DefinitionError carries the INVALID_DEFINITION code', () => {
    try {
      defineWorkflow({ name: 'w', version: 0, state, on: { start } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DefinitionError);
      expect((error as DefinitionError).code).toBe('INVALID_DEFINITION');
    }
  });

  it('returns a frozen definition with default significant events and an empty activity table', () => {
    const def = defineWorkflow({ name: 'w', version: 3, state, on: { start } });
    expect(Object.isFrozen(def)).toBe(true);
    expect(def.significant).toEqual(['completed', 'failed']);
    expect(Object.isFrozen(def.significant)).toBe(true);
    expect(def.activities).toEqual({});
    expect(def.version).toBe(3);
    const custom = defineWorkflow({ name: 'w', version: 1, state, on: { start }, significant: ['signal.go'] });
    expect(custom.significant).toEqual(['signal.go']);
  });
});

describe('field builders', () => {
  it.each([
    ['f64', f64],
    ['i32', i32],
    ['bool', bool],
    ['str', str],
  ] as const)('%s validates weight and tolerance', (_kind, build) => {
    expect(() => build({ weight: -1 })).toThrow(TypeError);
    expect(() => build({ weight: Number.NaN })).toThrow(/weight/);
    expect(() => build({ weight: Number.POSITIVE_INFINITY })).toThrow(/weight/);
    expect(() => build({ tolerance: -0.5 })).toThrow(/tolerance/);
    expect(() => build({ tolerance: Number.NaN })).toThrow(/tolerance/);
    expect(build({ weight: 0, tolerance: 0 }).weight).toBe(0);
  });

  it('applies defaults per kind', () => {
    expect(f64()).toMatchObject({ kind: 'f64', weight: 1, tolerance: 0, critical: false, initial: 0, values: [] });
    expect(i32().initial).toBe(0);
    expect(bool().initial).toBe(false);
    expect(str().initial).toBe('');
    expect(enumOf(['a', 'b']).initial).toBe('a');
    expect(f64({ weight: 10, tolerance: 0.01, critical: true, initial: 5 })).toMatchObject({
      weight: 10,
      tolerance: 0.01,
      critical: true,
      initial: 5,
    });
    expect(Object.isFrozen(f64())).toBe(true);
  });

  it('enumOf validates its initial value and distinct values', () => {
    expect(enumOf(['new', 'paid'], { initial: 'paid' }).initial).toBe('paid');
    expect(() => enumOf(['new', 'paid'], { initial: 'bogus' as never })).toThrow(/not one of/);
    expect(() => enumOf(['a', 'a'])).toThrow(/distinct/);
    expect(enumOf(['x', 'y', 'z']).values).toEqual(['x', 'y', 'z']);
  });
});

/*
 * TYPE tests. vitest does not typecheck; these are checked by `npx tsc -p tsconfig.json --noEmit`
 * (npm run typecheck, run in CI), which still checks the body of a function that is never called.
 * Each `@ts-expect-error` fails the typecheck if the line below it ever stops being an error.
 */
function typeChecksOnly(): void {
  defineWorkflow({
    name: 'typed',
    version: 1,
    state: { status: enumOf(['new', 'paid']), amount: f64(), done: bool() },
    activities: { charge: activity<{ amount: number }, { ok: boolean }>() },
    on: {
      start(s, _input: { amount: number }, ctx) {
        s.status = 'paid';
        // @ts-expect-error: 'bogus' is not a value of the enum field
        s.status = 'bogus';
        // @ts-expect-error: a bool field takes booleans only
        s.done = 1;
        ctx.call('charge', { amount: s.amount });
        // @ts-expect-error: the activity is not declared
        ctx.call('undeclared', { amount: 1 });
        // @ts-expect-error: wrong input type for the declared activity
        ctx.call('charge', { amount: 'ten' });
        // @ts-expect-error: the input misses the required field
        ctx.call('charge', {});
      },
      completed: {
        charge(s, result) {
          s.done = result.ok;
          // @ts-expect-error: the result type of charge has no `amount`
          s.amount = result.amount;
        },
      },
    },
  });
}

describe('type tests', () => {
  it('exist as a never-called function checked by tsc (see the comment above typeChecksOnly)', () => {
    expect(typeof typeChecksOnly).toBe('function');
  });
});
