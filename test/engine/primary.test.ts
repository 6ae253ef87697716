import { describe, expect, it } from 'vitest';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import type { ActivityInfo, HistoryEvent } from '../../ts/index.js';
import {
  activity,
  defineWorkflow,
  enumOf,
  f64,
  InstanceNotRunningError,
  str,
  VirtualClock,
  WorkflowMirror,
} from '../../ts/index.js';
import { deferred, enginePair, flush, SpyLog } from '../support/engine-harness.js';

describe('primary: history numbering', () => {
  it('numbers each instance 1..n without gaps, and pos increases across instances', async () => {
    const log = new SpyLog();
    const { primary, settle } = enginePair({ workflows: [order], activities: simulatedOrderActivities(), log });
    for (let i = 0; i < 5; i++) {
      await primary.start('order', `o-${i}`, { amount: 10 + i, items: 1 + i, express: i % 2 === 0 });
      await primary.signal(`o-${i}`, 'discount', { amount: 1 });
    }
    await settle();
    for (let i = 0; i < 5; i++) {
      const history = log.historyOf(`o-${i}`);
      expect(history.map((e) => e.seq)).toEqual(history.map((_, k) => k + 1));
      expect(history[0]!.type).toBe('WorkflowStarted');
      expect(history.at(-1)!.type).toBe('WorkflowCompleted');
      expect(primary.instance(`o-${i}`)!.seq).toBe(history.length);
    }
    const positions = log.stored.map((e) => e.pos);
    expect(positions).toEqual(positions.map((_, k) => k + 1));
    expect(primary.stats.eventsAppended).toBe(log.stored.length);
    expect(primary.stats.completed).toBe(5);
  });
});

describe('primary: append before consume', () => {
  it('every outcome is in the log before the handler consuming it runs, and every command before its execution', async () => {
    const log = new SpyLog();
    const observations: { what: string; seq: number; logged: boolean }[] = [];
    const isLogged = (workflowId: string, seq: number, type: HistoryEvent['type']) =>
      log.stored.some((e) => e.workflowId === workflowId && e.seq === seq && e.type === type);
    const def = defineWorkflow({
      name: 'observed',
      version: 1,
      state: { n: f64() },
      activities: { work: activity<{ x: number }, { y: number }>({ retry: { attempts: 2, backoffMs: 10 } }) },
      on: {
        start(s, input: { x: number }, ctx) {
          observations.push({ what: 'start', seq: ctx.seq, logged: isLogged(ctx.workflowId, ctx.seq, 'WorkflowStarted') });
          s.n = input.x;
          ctx.call('work', { x: input.x });
          ctx.sleep(100, 'later');
        },
        completed: {
          work(s, result, ctx) {
            observations.push({
              what: 'completed',
              seq: ctx.seq,
              logged: isLogged(ctx.workflowId, ctx.seq, 'ActivityCompleted'),
            });
            s.n = result.y;
          },
        },
        timer: {
          later(_s, ctx) {
            observations.push({ what: 'timer', seq: ctx.seq, logged: isLogged(ctx.workflowId, ctx.seq, 'TimerFired') });
          },
        },
        signal: {
          poke(_s, _payload, ctx) {
            observations.push({ what: 'signal', seq: ctx.seq, logged: isLogged(ctx.workflowId, ctx.seq, 'SignalReceived') });
            ctx.complete();
          },
        },
      },
    });
    const activityObservations: boolean[] = [];
    // No mirror here: every observation is the primary's own handler run.
    const { primary, settle } = enginePair({
      workflows: [def],
      log,
      tee: false,
      activities: {
        work: (input: { x: number }, info: ActivityInfo) => {
          activityObservations.push(isLogged(info.workflowId, info.scheduledSeq, 'ActivityScheduled'));
          if (info.attempt === 1) throw new Error('transient');
          return { y: input.x * 2 };
        },
      },
    });
    await primary.start('observed', 'w1', { x: 4 });
    await settle();
    await primary.signal('w1', 'poke');
    await settle();
    expect(activityObservations).toEqual([true, true]);
    expect(observations).toEqual([
      { what: 'start', seq: 1, logged: true },
      { what: 'completed', seq: 4, logged: true },
      { what: 'timer', seq: 5, logged: true },
      { what: 'signal', seq: 6, logged: true },
    ]);
    expect(primary.instance('w1')!.state['n']).toBe(8);
    expect(primary.instance('w1')!.status).toBe('completed');
  });
});

