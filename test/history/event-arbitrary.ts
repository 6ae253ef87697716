/** fast-check arbitraries of history events: every event type, odd strings, extra payload properties. */
import fc from 'fast-check';
import type { HistoryEvent, Json } from '../../ts/history/events.js';

// Now and then with a leading byte order mark, which a default TextDecoder would drop.
const text = (min = 0) =>
  fc.oneof(
    { weight: 9, arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: 24 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }).map((s) => `\uFEFF${s}`) },
  );
const posInt = fc.maxSafeNat().map((n) => Math.max(1, n));
// Through JSON once: payloads hold no -0 (the logs store 0, which is what JSON gives back).
const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as Json);
const payloads = {
  WorkflowStarted: fc.record({
    workflowType: text(1),
    version: fc.maxSafeNat().map((n) => n % 2 ** 32),
    fingerprint: text(),
    input: json,
  }),
  ActivityScheduled: fc.record({ name: text(1), input: json }),
  ActivityCompleted: fc.record({ name: text(1), scheduledSeq: posInt, result: json }),
  ActivityFailed: fc.record({ name: text(1), scheduledSeq: posInt, error: text(), attempts: fc.nat() }),
  TimerStarted: fc.record({ name: text(1), fireAt: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
  TimerFired: fc.record({ name: text(1), startedSeq: posInt }),
  SignalReceived: fc.record({ name: text(1), payload: json }),
  WorkflowCompleted: fc.record({ result: json }),
  WorkflowFailed: fc.record({ reason: text() }),
};
/** Extra payload properties (never a typed field's name). */
const extras = fc.option(
  fc.dictionary(
    text(1).map((k) => `x-${k}`),
    json,
    { maxKeys: 3 },
  ),
  { nil: undefined },
);

/** Any event a log could hold. */
export const anyEvent: fc.Arbitrary<HistoryEvent> = fc
  .record({
    workflowId: text(1),
    seq: posInt,
    pos: fc.maxSafeNat(),
    time: fc.double({ noNaN: true, noDefaultInfinity: true }),
    typed: fc.oneof(...Object.entries(payloads).map(([type, arb]) => arb.map((payload) => ({ type, payload })))),
    extra: extras,
  })
  .map(({ typed, extra, ...rest }) => ({ ...rest, type: typed.type, payload: { ...extra, ...typed.payload } }) as HistoryEvent);
