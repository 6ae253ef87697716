/**
 * History forecast: from the rate at which each instance's history grows, forecasts when it will
 * reach a configured limit (events, bytes or both) and raises one `info` report ahead of time, so
 * an operator can act (continue the work in a new instance, raise the limit) before the log refuses
 * appends. Nothing here knows about engines: feed it applied events, e.g. from the mirror's
 * `onApplied` hook (`(instance, event) => forecaster.observe(event, undefined, instance.workflowType)`).
 *
 * The rate is an exponentially weighted one in clock time, not per event (see InstanceHistory),
 * and it is measured on the events' own `time` (the time the primary appended them), so a mirror
 * that catches up a backlog in one go sees the rate at which the history grew, not a burst.
 */
import type { AnomalyReport } from '../anomaly/report.js';
import type { AnomalySink } from '../anomaly/sink.js';
import type { Clock } from '../clock/clock.js';
import { type HistoryEvent, isClosingEvent } from '../history/events.js';
import { HistoryForecastOptionsError } from './errors.js';

/** What a limit counts. */
export type HistoryLimitKind = 'events' | 'bytes';

/** The history size an instance should not reach. At least one of the two. */
export interface HistoryLimit {
  /** Events in one instance's history (its last seq). */
  readonly events?: number;
  /** Bytes of one instance's history, as measured by what is passed to {@link HistoryForecaster.observe}. */
  readonly bytes?: number;
}

/** Options of {@link HistoryForecaster}. */
export interface HistoryForecasterOptions {
  readonly limit: HistoryLimit;
  /** A report is raised when the limit is forecast within this much clock time. Default 1 hour. */
  readonly horizonMs?: number;
  /** Events to observe per instance before forecasting anything. Default 5: a rate from one or two gaps says little. */
  readonly minEvents?: number;
  /**
   * Half-life of the rate's memory in clock time. Default 10 minutes: the rate follows a change
   * of pace within a few half-lives, while one burst of events moves it only by its share of the
   * events seen in about that much time.
   */
  readonly rateHalfLifeMs?: number;
  /** Where `now` comes from: the time a forecast is made and a report's `detectedAt`. */
  readonly clock: Clock;
  /** Called with each report raised. */
  readonly onReport?: (report: HistoryLimitReport) => void;
  /** Also gets each report raised. */
  readonly sink?: AnomalySink;
  /**
   * What `onReport` or the sink threw (or the sink's promise rejected with). Reports are raised
   * from inside `observe`, typically inside the mirror's apply loop, so delivery errors never
   * propagate; without `onError` they are only counted ({@link HistoryForecaster.deliveryErrors}).
   */
  readonly onError?: (error: unknown, report: HistoryLimitReport) => void;
}

/** Where one instance's history stands and when it is forecast to reach the limit. */
export interface HistoryForecast {
  readonly workflowId: string;
  /** From the `WorkflowStarted` event or `observe`'s argument; '' when neither was seen. */
  readonly workflowType: string;
  /** Events this forecaster observed for the instance (the forecast waits for `minEvents`). */
  readonly observed: number;
  /** The history's length: the last seq observed. */
  readonly events: number;
  /** The history's size in bytes; events before the first observed one count at the observed mean size. */
  readonly bytes: number;
  /** Events per second of clock time, now. */
  readonly ratePerSecond: number;
  readonly bytesPerSecond: number;
  /** Events until the events limit (0 once reached); null when no events limit is set. */
  readonly eventsLeft: number | null;
  /** Bytes until the bytes limit (0 once reached); null when no bytes limit is set. */
  readonly bytesLeft: number | null;
  /** Clock time at which each limit is reached; null without that limit, with a rate of 0, or before `minEvents`. */
  readonly eventsEtaMs: number | null;
  readonly bytesEtaMs: number | null;
  /** The earlier of the two etas (now when a limit is already reached); null when neither is known. */
  readonly etaMs: number | null;
  /** Which limit `etaMs` belongs to. */
  readonly limitKind: HistoryLimitKind | null;
}

/** The report raised ahead of a history limit: always `info`, no deviation, no fields. */
export interface HistoryLimitReport extends AnomalyReport {
  readonly cause: 'history-limit';
  readonly severity: 'info';
  readonly limitKind: HistoryLimitKind;
  readonly limit: number;
  /** Events or bytes at the time of the report. */
  readonly current: number;
  /** Events or bytes per second at the time of the report. */
  readonly perSecond: number;
  /** Clock time at which the limit is forecast to be reached. */
  readonly etaMs: number;
}

const DEFAULT_HORIZON_MS = 60 * 60 * 1000;
const DEFAULT_MIN_EVENTS = 5;
const DEFAULT_HALF_LIFE_MS = 10 * 60 * 1000;
const REPORTED_EVENTS = 1;
const REPORTED_BYTES = 2;
const NO_REPORTS: readonly HistoryLimitReport[] = Object.freeze([]);

