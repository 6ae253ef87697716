import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HistoryEvent } from '../../ts/index.js';
import {
  DeterminismViolationError,
  defineWorkflow,
  FleetRegistry,
  f64,
  HandlerError,
  MirrorEngine,
  VirtualClock,
  WorkflowMirrorError,
} from '../../ts/index.js';
import { enginePair, SpyLog } from '../support/engine-harness.js';

const realDateNow = Date.now;
const realMathRandom = Math.random;

afterEach(() => {
  vi.restoreAllMocks();
});

/** A workflow whose `start` reaches for `what`. */
function offender(what: 'Date.now' | 'Math.random' | 'performance.now' | 'new Date') {
  return defineWorkflow({
    name: `offender-${what.replace(/[. ]/g, '-')}`,
    version: 1,
    state: { x: f64() },
    on: {
      start(s) {
        if (what === 'Date.now') s.x = Date.now();
        // biome-ignore lint/complexity/useDateNow: reading the clock through the constructor is the point
        else if (what === 'new Date') s.x = new Date().getTime();
        else if (what === 'Math.random') s.x = Math.random();
        else s.x = performance.now();
      },
    },
  });
}

describe('determinism guard', () => {
  it.each(['Date.now', 'Math.random', 'performance.now', 'new Date'] as const)(
    'a handler calling %s() fails the workflow with DETERMINISM_VIOLATION, on the primary and on replay',
    async (what) => {
      const def = offender(what);
      const log = new SpyLog();
      const { primary, mirror, findings } = enginePair({ workflows: [def], activities: {}, log });
      const error = await primary.start(def.name, 'w1').then(
        () => undefined,
        (e: unknown) => e,
      );
      // start rejects with the violation itself, or a HandlerError carrying it.
      const violation = error instanceof HandlerError ? error.cause : error;
      expect(violation).toBeInstanceOf(DeterminismViolationError);
      expect((violation as DeterminismViolationError).code).toBe('DETERMINISM_VIOLATION');
      expect((violation as Error).message).toContain(`${what}()`);
      const history = log.historyOf('w1');
      expect(history.map((e) => e.type)).toEqual(['WorkflowStarted', 'WorkflowFailed']);
      expect((history[1]!.payload as { reason: string }).reason).toContain('DETERMINISM_VIOLATION');
      expect(primary.instance('w1')!.status).toBe('failed');
      // The mirror's replay hits the same violation and so issues the same `fail`: no finding.
      expect(mirror.instance('w1')!.status).toBe('failed');
      expect(findings).toEqual([]);
      // The globals work again afterwards.
      expect(Date.now).toBe(realDateNow);
      expect(Math.random).toBe(realMathRandom);
      expect(typeof performance.now()).toBe('number');
      expect(() => Date.now()).not.toThrow();
    },
  );

  it('lets a handler build dates from explicit values, which replay reproduces', async () => {
    const def = defineWorkflow({
      name: 'explicit-date',
      version: 1,
      state: { year: f64(), isDate: f64() },
      on: {
        start(s, _input: unknown, ctx) {
          const d = new Date(ctx.now());
          s.year = d.getUTCFullYear();
          s.isDate = d instanceof Date ? 1 : 0;
        },
      },
    });
    const { primary } = enginePair({ workflows: [def], activities: {} });
    await primary.start('explicit-date', 'd1');
    expect(primary.instance('d1')!.state).toEqual({ year: 1970, isDate: 1 });
    expect(globalThis.Date.now).toBe(realDateNow);
  });

  it('restores the globals after a handler that returned and after one that threw something else', async () => {
    const def = defineWorkflow({
      name: 'thrower',
      version: 1,
      state: { x: f64() },
      on: {
        start(s) {
          s.x = 1;
        },
        signal: {
          boom() {
            throw new Error('plain failure');
          },
        },
      },
    });
    const { primary } = enginePair({ workflows: [def], activities: {} });
    await primary.start('thrower', 't1');
    expect(Date.now).toBe(realDateNow);
    expect(Math.random).toBe(realMathRandom);
    await primary.signal('t1', 'boom');
    expect(Date.now).toBe(realDateNow);
    expect(Math.random).toBe(realMathRandom);
    expect(Number.isFinite(performance.now())).toBe(true);
    expect(primary.instance('t1')!.status).toBe('failed');
  });

  // Regression: the guard once restored the functions captured at module load, silently removing
  // a stub (or fake timers) installed before the handler ran.
  it('restores the globals that were installed before the handler ran (e.g. a test stub)', async () => {
    const def = defineWorkflow({ name: 'plain', version: 1, state: { x: f64() }, on: { start() {} } });
    const { primary } = enginePair({ workflows: [def], activities: {} });
    const stub = vi.spyOn(Date, 'now').mockReturnValue(42);
    await primary.start('plain', 'p1');
    expect(Date.now()).toBe(42);
    expect(Date.now).toBe(stub);
  });

  it('can be switched off (guardDeterminism: false)', async () => {
    const def = offender('Math.random');
    const fleets = new FleetRegistry([def]);
    const mirror = new MirrorEngine({ fleets, guardDeterminism: false });
    const history: HistoryEvent[] = [
      {
        workflowId: 'u1',
        seq: 1,
        pos: 1,
        type: 'WorkflowStarted',
        time: 0,
        payload: { workflowType: def.name, version: 1, fingerprint: fleets.get(def.name).compiled.fingerprint, input: null },
      },
    ];
    mirror.apply(history);
    expect(mirror.instance('u1')!.status).toBe('running');
    const x = mirror.instance('u1')!.state['x'] as number;
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x).toBeLessThan(1);
  });
});

