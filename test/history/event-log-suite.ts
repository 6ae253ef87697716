/**
 * The behaviour every EventLog must have, written once and run against each implementation
 * (memory-event-log.test.ts, sqlite-event-log.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EpochConflictError,
  FencedError,
  InvalidArgumentError,
  LogClosedError,
  MalformedEventError,
  WrongExpectedSeqError,
} from '../../ts/history/errors.js';
import type { FencedLog } from '../../ts/history/event-log.js';
import type { HistoryEvent, NewEvent } from '../../ts/history/events.js';
import type { ListenerErrorHandler } from '../../ts/history/listener-set.js';
import { completed, scheduled, someEvents, started } from './fixtures.js';

/** What the suite needs from an implementation. */
export interface EventLogFactory {
  /** A new, empty log. */
  open(options: { onListenerError?: ListenerErrorHandler }): FencedLog;
  /** Removes whatever open() created (called after the log is closed). */
  cleanup(): void;
}

/** Treats a deliberately broken value as an event, to show the log refuses it. */
const raw = (value: unknown): NewEvent => value as NewEvent;

/** The payload fields each bad event gets wrong, with the field the error must name. */
const MALFORMED: readonly [string, unknown, string][] = [
  ['not an object', 42, 'event'],
  ['null', null, 'event'],
  ['unknown type', { type: 'Nope', time: 1, payload: {} }, 'type'],
  ['missing type', { time: 1, payload: {} }, 'type'],
  ['time NaN', { ...scheduled(), time: Number.NaN }, 'time'],
  ['time Infinity', { ...scheduled(), time: Number.POSITIVE_INFINITY }, 'time'],
  ['time a string', { ...scheduled(), time: '1' }, 'time'],
  ['payload missing', { type: 'ActivityScheduled', time: 1 }, 'payload'],
  ['payload an array', { type: 'ActivityScheduled', time: 1, payload: [] }, 'payload'],
  ['name empty', { type: 'ActivityScheduled', time: 1, payload: { name: '', input: null } }, 'payload.name'],
  ['name a number', { type: 'ActivityScheduled', time: 1, payload: { name: 3, input: null } }, 'payload.name'],
  ['input missing', { type: 'ActivityScheduled', time: 1, payload: { name: 'a' } }, 'payload.input'],
  [
    'scheduledSeq 0',
    { type: 'ActivityCompleted', time: 1, payload: { name: 'a', scheduledSeq: 0, result: 1 } },
    'payload.scheduledSeq',
  ],
  [
    'scheduledSeq 1.5',
    { type: 'ActivityCompleted', time: 1, payload: { name: 'a', scheduledSeq: 1.5, result: 1 } },
    'payload.scheduledSeq',
  ],
  ['result missing', { type: 'ActivityCompleted', time: 1, payload: { name: 'a', scheduledSeq: 1 } }, 'payload.result'],
  [
    'attempts -1',
    { type: 'ActivityFailed', time: 1, payload: { name: 'a', scheduledSeq: 1, error: 'x', attempts: -1 } },
    'payload.attempts',
  ],
  [
    'error not a string',
    { type: 'ActivityFailed', time: 1, payload: { name: 'a', scheduledSeq: 1, error: {}, attempts: 1 } },
    'payload.error',
  ],
  ['fireAt NaN', { type: 'TimerStarted', time: 1, payload: { name: 't', fireAt: Number.NaN } }, 'payload.fireAt'],
  ['startedSeq missing', { type: 'TimerFired', time: 1, payload: { name: 't' } }, 'payload.startedSeq'],
  [
    'version a string',
    { type: 'WorkflowStarted', time: 1, payload: { workflowType: 'o', version: '1', fingerprint: 'f', input: 1 } },
    'payload.version',
  ],
  [
    'workflowType empty',
    { type: 'WorkflowStarted', time: 1, payload: { workflowType: '', version: 1, fingerprint: 'f', input: 1 } },
    'payload.workflowType',
  ],
  ['reason missing', { type: 'WorkflowFailed', time: 1, payload: {} }, 'payload.reason'],
  // Logs store strings as UTF-8 and these numbers as uint32: neither could be written back as given.
  [
    'name with a lone surrogate',
    { type: 'ActivityScheduled', time: 1, payload: { name: 'a\ud800', input: null } },
    'payload.name',
  ],
  ['reason with a lone surrogate', { type: 'WorkflowFailed', time: 1, payload: { reason: '\udc00' } }, 'payload.reason'],
  [
    'version past uint32',
    { type: 'WorkflowStarted', time: 1, payload: { workflowType: 'o', version: 2 ** 32, fingerprint: 'f', input: 1 } },
    'payload.version',
  ],
  [
    'attempts past uint32',
    { type: 'ActivityFailed', time: 1, payload: { name: 'a', scheduledSeq: 1, error: 'x', attempts: 2 ** 32 } },
    'payload.attempts',
  ],
  ['NaN in JSON', scheduled('a', { price: Number.NaN }), 'payload.input.price'],
  ['Infinity in JSON', scheduled('a', { list: [1, Number.NEGATIVE_INFINITY] }), 'payload.input.list[1]'],
  ['undefined in JSON', scheduled('a', raw({ x: undefined }) as never), 'payload.input.x'],
  ['function in JSON', scheduled('a', raw({ f: () => 1 }) as never), 'payload.input.f'],
  ['bigint in JSON', scheduled('a', raw({ n: 10n }) as never), 'payload.input.n'],
  ['Date in JSON', scheduled('a', raw({ d: new Date(0) }) as never), 'payload.input.d'],
  ['Map in JSON', scheduled('a', raw(new Map()) as never), 'payload.input'],
  ['sparse array', scheduled('a', raw(Object.assign(new Array(3), { 0: 1, 2: 3 })) as never), 'payload.input[1]'],
  ['extra field not JSON', { ...scheduled(), payload: { name: 'a', input: 1, extra: Symbol('s') } }, 'payload.extra'],
];