/**
 * What is kept per instance: a fixed handful of numbers, whatever the history's length.
 *
 * The rates are exponentially weighted averages in clock time: the decayed amount (events or
 * bytes) that arrived, divided by the decayed time it arrived in. Each event's amount is spread
 * over the gap since the previous event (the first event observed only starts the clock), so for a
 * steady pace the estimate is exactly that pace, and the weight of older gaps halves every
 * half-life. Why not an EWMA of the gaps between events (weighted per event): a burst of N events
 * at one instant is N gaps of 0, which drags the mean gap to almost nothing and the rate towards
 * infinity. Here the same burst adds N to the decayed amount and no time, so it moves the rate by
 * N against the events of the last half-life or so. And an instance that stops growing (waiting on
 * a long timer) sees its rate decay as time passes without events, instead of keeping its last
 * pace forever. All three sums are kept as of `lastTime`.
 */
class InstanceHistory {
  observed = 1;
  /** Decayed events that arrived by lastTime. */
  eventsMass = 0;
  /** Decayed bytes that arrived by lastTime. */
  bytesMass = 0;
  /** Decayed time over which they arrived (the rates' common denominator). */
  decayedTime = 0;
  /** Bit set of REPORTED_EVENTS / REPORTED_BYTES. */
  reported = 0;

  constructor(
    public workflowType: string,
    public lastSeq: number,
    public lastTime: number,
    public observedBytes: number,
  ) {}

  /** Bytes of the whole history: events never observed (before the first one, or in a gap) count at the observed mean. */
  bytes(): number {
    return this.observedBytes + (this.lastSeq - this.observed) * (this.observedBytes / this.observed);
  }
}

/**
 * Forecasts, per instance, when its history reaches the configured limit, and raises one `info`
 * report ({@link HistoryLimitReport}, cause `history-limit`) when that is within `horizonMs`.
 *
 * Each limit is reported at most once per instance, and never again for it even if a slower pace
 * later moves the forecast beyond the horizon and back: a history only grows, so the first warning
 * stays true and repeating it would be noise. An instance is forgotten (and its memory freed) at
 * its `WorkflowCompleted` / `WorkflowFailed` event or by {@link HistoryForecaster.forget}; if it is observed again
 * after `forget`, it starts over and may be reported again (with the same report id).
 */
export class HistoryForecaster {
  private failedDeliveries = 0;
  private readonly instances = new Map<string, InstanceHistory>();
  private readonly eventsLimit: number | undefined;
  private readonly bytesLimit: number | undefined;
  private readonly horizonMs: number;
  private readonly minEvents: number;
  private readonly tau: number;
  /** REPORTED_* bits of the limits configured: an instance with all of them reported needs no more forecasts. */
  private readonly limitsSet: number;