describe('ctx.now() and ctx.random()', () => {
  const def = defineWorkflow({
    name: 'dice',
    version: 1,
    state: { t0: f64(), r0: f64(), r1: f64(), t1: f64(), r2: f64() },
    on: {
      start(s, _input, ctx) {
        s.t0 = ctx.now();
        s.r0 = ctx.random();
        s.r1 = ctx.random();
      },
      signal: {
        again(s, _payload, ctx) {
          s.t1 = ctx.now();
          s.r2 = ctx.random();
        },
      },
    },
  });

  async function run(ids: readonly string[]) {
    const clock = new VirtualClock(1_000);
    const log = new SpyLog();
    const pair = enginePair({ workflows: [def], activities: {}, log, clock });
    for (const id of ids) await pair.primary.start('dice', id);
    clock.advanceBy(250);
    for (const id of ids) await pair.primary.signal(id, 'again');
    return { ...pair, log };
  }

  it('ctx.now() is the time of the event being handled', async () => {
    const { primary, log } = await run(['d1']);
    const state = primary.instance('d1')!.state;
    expect(state['t0']).toBe(1_000);
    expect(state['t1']).toBe(1_250);
    expect(log.historyOf('d1').map((e) => e.time)).toEqual([1_000, 1_250]);
  });

  it('ctx.random() draws the same values on the primary, the live mirror and a later replay', async () => {
    const { primary, mirror, log } = await run(['d1', 'd2']);
    const later = new MirrorEngine({ fleets: new FleetRegistry([def]) });
    later.apply(log.stored);
    for (const id of ['d1', 'd2']) {
      const p = primary.instance(id)!.state;
      expect(mirror.instance(id)!.state).toEqual(p);
      expect(later.instance(id)!.state).toEqual(p);
      for (const key of ['r0', 'r1', 'r2']) {
        expect(p[key]).toBeGreaterThanOrEqual(0);
        expect(p[key]).toBeLessThan(1);
      }
    }
  });

  it('differs between draws, between events and between instances', async () => {
    const { primary } = await run(['d1', 'd2']);
    const a = primary.instance('d1')!.state;
    const b = primary.instance('d2')!.state;
    expect(new Set([a['r0'], a['r1'], a['r2']]).size).toBe(3);
    expect(a['r0']).not.toBe(b['r0']);
    expect(a['r2']).not.toBe(b['r2']);
  });
});

describe('static check: no wall clock or randomness in engine and workflow code', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const forbidden = ['Date.now(', 'Math.random(', 'performance.now(', 'new Date('];

  function tsFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return tsFiles(path);
      return entry.name.endsWith('.ts') ? [path] : [];
    });
  }

  /** The code with comments blanked out; string and template literals are kept (a forbidden call inside one is still flagged). */
  function stripComments(source: string): string {
    let out = '';
    let i = 0;
    while (i < source.length) {
      const c = source[i]!;
      const next = source[i + 1];
      if (c === '/' && next === '/') {
        while (i < source.length && source[i] !== '\n') i++;
      } else if (c === '/' && next === '*') {
        const end = source.indexOf('*/', i + 2);
        i = end < 0 ? source.length : end + 2;
        out += ' ';
      } else if (c === '"' || c === "'" || c === '`') {
        let j = i + 1;
        while (j < source.length && source[j] !== c) j += source[j] === '\\' ? 2 : 1;
        out += source.slice(i, j + 1);
        i = j + 1;
      } else {
        out += c;
        i++;
      }
    }
    return out;
  }

  it('the comment stripper keeps code and drops comments', () => {
    expect(stripComments('a(); // Date.now()\n/* Math.random() */ b("//x");')).toBe('a(); \n  b("//x");');
  });

  it('finds no Date.now(, Math.random(, performance.now( or new Date( outside comments (determinism-guard.ts excepted)', () => {
    const files = [...tsFiles(join(root, 'ts/engine')), ...tsFiles(join(root, 'ts/workflow'))];
    expect(files.length).toBeGreaterThan(10);
    const offences: string[] = [];
    for (const file of files) {
      const name = relative(root, file).split('\\').join('/');
      if (name === 'ts/engine/determinism-guard.ts') continue;
      const code = stripComments(readFileSync(file, 'utf8'));
      for (const pattern of forbidden) if (code.includes(pattern)) offences.push(`${name}: ${pattern}`);
    }
    expect(offences).toEqual([]);
  });
});

describe('error shapes', () => {
  it('DeterminismViolationError is a WorkflowMirrorError with a helpful message', () => {
    const error = new DeterminismViolationError('Date.now()');
    expect(error).toBeInstanceOf(WorkflowMirrorError);
    expect(error.message).toMatch(/ctx\.now\(\) \/ ctx\.random\(\)/);
  });
});
