/**
 * History forecast on a virtual clock: the eta of a steady pace, the one `info` report ahead of
 * the limit, the bytes limit, the rate's calm under bursts, forgetting, bad options, and the
 * report through both codecs.
 */
import { describe, expect, it } from 'vitest';
import { decodeReport, encodeReport } from '../../ts/anomaly/codec.js';
import type { AnomalyReport } from '../../ts/anomaly/report.js';
import { decodeAnomalyReport, encodeAnomalyReport } from '../../ts/anomaly/report-flatbuffer.js';
import type { AnomalySink } from '../../ts/anomaly/sink.js';
import { VirtualClock } from '../../ts/clock/virtual-clock.js';
import type { HistoryEvent } from '../../ts/history/events.js';
import { HistoryForecastOptionsError } from '../../ts/predict/errors.js';
import { HistoryForecaster, type HistoryForecasterOptions, type HistoryLimitReport } from '../../ts/predict/index.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

let pos = 0;
function started(workflowId: string, time: number): HistoryEvent {
  const payload = { workflowType: 'order', version: 1, fingerprint: 'f', input: null };
  return { workflowId, seq: 1, pos: ++pos, type: 'WorkflowStarted', time, payload };
}
function signal(workflowId: string, seq: number, time: number, payload: string | null = null): HistoryEvent {
  return { workflowId, seq, pos: ++pos, type: 'SignalReceived', time, payload: { name: 'tick', payload } };
}

/** A forecaster on a virtual clock that keeps what it reports. */
function setup(options: Omit<HistoryForecasterOptions, 'clock'>) {
  const clock = new VirtualClock(0);
  const reports: HistoryLimitReport[] = [];
  const forecaster = new HistoryForecaster({ clock, onReport: (r) => reports.push(r), ...options });
  /** Observes seqs from..to of `id`, `gapMs` apart starting at `startMs`, moving the clock to each; returns what they raised. */
  const feed = (id: string, from: number, to: number, startMs: number, gapMs: number, bytes?: number) => {
    const raised: { seq: number; report: HistoryLimitReport }[] = [];
    for (let seq = from; seq <= to; seq++) {
      const time = startMs + (seq - from) * gapMs;
      clock.advanceTo(time);
      const event = seq === 1 ? started(id, time) : signal(id, seq, time);
      for (const report of forecaster.observe(event, bytes)) raised.push({ seq, report });
    }
    return raised;
  };
  return { clock, reports, forecaster, feed };
}

