import { describe, expect, it } from 'vitest';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import type { ActivityInfo } from '../../ts/index.js';
import {
  activity,
  DuplicateWorkflowError,
  defineWorkflow,
  EventLogUnavailableError,
  f64,
  InstanceStalledError,
  MalformedEventError,
  MemoryEventLog,
  MissingActivityImplementationError,
  UnknownActivityError,
  UnknownInstanceError,
  UnknownWorkflowError,
  VirtualClock,
  WorkflowMirror,
  WrongExpectedSeqError,
} from '../../ts/index.js';
import { deferred, enginePair, flush, SpyLog } from '../support/engine-harness.js';

const simple = defineWorkflow({
  name: 'simple',
  version: 1,
  state: { x: f64() },
  activities: { work: activity<unknown, unknown>() },
  on: {
    start(s, input: { x?: number } | null) {
      s.x = input?.x ?? 0;
    },
    signal: {
      bump(s) {
        s.x += 1;
      },
    },
  },
});

function pair() {
  const log = new SpyLog();
  return { ...enginePair({ workflows: [simple], activities: { work: () => 1 }, log }), log };
}

describe('bad input to start / signal', () => {
  it('start of an unknown workflow type: UnknownWorkflowError, nothing appended', async () => {
    const { primary, log } = pair();
    await expect(primary.start('nope', 'w1')).rejects.toBeInstanceOf(UnknownWorkflowError);
    await expect(primary.start('nope', 'w1')).rejects.toThrow(/known: simple/);
    expect(log.stored).toEqual([]);
    expect(primary.instance('w1')).toBeUndefined();
  });

  it.each([
    ['a function', { x: () => 1 }],
    ['NaN', { x: Number.NaN }],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['undefined in an array', [1, undefined, 3]],
    ['undefined as a property', { x: 1, y: undefined }],
    ['a sparse array', new Array(3)],
    [
      'a cycle',
      (() => {
        const o: Record<string, unknown> = { a: 1 };
        o['self'] = o;
        return o;
      })(),
    ],
    ['a Date', { when: new Date(0) }],
    ['a Map', new Map([[1, 2]])],
    ['a bigint', { n: 1n }],
    ['a symbol', { s: Symbol('x') }],
  ])(
    'start with malformed input (%s): MalformedEventError, nothing appended, the id can be started again',
    async (_label, input) => {
      const { primary, mirror, log } = pair();
      await expect(primary.start('simple', 'm1', input)).rejects.toBeInstanceOf(MalformedEventError);
      expect(log.stored).toEqual([]);
      expect(primary.instance('m1')).toBeUndefined();
      expect(mirror.instance('m1')).toBeUndefined();
      await primary.start('simple', 'm1', { x: 5 });
      expect(primary.instance('m1')!.state['x']).toBe(5);
      expect(log.historyOf('m1').map((e) => e.seq)).toEqual([1]);
    },
  );

  it('start with a bad workflowId: refused, nothing appended', async () => {
    const { primary, log } = pair();
    await expect(primary.start('simple', '')).rejects.toThrow(TypeError);
    await expect(primary.start('simple', 'x'.repeat(300))).rejects.toBeInstanceOf(MalformedEventError);
    expect(log.stored).toEqual([]);
  });

  it('duplicate start: DuplicateWorkflowError, also when both starts race, and nothing extra is appended', async () => {
    const { primary, log } = pair();
    await primary.start('simple', 'd1', { x: 1 });
    await expect(primary.start('simple', 'd1', { x: 2 })).rejects.toBeInstanceOf(DuplicateWorkflowError);
    const race = await Promise.allSettled([primary.start('simple', 'd2'), primary.start('simple', 'd2')]);
    expect(race.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((race.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateWorkflowError);
    expect(log.historyOf('d1')).toHaveLength(1);
    expect(log.historyOf('d2')).toHaveLength(1);
    expect(primary.instance('d1')!.state['x']).toBe(1);
  });

  it('start of an id whose history another writer created: DuplicateWorkflowError caused by WrongExpectedSeqError', async () => {
    const { primary, log } = pair();
    await log.append('taken', 0, [{ type: 'SignalReceived', time: 0, payload: { name: 'x', payload: null } }]);
    const error = await primary.start('simple', 'taken').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplicateWorkflowError);
    expect((error as Error).cause).toBeInstanceOf(WrongExpectedSeqError);
    expect(log.historyOf('taken')).toHaveLength(1);
  });

  it('signal to an unknown instance: UnknownInstanceError, nothing appended', async () => {
    const { primary, log } = pair();
    await expect(primary.signal('ghost', 'bump')).rejects.toBeInstanceOf(UnknownInstanceError);
    await expect(primary.resume('ghost')).rejects.toBeInstanceOf(UnknownInstanceError);
    expect(log.stored).toEqual([]);
  });

  it('signal with a malformed payload: the caller gets a MalformedEventError (possibly wrapped) and nothing is appended', async () => {
    const { primary, log } = pair();
    await primary.start('simple', 's1');
    const error = await primary.signal('s1', 'bump', { f: () => 0 }).catch((e: unknown) => e);
    expect(error instanceof MalformedEventError || (error as Error).cause instanceof MalformedEventError).toBe(true);
    await primary.whenIdle();
    expect(log.historyOf('s1')).toHaveLength(1);
    expect(primary.instance('s1')!.state['x']).toBe(0);
  });

  // Regression: a malformed signal payload once stalled the instance for good (the refused event
  // stayed at the head of its queue). signal() now validates it and rejects before queueing.
  it('a malformed signal payload does not stall the instance', async () => {
    const { primary, log, errors } = pair();
    await primary.start('simple', 's2');
    await primary.signal('s2', 'bump', { f: () => 0 }).catch(() => undefined);
    await primary.whenIdle();
    expect(primary.instance('s2')!.stalled).toBeUndefined();
    expect(errors).toEqual([]);
    await primary.signal('s2', 'bump', { n: 1 });
    expect(primary.instance('s2')!.state['x']).toBe(1);
    expect(log.historyOf('s2')).toHaveLength(2);
  });
});

describe('bad handlers', () => {
  it('a handler calling an undeclared activity: start rejects with UnknownActivityError, the workflow is recorded failed, the mirror agrees', async () => {
    const def = defineWorkflow({
      name: 'sloppy',
      version: 1,
      state: { x: f64() },
      activities: { real: activity<null, null>() },
      on: {
        start(_s, _input, ctx) {
          ctx.call('imaginary' as never, null as never);
        },
      },
    });
    const log = new SpyLog();
    const { primary, mirror, findings } = enginePair({ workflows: [def], activities: { real: () => null }, log });
    const error = await primary.start('sloppy', 'u1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownActivityError);
    expect((error as UnknownActivityError).activity).toBe('imaginary');
    const history = log.historyOf('u1');
    expect(history.map((e) => e.type)).toEqual(['WorkflowStarted', 'WorkflowFailed']);
    expect((history[1]!.payload as { reason: string }).reason).toMatch(/UNKNOWN_ACTIVITY.*imaginary/);
    expect(primary.instance('u1')!.status).toBe('failed');
    expect(mirror.instance('u1')!.status).toBe('failed');
    expect(mirror.instance('u1')!.seq).toBe(2);
    expect(findings).toEqual([]);
  });

  it('MissingActivityImplementationError at open when a declared activity has no implementation', async () => {
    const { reserve, charge } = simulatedOrderActivities();
    const open = WorkflowMirror.open({
      workflows: [order],
      activities: { reserve, charge },
      log: { kind: 'memory' },
      clock: new VirtualClock(),
    });
    await expect(open).rejects.toBeInstanceOf(MissingActivityImplementationError);
    await expect(
      WorkflowMirror.open({
        workflows: [order],
        activities: { reserve, charge },
        log: { kind: 'memory' },
        clock: new VirtualClock(),
      }),
    ).rejects.toThrow(/"ship"/);
  });

  it.each([
    ['a function', () => () => 1],
    ['NaN', () => Number.NaN],
    ['an object holding undefined in an array', () => ({ list: [undefined] })],
    ['a class instance', () => new Date(0)],
  ])('an activity returning a non-JSON value (%s) is recorded as ActivityFailed, not lost', async (_label, make) => {
    const def = defineWorkflow({
      name: 'odd',
      version: 1,
      state: { x: f64() },
      activities: { weird: activity<null, unknown>() },
      on: {
        start(_s, _input, ctx) {
          ctx.call('weird', null);
        },
      },
    });
    const log = new SpyLog();
    const { primary, mirror, settle, findings } = enginePair({ workflows: [def], activities: { weird: make }, log });
    await primary.start('odd', 'n1');
    await settle();
    const history = log.historyOf('n1');
    expect(history.map((e) => e.type)).toEqual(['WorkflowStarted', 'ActivityScheduled', 'ActivityFailed', 'WorkflowFailed']);
    expect(history[2]!.payload).toMatchObject({ name: 'weird', scheduledSeq: 2, attempts: 1 });
    expect((history[2]!.payload as { error: string }).error).toMatch(/payload\.result/);
    expect(primary.instance('n1')!.status).toBe('failed');
    expect(mirror.instance('n1')!.status).toBe('failed');
    expect(findings).toEqual([]);
  });
});

describe('a second writer behind the primary', () => {
  function slowWorkflow() {
    return defineWorkflow({
      name: 'slow',
      version: 1,
      state: { got: f64(), signals: f64() },
      activities: { fetch: activity<null, number>() },
      on: {
        start(_s, _input, ctx) {
          ctx.call('fetch', null);
        },
        completed: {
          fetch(s, result) {
            s.got = result;
          },
        },
        signal: {
          poke(s) {
            s.signals += 1;
          },
        },
      },
    });
  }

  it("the primary's next append is refused (WrongExpectedSeqError), the instance stalls, the log keeps exactly what was appended", async () => {
    const result = deferred<number>();
    const log = new SpyLog();
    const { primary, errors } = enginePair({ workflows: [slowWorkflow()], activities: { fetch: () => result.promise }, log });
    await primary.start('slow', 'x1');
    expect(log.historyOf('x1').map((e) => e.type)).toEqual(['WorkflowStarted', 'ActivityScheduled']);

    // Someone else appends behind the primary's back.
    const intruder = await log.append('x1', 2, [
      { type: 'SignalReceived', time: 0, payload: { name: 'poke', payload: 'intruder' } },
    ]);
    const snapshot = log.historyOf('x1');
    expect(snapshot.map((e) => e.seq)).toEqual([1, 2, 3]);

    result.resolve(7);
    await flush();
    await primary.whenIdle();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InstanceStalledError);
    expect((errors[0] as Error).cause).toBeInstanceOf(WrongExpectedSeqError);
    const instance = primary.instance('x1')!;
    expect(instance.stalled).toBe(errors[0]);
    expect(primary.stats.stalled).toBe(1);
    // Nothing lost: the outcome the log refused stays queued on the instance; nothing reordered: the log is untouched.
    expect(instance.queue.map((q) => q.event)).toMatchObject([
      { type: 'ActivityCompleted', payload: { name: 'fetch', scheduledSeq: 2, result: 7 } },
    ]);
    expect(log.historyOf('x1')).toEqual(snapshot);
    expect(log.historyOf('x1')[2]).toEqual(intruder[0]);
    expect(instance.state['got']).toBe(0);

    // A signal to the stalled instance is queued behind the stall: not appended, its promise pending.
    let signalSettled = false;
    const signal = primary.signal('x1', 'poke').finally(() => {
      signalSettled = true;
    });
    signal.catch(() => undefined);
    await flush();
    expect(signalSettled).toBe(false);
    expect(instance.queue.map((q) => q.event.type)).toEqual(['ActivityCompleted', 'SignalReceived']);
    expect(log.historyOf('x1')).toEqual(snapshot);

    // Observed: resume() re-runs the queue, whose head is appended with the primary's stale expected
    // seq (2) while the head of the log is 3: refused again, the instance stalls again (reported
    // again), resume() itself resolves. Still nothing lost and nothing appended.
    await primary.resume('x1');
    expect(primary.instance('x1')!.stalled).toBeInstanceOf(InstanceStalledError);
    expect(primary.stats.stalled).toBe(1);
    expect(errors.filter((e) => e instanceof InstanceStalledError)).toHaveLength(2);
    expect(instance.queue.map((q) => q.event.type)).toEqual(['ActivityCompleted', 'SignalReceived']);
    expect(log.historyOf('x1')).toEqual(snapshot);
    await flush();
    expect(signalSettled).toBe(false);
  });

  it('after a transient log failure, resume() appends the held event and the workflow carries on', async () => {
    const log = new SpyLog();
    const { primary, mirror, settle, errors } = enginePair({
      workflows: [slowWorkflow()],
      activities: { fetch: (_i: null, info: ActivityInfo) => info.scheduledSeq * 10 },
      log,
    });
    let failNext = false;
    log.beforeAppend = (_id, _seq, events) => {
      if (failNext && events[0]?.type === 'ActivityCompleted') {
        failNext = false;
        throw new EventLogUnavailableError('disk full', new Error('ENOSPC'));
      }
    };
    failNext = true;
    await primary.start('slow', 'y1');
    await settle();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InstanceStalledError);
    expect((errors[0] as Error).cause).toBeInstanceOf(EventLogUnavailableError);
    expect(log.historyOf('y1')).toHaveLength(2);

    await primary.resume('y1');
    await settle();
    expect(primary.instance('y1')!.stalled).toBeUndefined();
    expect(primary.stats.stalled).toBe(0);
    expect(log.historyOf('y1').map((e) => e.type)).toEqual(['WorkflowStarted', 'ActivityScheduled', 'ActivityCompleted']);
    expect(primary.instance('y1')!.state['got']).toBe(20);
    expect(mirror.instance('y1')!.state['got']).toBe(20);
    // Resuming an instance that is not stalled does nothing.
    await primary.resume('y1');
    expect(log.historyOf('y1')).toHaveLength(3);
  });
});