  /** @throws HistoryForecastOptionsError for a missing or non-positive limit, a negative horizon, a bad minEvents, half-life or clock */
  constructor(private readonly options: HistoryForecasterOptions) {
    const limit: unknown = options?.limit;
    if (typeof limit !== 'object' || limit === null) throw new HistoryForecastOptionsError('limit', 'must be an object');
    const { events, bytes } = limit as HistoryLimit;
    if (events === undefined && bytes === undefined)
      throw new HistoryForecastOptionsError('limit', 'needs events, bytes or both');
    if (events !== undefined) positiveInteger(events, 'limit.events');
    if (bytes !== undefined) positiveInteger(bytes, 'limit.bytes');
    const horizonMs = options.horizonMs ?? DEFAULT_HORIZON_MS;
    if (typeof horizonMs !== 'number' || !(horizonMs >= 0) || horizonMs === Number.POSITIVE_INFINITY) {
      throw new HistoryForecastOptionsError('horizonMs', `must be a finite number >= 0, got ${String(horizonMs)}`);
    }
    const minEvents = options.minEvents ?? DEFAULT_MIN_EVENTS;
    positiveInteger(minEvents, 'minEvents');
    const halfLife = options.rateHalfLifeMs ?? DEFAULT_HALF_LIFE_MS;
    if (typeof halfLife !== 'number' || !(halfLife > 0) || halfLife === Number.POSITIVE_INFINITY) {
      throw new HistoryForecastOptionsError('rateHalfLifeMs', `must be a finite number > 0, got ${String(halfLife)}`);
    }
    if (typeof options.clock?.now !== 'function') throw new HistoryForecastOptionsError('clock', 'must be a Clock');
    if (options.onReport !== undefined && typeof options.onReport !== 'function') {
      throw new HistoryForecastOptionsError('onReport', 'must be a function');
    }
    if (options.sink !== undefined && typeof options.sink?.write !== 'function') {
      throw new HistoryForecastOptionsError('sink', 'must be an AnomalySink');
    }
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw new HistoryForecastOptionsError('onError', 'must be a function');
    }
    this.eventsLimit = events;
    this.bytesLimit = bytes;
    this.horizonMs = horizonMs;
    this.minEvents = minEvents;
    this.tau = halfLife / Math.LN2;
    this.limitsSet = (events === undefined ? 0 : REPORTED_EVENTS) | (bytes === undefined ? 0 : REPORTED_BYTES);
  }

  /** Reports that `onReport` or the sink failed to take. */
  get deliveryErrors(): number {
    return this.failedDeliveries;
  }

  /** Instances tracked now. */
  get size(): number {
    return this.instances.size;
  }

  /**
   * Takes one applied event of an instance and returns the reports it raised (usually none).
   * Events at or below the last seq seen for the instance (duplicates, a replay) are ignored.
   *
   * @param encodedBytes the event's stored size, e.g. `encodeEvent(event).byteLength` (what the
   *   SQLite log keeps per event). When left out it is estimated as the UTF-8 length of the
   *   payload's JSON: the part of an event that varies, without the few fixed-size fields around it.
   * @param workflowType names the instance's type in reports; otherwise taken from `WorkflowStarted`.
   */
  observe(event: HistoryEvent, encodedBytes?: number, workflowType?: string): readonly HistoryLimitReport[] {
    // After a closing event the history grows no more, so the instance is forgotten.
    if (isClosingEvent(event.type)) {
      this.instances.delete(event.workflowId);
      return NO_REPORTS;
    }
    if (encodedBytes !== undefined && !(encodedBytes >= 0 && Number.isFinite(encodedBytes))) {
      throw new TypeError(`observe: encodedBytes must be a finite number >= 0, got ${String(encodedBytes)}`);
    }
    const bytes = encodedBytes ?? utf8Length(JSON.stringify(event.payload));
    const type = workflowType ?? (event.type === 'WorkflowStarted' ? event.payload.workflowType : undefined);
    const h = this.instances.get(event.workflowId);
    if (h === undefined) {
      // The first event observed only starts the rates' clock: the time before it is unknown.
      this.instances.set(event.workflowId, new InstanceHistory(type ?? '', event.seq, event.time, bytes));
      return this.minEvents <= 1 ? this.check(event.workflowId, event.seq) : NO_REPORTS;
    }
    if (event.seq <= h.lastSeq) return NO_REPORTS;
    if (h.workflowType === '' && type !== undefined) h.workflowType = type;
    const grown = event.seq - h.lastSeq;
    const grownBytes = bytes + (grown - 1) * (h.observedBytes / h.observed);
    // An event stamped before the previous one (two primaries' clocks) counts as arriving with it.
    const dt = Math.max(0, event.time - h.lastTime);
    const decay = Math.exp(-dt / this.tau);
    const decayedGap = -Math.expm1(-dt / this.tau) * this.tau;
    // The amount spread evenly over the gap, decayed to its end; a gap of 0 is the limit, 1.
    const spread = dt > 0 ? decayedGap / dt : 1;
    h.eventsMass = h.eventsMass * decay + grown * spread;
    h.bytesMass = h.bytesMass * decay + grownBytes * spread;
    h.decayedTime = h.decayedTime * decay + decayedGap;
    h.lastSeq = event.seq;
    h.lastTime = Math.max(h.lastTime, event.time);
    h.observed++;
    h.observedBytes += bytes;
    return h.observed >= this.minEvents ? this.check(event.workflowId, event.seq) : NO_REPORTS;
  }

  /** The forecast for an instance now, or undefined for one not tracked. */
  forecast(workflowId: string): HistoryForecast | undefined {
    const h = this.instances.get(workflowId);
    if (h === undefined) return undefined;
    const now = this.options.clock.now();
    // The rates decay over the time since the last event too: a quiet instance is growing slower.
    const quiet = Math.max(0, now - h.lastTime);
    const decay = Math.exp(-quiet / this.tau);
    const time = h.decayedTime * decay - Math.expm1(-quiet / this.tau) * this.tau;
    const eventsPerMs = time > 0 ? (h.eventsMass * decay) / time : 0;
    const bytesPerMs = time > 0 ? (h.bytesMass * decay) / time : 0;
    const bytes = h.bytes();
    const ready = h.observed >= this.minEvents;
    const eventsLeft = this.eventsLimit === undefined ? null : Math.max(0, this.eventsLimit - h.lastSeq);
    const bytesLeft = this.bytesLimit === undefined ? null : Math.max(0, this.bytesLimit - bytes);
    const eventsEtaMs = ready ? eta(now, eventsLeft, eventsPerMs) : null;
    const bytesEtaMs = ready ? eta(now, bytesLeft, bytesPerMs) : null;
    const bytesFirst = bytesEtaMs !== null && (eventsEtaMs === null || bytesEtaMs < eventsEtaMs);
    return {
      workflowId,
      workflowType: h.workflowType,
      observed: h.observed,
      events: h.lastSeq,
      bytes,
      ratePerSecond: eventsPerMs * 1000,
      bytesPerSecond: bytesPerMs * 1000,
      eventsLeft,
      bytesLeft,
      eventsEtaMs,
      bytesEtaMs,
      etaMs: bytesFirst ? bytesEtaMs : eventsEtaMs,
      limitKind: bytesFirst ? 'bytes' : eventsEtaMs !== null ? 'events' : null,
    };
  }

  /** Stops tracking an instance; true when it was tracked. */
  forget(workflowId: string): boolean {
    return this.instances.delete(workflowId);
  }

  /** Raises the reports due for an instance just observed at `seq`. */
  private check(workflowId: string, seq: number): readonly HistoryLimitReport[] {
    const h = this.instances.get(workflowId)!;
    // Every limit reported already: no forecast to make (this is the path of every later event).
    if (h.reported === this.limitsSet) return NO_REPORTS;
    const f = this.forecast(workflowId)!;
    const now = this.options.clock.now();
    const horizonEnd = now + this.horizonMs;
    const reports: HistoryLimitReport[] = [];
    if (f.eventsEtaMs !== null && f.eventsEtaMs <= horizonEnd && (h.reported & REPORTED_EVENTS) === 0) {
      h.reported |= REPORTED_EVENTS;
      reports.push(buildReport(f, seq, now, 'events', this.eventsLimit!, f.events, f.ratePerSecond, f.eventsEtaMs));
    }
    if (f.bytesEtaMs !== null && f.bytesEtaMs <= horizonEnd && (h.reported & REPORTED_BYTES) === 0) {
      h.reported |= REPORTED_BYTES;
      reports.push(buildReport(f, seq, now, 'bytes', this.bytesLimit!, f.bytes, f.bytesPerSecond, f.bytesEtaMs));
    }
    if (reports.length === 0) return NO_REPORTS;
    for (const report of reports) this.deliver(report);
    return reports;
  }

  private deliver(report: HistoryLimitReport): void {
    const failed = (error: unknown): void => {
      this.failedDeliveries++;
      this.options.onError?.(error, report);
    };
    try {
      this.options.onReport?.(report);
    } catch (error) {
      failed(error);
    }
    try {
      const written = this.options.sink?.write(report);
      if (written !== undefined) written.catch(failed);
    } catch (error) {
      failed(error);
    }
  }
}

