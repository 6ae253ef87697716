/** Valid values of every encoded kind, shared by the verifier, fuzz and codec tests. */
import type { AnomalyReport } from '../../ts/anomaly/report.js';
import type { HistoryEvent } from '../../ts/history/events.js';
import type { StateVector } from '../../ts/state/state-vector-codec.js';

/** One event of every type, plus one with extra payload properties and one at time -0. */
export function sampleEvents(): HistoryEvent[] {
  const base = { workflowId: 'order-17', pos: 40, time: 1_700_000_000_123.5 };
  return [
    {
      ...base,
      seq: 1,
      type: 'WorkflowStarted',
      payload: { workflowType: 'order', version: 3, fingerprint: 'f-1', input: { amount: 10, items: ['a', 'ü'] } },
    },
    { ...base, seq: 2, type: 'ActivityScheduled', payload: { name: 'charge', input: { card: 'x' } } },
    { ...base, seq: 3, type: 'ActivityCompleted', payload: { name: 'charge', scheduledSeq: 2, result: { ok: true } } },
    { ...base, seq: 4, type: 'ActivityFailed', payload: { name: 'ship', scheduledSeq: 3, error: 'timeout', attempts: 4 } },
    { ...base, seq: 5, type: 'TimerStarted', payload: { name: 'wait', fireAt: 1_700_000_060_000 } },
    { ...base, seq: 6, type: 'TimerFired', payload: { name: 'wait', startedSeq: 5 } },
    { ...base, seq: 7, type: 'SignalReceived', payload: { name: 'cancel', payload: null } },
    { ...base, seq: 8, type: 'WorkflowCompleted', payload: { result: [1, 2.5, 'three', { four: null }] } },
    { ...base, seq: 9, type: 'WorkflowFailed', payload: { reason: 'gave up' } },
    {
      ...base,
      seq: 10,
      time: -0,
      type: 'SignalReceived',
      payload: { name: 'note', payload: 'hi', extra: { n: 1 } },
    } as HistoryEvent,
  ];
}

/** State vectors: ordinary, with NaN payloads / -0 / infinities, one empty, one with unaligned values. */
export function sampleStateVectors(): StateVector[] {
  const odd = new Float64Array(
    new Uint8Array([1, 0, 0, 0, 0, 0, 0xf8, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).buffer,
  );
  return [
    {
      workflowId: 'order-17',
      workflowType: 'order',
      version: 3,
      seq: 12,
      values: new Float64Array([1, Number.NaN, -0, 2.5, 0, 7, 8, 9, 10]),
    },
    { workflowId: 'w', workflowType: '', version: 0, seq: 0, values: odd },
    { workflowId: '', workflowType: 'empty', version: 0xffff_ffff, seq: 2 ** 53 - 1, values: new Float64Array(0) },
    {
      workflowId: 'inf-ü',
      workflowType: 't',
      version: 1,
      seq: 1,
      values: new Float64Array([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MIN_VALUE, -Number.MAX_VALUE]),
    },
  ];
}

/** Anomaly reports with every severity, numbers that JSON cannot hold, and every kind of field value. */
export function sampleReports(): AnomalyReport[] {
  return [
    {
      id: 'a1',
      workflowId: 'order-17',
      workflowType: 'order',
      seq: 12,
      deviation: Number.POSITIVE_INFINITY,
      threshold: 0.5,
      severity: 'critical',
      cause: 'state-written-outside-handler',
      detail: 'total differs',
      fields: [
        { name: 'total', primary: 10, mirror: Number.NaN, contribution: Number.NaN, share: -0, reason: 'numeric' },
        { name: 'paid', primary: true, mirror: false, contribution: 1, share: 0.25, reason: 'categorical' },
        { name: 'status', primary: 'open', mirror: null, contribution: 2, share: 0.5, reason: 'missing' },
      ],
      detectedAt: 1_700_000_000_000,
    },
    {
      id: 'a2',
      workflowId: '',
      workflowType: '',
      seq: 0,
      deviation: -0,
      threshold: Number.NEGATIVE_INFINITY,
      severity: 'info',
      cause: 'non-determinism',
      detail: '',
      fields: [],
      detectedAt: -0,
    },
  ];
}