describe('HistoryForecaster', () => {
  it('forecasts the eta of a steady pace exactly', () => {
    const { forecaster, feed } = setup({ limit: { events: 10_000 } });
    // 2 events/s: seq n at (n - 1) * 500 ms.
    feed('order-17', 1, 100, 0, 500);
    const f = forecaster.forecast('order-17')!;
    expect(f).toMatchObject({ workflowId: 'order-17', workflowType: 'order', observed: 100, events: 100, eventsLeft: 9_900 });
    expect(f.ratePerSecond).toBeCloseTo(2, 9);
    // now = 49,500 ms; 9,900 events at 2/s = 4,950 s later.
    expect(f.eventsEtaMs).toBeCloseTo(49_500 + 4_950_000, 3);
    expect(f.etaMs).toBe(f.eventsEtaMs);
    expect(f.limitKind).toBe('events');
    expect(f.bytesLeft).toBeNull();
    expect(f.bytesEtaMs).toBeNull();
  });

  it('raises one info report when the limit comes within the horizon, and only once', () => {
    const sunk: AnomalyReport[] = [];
    const sink: AnomalySink = { write: (r) => void sunk.push(r) };
    // Half a gap of slack so that float rounding cannot move the report by one event.
    const { reports, forecaster, feed } = setup({ limit: { events: 10_000 }, horizonMs: HOUR + 250, sink });
    const raised = feed('order-17', 1, 5_000, 0, 500);
    // At 2 events/s one hour is 7,200 events: the report comes at seq 10,000 - 7,200 = 2,800.
    expect(raised.map((r) => r.seq)).toEqual([2_800]);
    expect(reports).toHaveLength(1);
    expect(sunk).toEqual(reports);
    const report = reports[0]!;
    expect(report).toMatchObject({
      id: 'order-17:history-limit:events',
      workflowId: 'order-17',
      workflowType: 'order',
      seq: 2_800,
      severity: 'info',
      cause: 'history-limit',
      deviation: 0,
      threshold: 0,
      fields: [],
      detectedAt: 1_399_500,
      limitKind: 'events',
      limit: 10_000,
      current: 2_800,
    });
    expect(report.etaMs).toBeCloseTo(1_399_500 + HOUR, 3);
    expect(report.detail).toBe('order-17 has 2,800 of 10,000 events, 2 events/s: the limit is reached in about 60 min');
    // Past the limit: still the one report, and the forecast says the limit is reached now.
    feed('order-17', 5_001, 10_100, 2_500_000, 500);
    expect(reports).toHaveLength(1);
    const f = forecaster.forecast('order-17')!;
    expect(f.eventsLeft).toBe(0);
    expect(f.etaMs).toBe(2_500_000 + 5_099 * 500);
  });

  it('forecasts nothing before minEvents observations', () => {
    const { reports, forecaster, feed } = setup({ limit: { events: 1_000 }, minEvents: 5 });
    // Attached mid-history at seq 990: 10 events from the limit, 1 event/s.
    feed('late', 990, 993, 0, SECOND);
    const f = forecaster.forecast('late')!;
    expect(f).toMatchObject({ observed: 4, events: 993, eventsLeft: 7, eventsEtaMs: null, etaMs: null, limitKind: null });
    expect(f.ratePerSecond).toBeCloseTo(1, 9);
    expect(reports).toEqual([]);
    feed('late', 994, 994, 4 * SECOND, SECOND);
    expect(reports.map((r) => r.seq)).toEqual([994]);
    expect(reports[0]!.detail).toBe('late has 994 of 1,000 events, 1 events/s: the limit is reached in about 6 s');
    // No WorkflowStarted seen and no type given: the type is left empty.
    expect(reports[0]!.workflowType).toBe('');
  });

  it('forecasts and reports a bytes limit', () => {
    // 100 bytes per event, 1 event/s: 100 bytes/s. The events limit is far behind.
    const { reports, forecaster, feed } = setup({ limit: { events: 10_000, bytes: 100_000 }, horizonMs: 10 * MINUTE + 500 });
    const raised = feed('big', 1, 500, 0, SECOND, 100);
    // 10 minutes at 100 bytes/s is 60,000 bytes: reported at 40,000 bytes, seq 400.
    expect(raised.map((r) => r.seq)).toEqual([400]);
    expect(reports[0]).toMatchObject({ id: 'big:history-limit:bytes', limitKind: 'bytes', limit: 100_000, current: 40_000 });
    expect(reports[0]!.detail).toBe('big has 40,000 of 100,000 bytes, 100 bytes/s: the limit is reached in about 10 min');
    const f = forecaster.forecast('big')!;
    expect(f.bytes).toBe(50_000);
    expect(f.bytesPerSecond).toBeCloseTo(100, 6);
    expect(f.bytesLeft).toBe(50_000);
    expect(f.bytesEtaMs).toBeCloseTo(499 * SECOND + 500 * SECOND, 3);
    expect(f.eventsEtaMs).toBeCloseTo(499 * SECOND + 9_500 * SECOND, 3);
    expect(f).toMatchObject({ limitKind: 'bytes', etaMs: f.bytesEtaMs });
  });

  it('estimates bytes as the UTF-8 length of the payload JSON when no size is given', () => {
    const { forecaster } = setup({ limit: { bytes: 1_000_000 } });
    forecaster.observe(signal('utf8', 1, 0, 'é'));
    forecaster.observe(signal('utf8', 2, 0, '☃'));
    const expected = (text: string) => new TextEncoder().encode(JSON.stringify({ name: 'tick', payload: text })).length;
    expect(forecaster.forecast('utf8')!.bytes).toBe(expected('é') + expected('☃'));
  });

  it('keeps the rate calm under a burst and lets a quiet instance slow down', () => {
    const { clock, forecaster, feed } = setup({ limit: { events: 100_000 }, rateHalfLifeMs: 10 * MINUTE });
    feed('bursty', 1, 600, 0, SECOND);
    const before = forecaster.forecast('bursty')!;
    expect(before.ratePerSecond).toBeCloseTo(1, 9);
    // 50 events at one instant (a gap-based EWMA would read an infinite rate here).
    feed('bursty', 601, 650, 599 * SECOND, 0);
    const after = forecaster.forecast('bursty')!;
    expect(after.ratePerSecond).toBeGreaterThan(1);
    expect(after.ratePerSecond).toBeLessThan(1.2);
    const now = clock.now();
    expect((after.etaMs! - now) / (before.etaMs! - now)).toBeGreaterThan(0.8);
    // Back to 1 event/s for 3 hours (18 half-lives): the burst is forgotten.
    feed('bursty', 651, 651 + 3 * 3_600, 600 * SECOND, SECOND);
    expect(forecaster.forecast('bursty')!.ratePerSecond).toBeCloseTo(1, 4);
    // Quiet for an hour: the rate decays and the eta moves out.
    const busy = forecaster.forecast('bursty')!;
    clock.advanceBy(HOUR);
    const quiet = forecaster.forecast('bursty')!;
    expect(quiet.ratePerSecond).toBeLessThan(0.1);
    expect(quiet.etaMs!).toBeGreaterThan(busy.etaMs! + HOUR);
  });

  it('ignores duplicates and replays of seqs already seen', () => {
    const { forecaster, feed } = setup({ limit: { events: 1_000 } });
    feed('dup', 1, 10, 0, SECOND);
    const f = forecaster.forecast('dup')!;
    expect(forecaster.observe(signal('dup', 10, 9 * SECOND))).toEqual([]);
    expect(forecaster.observe(signal('dup', 3, 9 * SECOND))).toEqual([]);
    expect(forecaster.forecast('dup')).toEqual(f);
  });

  it('forgets an instance at its terminal event and on forget()', () => {
    const { forecaster, feed } = setup({ limit: { events: 1_000 } });
    feed('done', 1, 5, 0, SECOND);
    feed('failed', 1, 5, 0, SECOND);
    feed('dropped', 1, 5, 0, SECOND);
    expect(forecaster.size).toBe(3);
    forecaster.observe({
      workflowId: 'done',
      seq: 6,
      pos: ++pos,
      type: 'WorkflowCompleted',
      time: 5 * SECOND,
      payload: { result: 1 },
    });
    forecaster.observe({
      workflowId: 'failed',
      seq: 6,
      pos: ++pos,
      type: 'WorkflowFailed',
      time: 5 * SECOND,
      payload: { reason: 'x' },
    });
    expect(forecaster.forecast('done')).toBeUndefined();
    expect(forecaster.forecast('failed')).toBeUndefined();
    expect(forecaster.forget('dropped')).toBe(true);
    expect(forecaster.forget('dropped')).toBe(false);
    expect(forecaster.forecast('dropped')).toBeUndefined();
    expect(forecaster.size).toBe(0);
  });

  it('hands delivery errors to onError and never throws them at the observer', async () => {
    const errors: unknown[] = [];
    const sink: AnomalySink = { write: () => Promise.reject(new Error('disk full')) };
    const clock = new VirtualClock(0);
    const forecaster = new HistoryForecaster({
      clock,
      limit: { events: 10 },
      sink,
      onReport: () => {
        throw new Error('callback broke');
      },
      onError: (error) => errors.push(error),
    });
    for (let seq = 1; seq <= 5; seq++) expect(() => forecaster.observe(signal('x', seq, seq * SECOND))).not.toThrow();
    await Promise.resolve();
    expect(errors.map((e) => (e as Error).message)).toEqual(['callback broke', 'disk full']);
    expect(forecaster.deliveryErrors).toBe(2);
  });

  it('refuses bad options with a typed error', () => {
    const clock = new VirtualClock(0);
    const bad: [unknown, string][] = [
      [{ clock }, 'limit'],
      [{ clock, limit: {} }, 'limit'],
      [{ clock, limit: { events: 0 } }, 'limit.events'],
      [{ clock, limit: { events: 1.5 } }, 'limit.events'],
      [{ clock, limit: { bytes: -1 } }, 'limit.bytes'],
      [{ clock, limit: { events: 10 }, horizonMs: -1 }, 'horizonMs'],
      [{ clock, limit: { events: 10 }, horizonMs: Number.NaN }, 'horizonMs'],
      [{ clock, limit: { events: 10 }, minEvents: 0 }, 'minEvents'],
      [{ clock, limit: { events: 10 }, rateHalfLifeMs: 0 }, 'rateHalfLifeMs'],
      [{ limit: { events: 10 } }, 'clock'],
      [{ clock, limit: { events: 10 }, sink: {} }, 'sink'],
      [{ clock, limit: { events: 10 }, onError: 'log' }, 'onError'],
    ];
    for (const [options, option] of bad) {
      let thrown: unknown;
      try {
        new HistoryForecaster(options as HistoryForecasterOptions);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, option).toBeInstanceOf(HistoryForecastOptionsError);
      expect((thrown as HistoryForecastOptionsError).option).toBe(option);
      expect((thrown as HistoryForecastOptionsError).code).toBe('BAD_HISTORY_FORECAST_OPTIONS');
    }
  });

  it('raises a report that survives the JSON and FlatBuffers codecs', () => {
    const { reports, feed } = setup({ limit: { events: 1_000 } });
    feed('order-17', 1, 10, 0, SECOND);
    expect(reports).toHaveLength(1);
    // The codecs carry the AnomalyReport part; the forecast's extra numbers are for in-process callers.
    const { limitKind: _kind, limit: _limit, current: _current, perSecond: _rate, etaMs: _eta, ...base } = reports[0]!;
    expect(decodeReport(encodeReport(reports[0]!))).toEqual(base);
    expect(decodeAnomalyReport(encodeAnomalyReport(reports[0]!))).toEqual(base);
  });
});