describe('primary: activity retries', () => {
  const retried = defineWorkflow({
    name: 'retried',
    version: 1,
    state: { status: enumOf(['running', 'gave-up']), error: str(), attempts: f64() },
    activities: {
      flaky: activity<{ k: number }, number>({ retry: { attempts: 4, backoffMs: 100, factor: 3, maxBackoffMs: 500 } }),
      plain: activity<null, number>({ retry: { attempts: 2, backoffMs: 5 } }),
    },
    on: {
      start(_s, input: { which: 'flaky' | 'plain' }, ctx) {
        if (input.which === 'flaky') ctx.call('flaky', { k: 1 });
        else ctx.call('plain', null);
      },
      failed: {
        flaky(s, failure) {
          s.status = 'gave-up';
          s.error = failure.error;
          s.attempts = failure.attempts;
        },
      },
    },
  });

  it('backs off on the virtual clock (100, 300, capped 500), then records ActivityFailed with the attempts and runs the failed handler', async () => {
    const attempts: { attempt: number; at: number; key: string }[] = [];
    const clock = new VirtualClock(1_000);
    const log = new SpyLog();
    const { primary, settle } = enginePair({
      workflows: [retried],
      log,
      clock,
      activities: {
        flaky: (_input: { k: number }, info: ActivityInfo) => {
          attempts.push({ attempt: info.attempt, at: clock.now(), key: info.idempotencyKey });
          throw new Error(`boom ${info.attempt}`);
        },
        plain: () => 1,
      },
    });
    await primary.start('retried', 'r1', { which: 'flaky' });
    await settle();
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(attempts.map((a) => a.at)).toEqual([1_000, 1_100, 1_400, 1_900]);
    // Idempotency key is `${workflowId}:${scheduledSeq}` and the same on every attempt.
    expect(new Set(attempts.map((a) => a.key))).toEqual(new Set(['r1:2']));
    const failed = log.historyOf('r1').find((e) => e.type === 'ActivityFailed');
    expect(failed?.payload).toEqual({ name: 'flaky', scheduledSeq: 2, error: 'boom 4', attempts: 4 });
    expect(failed?.time).toBe(1_900);
    const instance = primary.instance('r1')!;
    expect(instance.state).toMatchObject({ status: 'gave-up', error: 'boom 4', attempts: 4 });
    // A failed handler that does not end the workflow leaves it running.
    expect(instance.status).toBe('running');
    expect(primary.stats.activityFailures).toBe(1);
  });

  it('fails the workflow by default when no failed handler exists', async () => {
    const log = new SpyLog();
    const { primary, settle } = enginePair({
      workflows: [retried],
      log,
      activities: {
        flaky: () => 0,
        plain: () => {
          throw new Error('nope');
        },
      },
    });
    await primary.start('retried', 'r2', { which: 'plain' });
    await settle();
    const history = log.historyOf('r2');
    expect(history.map((e) => e.type)).toEqual(['WorkflowStarted', 'ActivityScheduled', 'ActivityFailed', 'WorkflowFailed']);
    expect(history[2]!.payload).toMatchObject({ error: 'nope', attempts: 2 });
    expect(history[3]!.payload).toEqual({ reason: 'activity "plain" failed after 2 attempt(s): nope' });
    expect(primary.instance('r2')!.status).toBe('failed');
  });

  it('a success on a later attempt records only ActivityCompleted', async () => {
    const log = new SpyLog();
    let calls = 0;
    const { primary, settle } = enginePair({
      workflows: [retried],
      log,
      activities: {
        flaky: () => 0,
        plain: () => {
          calls++;
          if (calls === 1) throw new Error('once');
          return 7;
        },
      },
    });
    await primary.start('retried', 'r3', { which: 'plain' });
    await settle();
    const history = log.historyOf('r3');
    expect(history.map((e) => e.type)).toEqual(['WorkflowStarted', 'ActivityScheduled', 'ActivityCompleted']);
    expect(history[2]!.payload).toEqual({ name: 'plain', scheduledSeq: 2, result: 7 });
    expect(calls).toBe(2);
  });
});