/** Registers the shared EventLog behaviour tests for one implementation. */
export function describeEventLog(name: string, factory: () => EventLogFactory): void {
  describe(`${name}: EventLog behaviour`, () => {
    let f: EventLogFactory;
    let log: FencedLog;
    const listenerErrors: unknown[] = [];

    beforeEach(() => {
      listenerErrors.length = 0;
      f = factory();
      log = f.open({ onListenerError: (error) => listenerErrors.push(error) });
    });

    afterEach(async () => {
      await log.close();
      f.cleanup();
    });

    it('numbers each instance from 1 without gaps, and pos globally from 1', async () => {
      const a1 = await log.append('a', 0, [started(), scheduled()]);
      const b1 = await log.append('b', 0, [started()]);
      const a2 = await log.append('a', 2, [completed(2)]);
      expect(a1.map((e) => [e.seq, e.pos])).toEqual([
        [1, 1],
        [2, 2],
      ]);
      expect(b1.map((e) => [e.seq, e.pos])).toEqual([[1, 3]]);
      expect(a2.map((e) => [e.seq, e.pos])).toEqual([[3, 4]]);
      expect(await log.head('a')).toBe(3);
      expect(await log.head('b')).toBe(1);
      expect(await log.head('nobody')).toBe(0);
      expect(await log.readInstance('a')).toEqual([...a1, ...a2]);
      expect(a1[0]).toMatchObject({ workflowId: 'a', type: 'WorkflowStarted', time: 1_000, payload: started().payload });
    });

    it('reads a seq range of one instance', async () => {
      const stored = await log.append('a', 0, someEvents(6));
      expect(await log.readInstance('a', 2, 4)).toEqual(stored.slice(1, 4));
      expect(await log.readInstance('a', 5)).toEqual(stored.slice(4));
      expect(await log.readInstance('a', 0, 1)).toEqual(stored.slice(0, 1));
      expect(await log.readInstance('a', 4, 3)).toEqual([]);
      expect(await log.readInstance('a', 7)).toEqual([]);
      expect(await log.readInstance('nobody')).toEqual([]);
      await expect(log.readInstance('a', 1.5)).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    it('refuses a wrong expectedSeq with WrongExpectedSeqError and writes nothing', async () => {
      const before = await log.append('a', 0, someEvents(2));
      for (const expected of [0, 1, 3]) {
        const error = await log.append('a', expected, someEvents(1)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedSeqError);
        expect(error).toMatchObject({ code: 'WRONG_EXPECTED_SEQ', workflowId: 'a', expectedSeq: expected, actualSeq: 2 });
      }
      await expect(log.append('new', 1, someEvents(1))).rejects.toMatchObject({ actualSeq: 0 });
      expect(await log.head('a')).toBe(2);
      expect(await log.head('new')).toBe(0);
      expect(await log.readInstance('a')).toEqual(before);
      expect(await log.readRange(0, 100)).toEqual(before);
    });

    it('refuses only the wrong append among concurrent ones', async () => {
      await log.append('b', 0, someEvents(1));
      const results = await Promise.allSettled([
        log.append('a', 0, someEvents(2)),
        log.append('b', 0, someEvents(2)), // b's head is 1
        log.append('c', 0, someEvents(3)),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedSeqError);
      expect(await log.head('a')).toBe(2);
      expect(await log.head('b')).toBe(1);
      expect(await log.head('c')).toBe(3);
      expect((await log.readRange(0, 100)).map((e) => e.pos)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it.each(MALFORMED)('refuses a malformed event (%s) with MalformedEventError and writes nothing', async (_, bad, field) => {
      await log.append('a', 0, someEvents(1));
      const error = await log.append('a', 1, [scheduled(), raw(bad)]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MalformedEventError);
      expect(error).toMatchObject({ code: 'MALFORMED_EVENT', field, index: 1, workflowId: 'a' });
      expect((error as Error).message).toMatch(new RegExp(`^event 2 of append to "a": ${escapeRegExp(field)} `));
      expect(await log.head('a')).toBe(1);
      expect(await log.readInstance('a')).toHaveLength(1);
      expect(await log.readRange(0, 10)).toHaveLength(1);
    });

    it('refuses a cyclic payload', async () => {
      const input: Record<string, unknown> = { list: [] };
      (input['list'] as unknown[]).push(input);
      await expect(log.append('a', 0, [scheduled('a', raw(input) as never)])).rejects.toMatchObject({
        field: 'payload.input.list[0]',
        message: expect.stringContaining('cycle'),
      });
      expect(await log.head('a')).toBe(0);
    });

    it('refuses a bad workflowId or expectedSeq', async () => {
      for (const id of ['', 'x'.repeat(257), 'a\ud800b', 42, undefined]) {
        await expect(log.append(id as string, 0, someEvents(1))).rejects.toMatchObject({
          code: 'MALFORMED_EVENT',
          field: 'workflowId',
        });
      }
      for (const seq of [-1, 1.5, Number.NaN, '0']) {
        await expect(log.append('a', seq as number, someEvents(1))).rejects.toBeInstanceOf(InvalidArgumentError);
      }
      await expect(log.append('a', 0, 'nope' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await log.append('x'.repeat(256), 0, someEvents(1))).toHaveLength(1);
      expect(await log.readRange(0, 10)).toHaveLength(1);
    });

    it('treats an empty append as a check of expectedSeq that writes nothing', async () => {
      expect(await log.append('a', 0, [])).toEqual([]);
      await expect(log.append('a', 1, [])).rejects.toBeInstanceOf(WrongExpectedSeqError);
      expect(await log.readRange(0, 10)).toEqual([]);
    });

    it('stores a copy: later changes to the caller objects do not alter history, and events are frozen', async () => {
      const input = { items: [{ sku: 'x', qty: 1 }] };
      const [stored] = await log.append('a', 0, [scheduled('a', input)]);
      input.items[0]!.qty = 99;
      const [read] = await log.readInstance('a');
      expect(read!.payload).toEqual({ name: 'a', input: { items: [{ sku: 'x', qty: 1 }] } });
      expect(stored!.payload).toEqual(read!.payload);
      expect(Object.isFrozen(read)).toBe(true);
      expect(Object.isFrozen((read!.payload as unknown as { input: { items: object[] } }).input.items[0])).toBe(true);
    });

    it('keeps a "__proto__" key as data', async () => {
      const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as never;
      await log.append('a', 0, [scheduled('a', input)]);
      const [read] = await log.readInstance('a');
      const stored = (read!.payload as { input: object }).input;
      expect(Object.keys(stored)).toEqual(['__proto__', 'a']);
      expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    });

    it('reads the global order with afterPos and limit', async () => {
      const stored: HistoryEvent[] = [];
      for (let i = 0; i < 5; i++) {
        for (const id of ['a', 'b', 'c']) stored.push(...(await log.append(id, i, someEvents(1, i))));
      }
      expect(await log.readRange(0, 100)).toEqual(stored);
      expect(await log.readRange(4, 3)).toEqual(stored.slice(4, 7));
      expect(await log.readRange(13, 10)).toEqual(stored.slice(13));
      expect(await log.readRange(15, 10)).toEqual([]);
      expect(await log.readRange(3, 0)).toEqual([]);
      expect(await log.readRange(0, Number.POSITIVE_INFINITY)).toEqual(stored);
      // Catching up in pages visits everything once, in order.
      const paged: HistoryEvent[] = [];
      for (let page = await log.readRange(0, 4); page.length > 0; page = await log.readRange(page.at(-1)!.pos, 4)) {
        paged.push(...page);
      }
      expect(paged).toEqual(stored);
      await expect(log.readRange(-1, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(log.readRange(0, -1)).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    it('gives each durable batch to subscribers once, in order, and stops after unsubscribe', async () => {
      const batches: HistoryEvent[][] = [];
      const visibleAtDelivery: Promise<HistoryEvent[]>[] = [];
      const stop = log.subscribe((events) => {
        batches.push([...events]);
        // Durable before delivery: a read started now already sees the batch.
        visibleAtDelivery.push(log.readRange(events[0]!.pos - 1, events.length));
      });
      const appended = await Promise.all([
        log.append('a', 0, someEvents(2)),
        log.append('b', 0, someEvents(1)),
        log.append('a', 2, someEvents(3)),
      ]);
      const more = await log.append('c', 0, someEvents(1));
      const all = [...appended.flat(), ...more].sort((x, y) => x.pos - y.pos);
      expect(batches.flat()).toEqual(all);
      for (const batch of batches) expect(batch.map((e) => e.pos)).toEqual([...batch.map((e) => e.pos)].sort((x, y) => x - y));
      expect(await Promise.all(visibleAtDelivery)).toEqual(batches);
      stop();
      stop();
      await log.append('c', 1, someEvents(1));
      expect(batches.flat()).toHaveLength(all.length);
    });

    it('keeps appending and delivering when a listener throws', async () => {
      const seen: number[] = [];
      log.subscribe(() => {
        throw new Error('listener bug');
      });
      log.subscribe((events) => seen.push(...events.map((e) => e.seq)));
      expect(await log.append('a', 0, someEvents(2))).toHaveLength(2);
      expect(seen).toEqual([1, 2]);
      expect(listenerErrors).toHaveLength(1);
      expect((listenerErrors[0] as Error).message).toBe('listener bug');
    });

    it('lands 2,000 instances x 5 concurrent appends with correct seqs', async () => {
      const ids = Array.from({ length: 2_000 }, (_, i) => `wf-${i}`);
      await Promise.all(
        ids.map(async (id) => {
          for (let seq = 0; seq < 5; seq++) await log.append(id, seq, someEvents(1, seq));
        }),
      );
      const all = await log.readRange(0, Number.POSITIVE_INFINITY);
      expect(all).toHaveLength(10_000);
      expect(all.map((e) => e.pos)).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
      for (const id of [ids[0]!, ids[999]!, ids[1_999]!]) {
        expect(await log.head(id)).toBe(5);
        expect((await log.readInstance(id)).map((e) => [e.seq, e.time])).toEqual([0, 1, 2, 3, 4].map((i) => [i + 1, i]));
      }
    });

    it('chains appends to one instance issued without waiting', async () => {
      const [first, second] = await Promise.all([log.append('a', 0, someEvents(2)), log.append('a', 2, someEvents(1))]);
      expect(first!.map((e) => e.seq)).toEqual([1, 2]);
      expect(second!.map((e) => e.seq)).toEqual([3]);
    });

    it('lets exactly one of two concurrent appends with the same expectedSeq win', async () => {
      await log.append('a', 0, someEvents(1));
      const results = await Promise.allSettled([log.append('a', 1, [scheduled('x')]), log.append('a', 1, [scheduled('y')])]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const loser = results.find((r) => r.status === 'rejected');
      expect(loser?.reason).toBeInstanceOf(WrongExpectedSeqError);
      expect(await log.readInstance('a')).toHaveLength(2);
    });

    it('fences: after a claim, appends carrying the older epoch are refused and write nothing', async () => {
      expect(await log.epoch()).toBe(0);
      await log.append('a', 0, someEvents(1), { epoch: 0 });
      expect(await log.claimEpoch(0)).toBe(1);
      expect(await log.epoch()).toBe(1);
      const refused = await log.append('a', 1, someEvents(1), { epoch: 0 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(FencedError);
      expect(refused).toMatchObject({ code: 'FENCED', epoch: 0, currentEpoch: 1 });
      // Fencing is checked before the seq: a replaced writer learns that it was replaced.
      await expect(log.append('a', 7, someEvents(1), { epoch: 0 })).rejects.toBeInstanceOf(FencedError);
      expect(await log.head('a')).toBe(1);
      expect(await log.readInstance('a')).toHaveLength(1);
      expect((await log.append('a', 1, someEvents(1), { epoch: 1 }))[0]!.seq).toBe(2);
      expect((await log.append('a', 2, someEvents(1)))[0]!.seq).toBe(3); // no epoch: not fenced
      await expect(log.append('a', 3, someEvents(1), { epoch: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    it('lets exactly one of two racing claims of the same epoch win', async () => {
      const results = await Promise.allSettled([log.claimEpoch(0), log.claimEpoch(0)]);
      expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value)).toEqual([
        1,
      ]);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(EpochConflictError);
      expect(lost.reason).toMatchObject({ code: 'EPOCH_CONFLICT', expected: 0, actual: 1 });
      await expect(log.claimEpoch(1.5)).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await log.epoch()).toBe(1);
    });

    it('keeps the last heartbeat, checked', async () => {
      expect(await log.lastHeartbeat()).toBeUndefined();
      await log.heartbeat({ owner: 'primary-1', epoch: 0, time: 10 });
      await log.heartbeat({ owner: 'primary-1', epoch: 0, time: 20 });
      expect(await log.lastHeartbeat()).toEqual({ owner: 'primary-1', epoch: 0, time: 20 });
      await expect(log.heartbeat({ owner: '', epoch: 0, time: 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(log.heartbeat({ owner: 'p', epoch: 0, time: Number.NaN })).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await log.lastHeartbeat()).toEqual({ owner: 'primary-1', epoch: 0, time: 20 });
    });

    it("gives the last durable event's position (0 when empty), across instances", async () => {
      expect(await log.lastPosition()).toBe(0);
      await log.append('a', 0, someEvents(2));
      await log.append('b', 0, someEvents(3));
      expect(await log.lastPosition()).toBe(5);
      const all = await log.readRange(0, 100);
      expect(all.at(-1)?.pos).toBe(5);
      await expect(log.append('a', 0, someEvents(1))).rejects.toThrow(); // refused: nothing moves
      expect(await log.lastPosition()).toBe(5);
    });

    it("keeps each mirror's last position report, checked, until it is forgotten", async () => {
      expect(await log.mirrorPositions()).toEqual([]);
      await log.reportMirrorPosition({ name: 'mirror-1', position: 10, time: 1 });
      await log.reportMirrorPosition({ name: 'mirror-2', position: 4, time: 2 });
      await log.reportMirrorPosition({ name: 'mirror-1', position: 12, time: 3 });
      expect(await log.mirrorPositions()).toEqual([
        { name: 'mirror-1', position: 12, time: 3 },
        { name: 'mirror-2', position: 4, time: 2 },
      ]);
      await expect(log.reportMirrorPosition({ name: '', position: 1, time: 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(log.reportMirrorPosition({ name: 'm', position: -1, time: 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(log.reportMirrorPosition({ name: 'm', position: 1, time: Number.NaN })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await log.forgetMirror('mirror-1');
      await log.forgetMirror('never-reported'); // nothing to forget: no error
      expect(await log.mirrorPositions()).toEqual([{ name: 'mirror-2', position: 4, time: 2 }]);
    });

    it('completes appends issued before close, and refuses every call after', async () => {
      const pending = log.append('a', 0, someEvents(2));
      await log.close();
      expect(await pending).toHaveLength(2);
      await log.close(); // idempotent
      await expect(log.append('a', 2, someEvents(1))).rejects.toBeInstanceOf(LogClosedError);
      await expect(log.readInstance('a')).rejects.toBeInstanceOf(LogClosedError);
      await expect(log.readRange(0, 1)).rejects.toBeInstanceOf(LogClosedError);
      await expect(log.lastPosition()).rejects.toBeInstanceOf(LogClosedError);
      await expect(log.head('a')).rejects.toMatchObject({ code: 'LOG_CLOSED' });
      expect(() => log.subscribe(() => {})).toThrow(LogClosedError);
    });
  });
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
