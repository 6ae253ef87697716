import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, MalformedEventError } from '../../ts/history/errors.js';
import { EVENT_TYPES, type NewEvent } from '../../ts/history/events.js';
import { copyJson, MAX_JSON_DEPTH, NotJsonError } from '../../ts/history/json-value.js';
import { payloadFieldProblem, validateAppend, validateEvent } from '../../ts/history/validate-event.js';

/** One valid event of every type. */
const VALID: readonly NewEvent[] = [
  { type: 'WorkflowStarted', time: 0, payload: { workflowType: 'order', version: 0, fingerprint: '', input: null } },
  { type: 'ActivityScheduled', time: 1, payload: { name: 'charge', input: [1, 'x', { a: true }] } },
  { type: 'ActivityCompleted', time: 2, payload: { name: 'charge', scheduledSeq: 2, result: null } },
  { type: 'ActivityFailed', time: 3, payload: { name: 'charge', scheduledSeq: 2, error: '', attempts: 0 } },
  { type: 'TimerStarted', time: 4, payload: { name: 't', fireAt: -1.5 } },
  { type: 'TimerFired', time: 5, payload: { name: 't', startedSeq: 5 } },
  { type: 'SignalReceived', time: 6, payload: { name: 'cancel', payload: 'now' } },
  { type: 'WorkflowCompleted', time: 7, payload: { result: { total: 1 } } },
  { type: 'WorkflowFailed', time: 8, payload: { reason: '' } },
];

/** Values JSON cannot carry, with the word the message must use. */
const NOT_JSON: readonly [unknown, RegExp][] = [
  [undefined, /undefined/],
  [Number.NaN, /NaN/],
  [Number.POSITIVE_INFINITY, /Infinity/],
  [() => 1, /function/],
  [1n, /bigint/],
  [Symbol('s'), /symbol/],
  [new Date(0), /Date/],
  [new Uint8Array(1), /Uint8Array/],
];

describe('validateEvent', () => {
  it('accepts one valid event of every type and returns a frozen copy', () => {
    expect(VALID.map((e) => e.type)).toEqual([...EVENT_TYPES]);
    for (const event of VALID) {
      const copy = validateEvent('wf', event, 0);
      expect(copy).toEqual(event);
      expect(copy).not.toBe(event);
      expect(copy.payload).not.toBe(event.payload);
      expect(Object.isFrozen(copy) && Object.isFrozen(copy.payload)).toBe(true);
      expect(payloadFieldProblem(event.type, event.payload)).toBeUndefined();
    }
  });

  it('names the event (from 1), the instance and the field in its message', () => {
    const bad = { type: 'ActivityScheduled', time: 1, payload: { name: '', input: 1 } } as NewEvent;
    expect(() => validateAppend('order-1', 0, [VALID[1]!, bad])).toThrow(
      'event 2 of append to "order-1": payload.name must be a non-empty string for ActivityScheduled (got "")',
    );
    expect(() => validateAppend('order-1', -1, [])).toThrow(InvalidArgumentError);
    expect(() => validateAppend('', 0, [])).toThrow(MalformedEventError);
  });

  it('cuts long values and ids in messages', () => {
    const bad = { type: 'ActivityScheduled', time: 1, payload: { name: 7, input: 1 } } as unknown as NewEvent;
    try {
      validateEvent('x'.repeat(200), bad, 0);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message.length).toBeLessThan(200);
    }
  });
});

describe('copyJson', () => {
  it('copies any JSON value to what a JSON round trip gives, deeply frozen, leaving the original alone', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const before = JSON.stringify(value);
        const copy = copyJson(value);
        expect(copy).toEqual(JSON.parse(before));
        expect(JSON.stringify(value)).toBe(before);
        assertDeepFrozen(copy);
      }),
    );
  });

  it('refuses a non-JSON leaf anywhere, naming the path to it', () => {
    const step = fc.oneof(fc.constantFrom(0, 1, 2), fc.string({ minLength: 1, maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 8 }), fc.constantFrom(...NOT_JSON), (steps, [leaf, word]) => {
        let value: unknown = leaf;
        let path = '';
        for (const s of [...steps].reverse()) {
          if (typeof s === 'number') {
            const arr: unknown[] = Array.from({ length: s + 1 }, () => 0);
            arr[s] = value;
            value = arr;
            path = `[${s}]${path}`;
          } else {
            value = { ok: 1, [s]: value };
            path = `${/^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`}${path}`;
          }
        }
        try {
          copyJson(value);
          expect.unreachable();
        } catch (e) {
          expect(e).toBeInstanceOf(NotJsonError);
          expect((e as NotJsonError).path).toBe(path);
          expect((e as NotJsonError).problem).toMatch(word);
        }
      }),
    );
  });

  it('refuses cycles but accepts a value shared twice', () => {
    const shared = { a: 1 };
    expect(copyJson({ x: shared, y: [shared] })).toEqual({ x: { a: 1 }, y: [{ a: 1 }] });
    const cyclic: unknown[] = [];
    cyclic.push({ back: cyclic });
    expect(() => copyJson(cyclic)).toThrow(/\[0\]\.back refers back to an enclosing value/);
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels`, () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = [deep];
    expect(() => copyJson(deep)).not.toThrow();
    expect(() => copyJson([deep])).toThrow(/nested deeper/);
  });

  it('turns -0 into 0, as JSON would', () => {
    expect(Object.is(copyJson(-0), 0)).toBe(true);
  });
});

function assertDeepFrozen(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  expect(Object.isFrozen(value)).toBe(true);
  for (const v of Object.values(value)) assertDeepFrozen(v);
}