describe('primary: activity timeout', () => {
  it('an attempt that never settles times out on the virtual clock; the last timeout is recorded as ActivityFailed', async () => {
    const def = defineWorkflow({
      name: 'slow',
      version: 1,
      state: { n: f64() },
      activities: { hang: activity<null, number>({ timeoutMs: 50, retry: { attempts: 2, backoffMs: 10 } }) },
      on: {
        start(_s, _input, ctx) {
          ctx.call('hang', null);
        },
      },
    });
    const clock = new VirtualClock(0);
    const log = new SpyLog();
    const attemptsAt: number[] = [];
    const { primary } = enginePair({
      workflows: [def],
      log,
      clock,
      activities: {
        hang: () => {
          attemptsAt.push(clock.now());
          return new Promise(() => undefined);
        },
      },
    });
    await primary.start('slow', 's1');
    // settle() would wait for the in-flight activity forever: move the clock by hand.
    clock.advanceBy(49);
    await flush();
    expect(log.historyOf('s1')).toHaveLength(2);
    clock.advanceBy(1); // first attempt times out at 50
    await flush();
    clock.advanceBy(10); // backoff: second attempt at 60
    await flush();
    expect(attemptsAt).toEqual([0, 60]);
    clock.advanceBy(50); // second attempt times out at 110
    await flush();
    await primary.whenIdle();
    const history = log.historyOf('s1');
    expect(history.map((e) => e.type)).toEqual(['WorkflowStarted', 'ActivityScheduled', 'ActivityFailed', 'WorkflowFailed']);
    const failed = history[2]!;
    expect(failed.time).toBe(110);
    expect(failed.payload).toMatchObject({ name: 'hang', attempts: 2 });
    expect((failed.payload as { error: string }).error).toBe('ACTIVITY_TIMEOUT: activity "hang" did not finish within 50 ms');
  });
});

describe('primary: timers', () => {
  it('fire on the virtual clock at fireAt = trigger time + ms; the timer handler sees ctx.now() = fire time', async () => {
    const seen: number[] = [];
    const def = defineWorkflow({
      name: 'sleepy',
      version: 1,
      state: { woke: f64() },
      on: {
        start(_s, _input, ctx) {
          ctx.sleep(1_000, 'short');
          ctx.sleep(5_000, 'long');
        },
        timer: {
          short(s, ctx) {
            s.woke = ctx.now();
            seen.push(ctx.now());
          },
          long(_s, ctx) {
            seen.push(ctx.now());
            ctx.complete();
          },
        },
      },
    });
    const clock = new VirtualClock(10_000);
    const log = new SpyLog();
    const { primary, settle } = enginePair({ workflows: [def], activities: {}, log, clock });
    await primary.start('sleepy', 't1');
    const started = log.historyOf('t1').filter((e) => e.type === 'TimerStarted');
    expect(started.map((e) => e.payload)).toEqual([
      { name: 'short', fireAt: 11_000 },
      { name: 'long', fireAt: 15_000 },
    ]);
    clock.advanceBy(999);
    await primary.whenIdle();
    expect(log.historyOf('t1').some((e) => e.type === 'TimerFired')).toBe(false);
    await settle();
    const fired = log.historyOf('t1').filter((e) => e.type === 'TimerFired');
    expect(fired.map((e) => [e.time, e.payload])).toEqual([
      [11_000, { name: 'short', startedSeq: 2 }],
      [15_000, { name: 'long', startedSeq: 3 }],
    ]);
    expect(seen).toContain(11_000);
    expect(seen).toContain(15_000);
    expect(primary.instance('t1')!.state['woke']).toBe(11_000);
    expect(primary.instance('t1')!.status).toBe('completed');
  });
});

describe('primary: idempotency key', () => {
  it('is workflowId:scheduledSeq per scheduled activity', async () => {
    const keys: string[] = [];
    const def = defineWorkflow({
      name: 'keys',
      version: 1,
      state: { n: f64() },
      activities: { a: activity<number, number>() },
      on: {
        start(_s, _input, ctx) {
          ctx.call('a', 1);
          ctx.call('a', 2);
        },
      },
    });
    const { primary, settle } = enginePair({
      workflows: [def],
      activities: { a: (_input: number, info: ActivityInfo) => keys.push(info.idempotencyKey) },
    });
    await primary.start('keys', 'k-1');
    await settle();
    expect(keys.sort()).toEqual(['k-1:2', 'k-1:3']);
  });
});