describe('outcomes arriving while an instance is stalled', () => {
  it('are held and appended on resume, not lost', async () => {
    const a = deferred<number>();
    const b = deferred<number>();
    const def = defineWorkflow({
      name: 'two',
      version: 1,
      state: { a: f64(), b: f64() },
      activities: { A: activity<null, number>(), B: activity<null, number>() },
      on: {
        start(_s, _input, ctx) {
          ctx.call('A', null);
          ctx.call('B', null);
        },
        completed: {
          A(s, r) {
            s.a = r;
          },
          B(s, r) {
            s.b = r;
          },
        },
      },
    });
    const log = new SpyLog();
    const { primary, settle, errors } = enginePair({
      workflows: [def],
      activities: { A: () => a.promise, B: () => b.promise },
      log,
    });
    await primary.start('two', 'w');
    let failNext = true;
    log.beforeAppend = (_id, _seq, events) => {
      if (failNext && events[0]?.type === 'ActivityCompleted') {
        failNext = false;
        throw new EventLogUnavailableError('log down', new Error('ECONNRESET'));
      }
    };
    a.resolve(1);
    await flush();
    expect(errors).toHaveLength(1); // stalled on A's result
    b.resolve(2); // B's result arrives while the instance is stalled
    await flush();
    await primary.whenIdle();
    await primary.resume('w');
    await settle();
    const completed = log.historyOf('w').filter((e) => e.type === 'ActivityCompleted');
    expect(completed.map((e) => (e.payload as { name: string }).name).sort()).toEqual(['A', 'B']);
    expect(primary.instance('w')!.state).toEqual({ a: 1, b: 2 });
  });
});

