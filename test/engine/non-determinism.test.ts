/**
 * Temporal-style replay tests: record a history on the primary, mutate it, replay it on a fresh
 * mirror and check that exactly one non-determinism finding names what changed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnyWorkflowDefinition, HistoryEvent, NonDeterminismFinding } from '../../ts/index.js';
import { activity, defineWorkflow, FleetRegistry, f64, MirrorEngine } from '../../ts/index.js';
import { recordHistory, renumber, withChanges } from '../support/engine-harness.js';

const activities = {
  alpha: activity<{ n: number }, number>(),
  beta: activity<{ n: number }, number>(),
  gamma: activity<{ n: number }, number>(),
};

const state = { count: f64(), sum: f64() };

const original = defineWorkflow({
  name: 'pair',
  version: 1,
  state,
  activities,
  on: {
    start(_s, input: { n: number }, ctx) {
      ctx.call('alpha', { n: input.n });
      ctx.call('beta', { n: input.n * 2 });
      ctx.sleep(1_000, 'tick');
    },
    completed: {
      alpha(s, result) {
        s.count += 1;
        s.sum += result;
      },
      beta(s, result) {
        s.count += 1;
        s.sum += result;
      },
    },
    timer: {
      tick(s, ctx) {
        ctx.complete({ count: s.count });
      },
    },
  },
});

/** The same workflow (same name and version) whose start calls gamma where it called alpha. */
const changed = defineWorkflow({
  name: 'pair',
  version: 1,
  state,
  activities,
  on: {
    ...original.on,
    start(_s, input: { n: number }, ctx) {
      ctx.call('gamma', { n: input.n });
      ctx.call('beta', { n: input.n * 2 });
      ctx.sleep(1_000, 'tick');
    },
  },
});

function replay(history: readonly HistoryEvent[], definition: AnyWorkflowDefinition = original) {
  const findings: NonDeterminismFinding[] = [];
  const mirror = new MirrorEngine({ fleets: new FleetRegistry([definition]), onNonDeterminism: (f) => findings.push(f) });
  mirror.apply(history);
  return { mirror, findings };
}

let history: HistoryEvent[];

beforeAll(async () => {
  history = await recordHistory(
    [original],
    { alpha: (i: { n: number }) => i.n + 1, beta: (i: { n: number }) => i.n + 2, gamma: () => 0 },
    async ({ primary }) => {
      await primary.start('pair', 'p1', { n: 10 });
    },
  );
});

/** The index of the single event matching `pred`. */
function indexOf(pred: (e: HistoryEvent) => boolean): number {
  const i = history.findIndex(pred);
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
}

describe('replay of the recorded history', () => {
  it('has the expected shape', () => {
    expect(history.map((e) => e.type)).toEqual([
      'WorkflowStarted',
      'ActivityScheduled',
      'ActivityScheduled',
      'TimerStarted',
      'ActivityCompleted',
      'ActivityCompleted',
      'TimerFired',
      'WorkflowCompleted',
    ]);
  });

  it('unmutated: no finding, and the mirror ends where the primary did', () => {
    const { mirror, findings } = replay(history);
    expect(findings).toEqual([]);
    const instance = mirror.instance('p1')!;
    expect(instance.status).toBe('completed');
    expect(instance.state).toEqual({ count: 2, sum: 11 + 22 });
    expect(instance.nonDeterministic).toBe(false);
    expect(instance.versionSkew).toBe(false);
  });

  it('completions arriving in the other order are not non-determinism', () => {
    const mutated = [...history];
    [mutated[4], mutated[5]] = [history[5]!, history[4]!];
    const { findings, mirror } = replay(renumber(mutated));
    expect(findings).toEqual([]);
    expect(mirror.instance('p1')!.state).toEqual({ count: 2, sum: 33 });
  });
});

describe('mutated histories yield exactly one finding', () => {
  it('two ActivityScheduled events swapped: names both activities (Temporal would let a swapped activity type pass)', () => {
    const a = indexOf((e) => e.type === 'ActivityScheduled' && e.payload.name === 'alpha');
    const b = indexOf((e) => e.type === 'ActivityScheduled' && e.payload.name === 'beta');
    const mutated = [...history];
    [mutated[a], mutated[b]] = [history[b]!, history[a]!];
    const { findings } = replay(renumber(mutated));
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding!.workflowId).toBe('p1');
    expect(finding!.workflowType).toBe('pair');
    expect(finding!.seq).toBe(2);
    expect(finding!.detail).toContain('"alpha"');
    expect(finding!.detail).toContain('"beta"');
    expect(finding!.detail).toMatch(/seq 2/);
    expect(finding!.instance.nonDeterministic).toBe(true);
  });

  it('a command event removed (missing command): names the command replay issued', () => {
    const t = indexOf((e) => e.type === 'TimerStarted');
    const mutated = renumber(history.filter((_, i) => i !== t));
    const { findings } = replay(mutated);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.seq).toBe(4);
    expect(findings[0]!.detail).toContain('sleep tick 1000ms');
    expect(findings[0]!.detail).toContain('ActivityCompleted');
  });

  it('an extra ActivityScheduled inserted (extra command): names the activity replay did not issue', () => {
    const t = indexOf((e) => e.type === 'TimerStarted');
    const extra = withChanges(history[1]!, { payload: { name: 'gamma', input: { n: 10 } } });
    const mutated = renumber([...history.slice(0, t + 1), extra, ...history.slice(t + 1)]);
    const { findings } = replay(mutated);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.seq).toBe(t + 2);
    expect(findings[0]!.detail).toContain('ActivityScheduled "gamma"');
    expect(findings[0]!.detail).toMatch(/did not issue/);
  });

  it("a timer's fireAt changed: names the timer and both fire times", () => {
    const t = indexOf((e) => e.type === 'TimerStarted');
    const timer = history[t]!;
    const fireAt = (timer.payload as { fireAt: number }).fireAt;
    const mutated = [...history];
    mutated[t] = withChanges(timer, { payload: { name: 'tick', fireAt: fireAt + 500 } });
    const { findings } = replay(mutated);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.seq).toBe(t + 1);
    expect(findings[0]!.detail).toContain('"tick"');
    expect(findings[0]!.detail).toContain(String(fireAt + 500));
    expect(findings[0]!.detail).toContain(String(fireAt));
  });

  it("an activity's input changed: names the activity and says the input differs", () => {
    const a = indexOf((e) => e.type === 'ActivityScheduled' && e.payload.name === 'beta');
    const mutated = [...history];
    mutated[a] = withChanges(history[a]!, { payload: { name: 'beta', input: { n: 21 } } });
    const { findings } = replay(mutated);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.seq).toBe(a + 1);
    expect(findings[0]!.detail).toContain('"beta"');
    expect(findings[0]!.detail).toMatch(/other input/);
  });

  it('a changed definition that calls another activity: names both activities and marks version skew', () => {
    const { findings, mirror } = replay(history, changed);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.seq).toBe(2);
    expect(findings[0]!.detail).toContain('"alpha"');
    expect(findings[0]!.detail).toContain('"gamma"');
    // The recorded fingerprint is the original code's: the mirror knows the code changed.
    expect(mirror.instance('p1')!.versionSkew).toBe(true);
  });

  it('a WorkflowCompleted whose result differs from what replay computes', () => {
    const c = indexOf((e) => e.type === 'WorkflowCompleted');
    const mutated = [...history];
    mutated[c] = withChanges(history[c]!, { payload: { result: { count: 3 } } });
    const { findings } = replay(mutated);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.detail).toMatch(/result/);
  });
});