/** When `left` is used up at `perMs`, from `now`; now when nothing is left, null without a limit or a pace. */
function eta(now: number, left: number | null, perMs: number): number | null {
  if (left === null) return null;
  if (left <= 0) return now;
  return perMs > 0 ? now + left / perMs : null;
}

function buildReport(
  f: HistoryForecast,
  seq: number,
  now: number,
  kind: HistoryLimitKind,
  limit: number,
  current: number,
  perSecond: number,
  etaMs: number,
): HistoryLimitReport {
  const has = `${f.workflowId} has ${count(current)} of ${count(limit)} ${kind}`;
  const detail =
    current >= limit
      ? `${has}: the limit is reached`
      : `${has}, ${rate(perSecond)} ${kind}/s: the limit is reached in about ${duration(etaMs - now)}`;
  return {
    id: `${f.workflowId}:history-limit:${kind}`,
    workflowId: f.workflowId,
    workflowType: f.workflowType,
    seq,
    deviation: 0,
    threshold: 0,
    severity: 'info',
    cause: 'history-limit',
    detail,
    fields: [],
    detectedAt: now,
    limitKind: kind,
    limit,
    current,
    perSecond,
    etaMs,
  };
}

/** 9200 -> "9,200" (always en-US, so reports read the same on every machine). */
function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Two significant digits: 1.94 -> "1.9", 1234 -> "1,200", 0.0213 -> "0.021". */
function rate(perSecond: number): string {
  return perSecond.toLocaleString('en-US', { maximumSignificantDigits: 2 });
}

/** A rough duration: "40 s", "7 min", "5 h", "3 d". */
function duration(ms: number): string {
  const s = ms / 1000;
  if (s < 1) return 'a second';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

function positiveInteger(value: unknown, option: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new HistoryForecastOptionsError(option, `must be a positive integer, got ${String(value)}`);
  }
}

/** UTF-8 length of a string without encoding it (a lone surrogate counts as the 3 bytes of U+FFFD). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