describe('resume after a refused command append', () => {
  // Regression: when the commands' append failed after the inbound event was in the log, resume()
  // once appended the inbound event again and ran its handler twice. The event now leaves the queue
  // once appended, and the commands wait in `unissued`.
  it('records the commands once and does not append the inbound event again', async () => {
    const def = defineWorkflow({
      name: 'caller',
      version: 1,
      state: { n: f64() },
      activities: { A: activity<null, number>() },
      on: {
        start() {},
        signal: {
          go(s, _payload, ctx) {
            s.n += 1;
            ctx.call('A', null);
          },
        },
      },
    });
    const log = new SpyLog();
    const { primary, settle, findings } = enginePair({ workflows: [def], activities: { A: () => 5 }, log });
    await primary.start('caller', 'c1');
    let failNext = true;
    log.beforeAppend = (_id, _seq, events) => {
      if (failNext && events[0]?.type === 'ActivityScheduled') {
        failNext = false;
        throw new EventLogUnavailableError('log down', new Error('ECONNRESET'));
      }
    };
    const error = await primary.signal('c1', 'go').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InstanceStalledError);
    expect((error as Error).cause).toBeInstanceOf(EventLogUnavailableError);
    // The signal and its handler run are in; the commands are not.
    expect(log.historyOf('c1').map((e) => e.type)).toEqual(['WorkflowStarted', 'SignalReceived']);
    await primary.resume('c1');
    await settle();
    expect(log.historyOf('c1').map((e) => e.type)).toEqual([
      'WorkflowStarted',
      'SignalReceived',
      'ActivityScheduled',
      'ActivityCompleted',
    ]);
    expect(primary.instance('c1')!.state['n']).toBe(1);
    expect(findings).toEqual([]);
  });
});

describe('bad input never reaches the log', () => {
  it('a MemoryEventLog refuses a malformed append atomically', async () => {
    const log = new MemoryEventLog();
    await expect(
      log.append('z', 0, [
        { type: 'SignalReceived', time: 0, payload: { name: 'ok', payload: null } },
        { type: 'SignalReceived', time: 0, payload: { name: 'bad', payload: Number.NaN } },
      ]),
    ).rejects.toBeInstanceOf(MalformedEventError);
    expect(await log.head('z')).toBe(0);
  });
});