describe('primary: signals', () => {
  const def = defineWorkflow({
    name: 'signalled',
    version: 1,
    state: { total: f64(), last: str() },
    on: {
      start() {},
      signal: {
        add(s, payload, ctx) {
          s.total += (payload as { n: number }).n;
          s.last = String(ctx.seq);
        },
        stop(_s, _payload, ctx) {
          ctx.complete();
        },
      },
    },
  });

  it('are appended as SignalReceived and run their handler in order; an unknown signal name is logged and ignored', async () => {
    const log = new SpyLog();
    const clock = new VirtualClock(500);
    const { primary, mirror } = enginePair({ workflows: [def], activities: {}, log, clock });
    await primary.start('signalled', 's1');
    clock.advanceBy(10);
    await Promise.all([
      primary.signal('s1', 'add', { n: 2 }),
      primary.signal('s1', 'add', { n: 3 }),
      primary.signal('s1', 'nobody'),
    ]);
    const history = log.historyOf('s1');
    expect(history.slice(1).map((e) => [e.type, e.payload, e.time])).toEqual([
      ['SignalReceived', { name: 'add', payload: { n: 2 } }, 510],
      ['SignalReceived', { name: 'add', payload: { n: 3 } }, 510],
      ['SignalReceived', { name: 'nobody', payload: null }, 510],
    ]);
    expect(primary.instance('s1')!.state).toEqual({ total: 5, last: '3' });
    expect(mirror.instance('s1')!.state).toEqual({ total: 5, last: '3' });
  });

  it('a signal to an ended instance is refused with InstanceNotRunningError and not logged', async () => {
    const log = new SpyLog();
    const { primary } = enginePair({ workflows: [def], activities: {}, log });
    await primary.start('signalled', 's2');
    await primary.signal('s2', 'stop');
    const before = log.stored.length;
    await expect(primary.signal('s2', 'add', { n: 1 })).rejects.toBeInstanceOf(InstanceNotRunningError);
    expect(log.stored.length).toBe(before);
  });
});

describe('primary: outcomes after completion', () => {
  it('an activity result or timer arriving after the workflow ended is not logged, and pending timers are cleared', async () => {
    const slow = deferred<number>();
    const def = defineWorkflow({
      name: 'racer',
      version: 1,
      state: { n: f64() },
      activities: { slow: activity<null, number>() },
      on: {
        start(_s, _input, ctx) {
          ctx.call('slow', null);
          ctx.sleep(10, 'deadline');
          ctx.sleep(1_000, 'never');
        },
        timer: {
          deadline(_s, ctx) {
            ctx.complete('timed out');
          },
          never(s) {
            s.n = 99;
          },
        },
        completed: {
          slow(s, result) {
            s.n = result;
          },
        },
      },
    });
    const clock = new VirtualClock(0);
    const log = new SpyLog();
    const { primary } = enginePair({ workflows: [def], activities: { slow: () => slow.promise }, log, clock });
    await primary.start('racer', 'x1');
    clock.advanceBy(10);
    await flush();
    expect(primary.instance('x1')!.status).toBe('completed');
    expect(clock.pendingTimers).toBe(0); // 'never' was cleared
    const ended = log.historyOf('x1').map((e) => e.type);
    expect(ended.at(-1)).toBe('WorkflowCompleted');
    slow.resolve(42);
    await flush();
    await primary.whenIdle();
    clock.advanceBy(5_000);
    await primary.whenIdle();
    expect(log.historyOf('x1').map((e) => e.type)).toEqual(ended);
    expect(primary.instance('x1')!.state['n']).toBe(0);
  });
});

describe('primary through WorkflowMirror', () => {
  it('start resolves after the start handler ran and its commands are in the log', async () => {
    const wm = await WorkflowMirror.open({
      workflows: [order],
      activities: simulatedOrderActivities(),
      log: { kind: 'memory' },
      clock: new VirtualClock(0),
    });
    await wm.start('order', 'o1', { amount: 12.5, items: 2 });
    const history = await wm.log.readInstance('o1');
    expect(history.slice(0, 3).map((e) => e.type)).toEqual(['WorkflowStarted', 'ActivityScheduled', 'ActivityScheduled']);
    expect(history[0]!.payload).toMatchObject({ workflowType: 'order', version: 1, input: { amount: 12.5, items: 2 } });
    // The start handler ran; instant activities may already have moved the instance on by now.
    expect(wm.primary.instance('o1')!.state).toMatchObject({ total: 12.5, items: 2 });
    expect(wm.primary.instance('o1')!.state['status']).not.toBe('new');
    await wm.settle();
    expect(wm.primary.instance('o1')!.status).toBe('completed');
    await wm.close();
  });
});
