/**
 * The Prometheus metrics of workflow-mirror, in one registry: the pair's counters (read at scrape
 * time), anomalies (through a sink), promotions (recorded by the failover path) and alert delivery.
 * Every name starts with `wfmirror_` and carries its unit (`_seconds`, `_events`, `_total`).
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { AnomalySink } from '../anomaly/sink.js';
import { type AlertStatsSource, alertMetrics } from './alert-metrics.js';
import { anomalyMetricsSink, DEFAULT_DEVIATION_BUCKETS } from './anomaly-metrics.js';
import { InvalidObserveOptionsError } from './errors.js';
import { type MetricsSource, PairMetrics, type PairTracking } from './pair-metrics.js';
import { DEFAULT_PROMOTION_BUCKETS, type PromotionRecorder, promotionMetrics } from './promotion-metrics.js';

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /**
   * Where the metrics are registered. Default: a registry of their own, so two pairs (or two
   * tests) in one process never collide on names; pass prom-client's global `register` to share it.
   */
  readonly registry?: Registry;
  /** Also collect prom-client's default process metrics (CPU, memory, event-loop lag, GC). Default false. */
  readonly processMetrics?: boolean;
  /** Buckets of `wfmirror_anomaly_deviation`. */
  readonly deviationBuckets?: readonly number[];
  /** Buckets of `wfmirror_promotion_duration_seconds`. */
  readonly promotionBuckets?: readonly number[];
}

/** What {@link createMetrics} returns. */
export interface WfmirrorMetrics extends PromotionRecorder {
  readonly registry: Registry;
  /** Counts each report by severity and cause and observes its deviation: put it in `anomalies.sinks`. */
  readonly sink: AnomalySink;
  /**
   * Reads a pair's counters (events, lag, comparisons, backend) at every scrape. One pair at a
   * time; stop the tracking before closing the pair.
   * @throws MetricsAlreadyTrackingError
   */
  track(pair: MetricsSource): PairTracking;
  /** Reads an alert sink's counters at every scrape (undefined: stop). */
  trackAlerts(sink: AlertStatsSource | undefined): void;
  /** The exposition text (Prometheus text format 0.0.4). */
  metrics(): Promise<string>;
  /** The content type of {@link metrics}'s text. */
  readonly contentType: string;
}

/** Creates the metrics; see {@link MetricsOptions}. @throws InvalidObserveOptionsError */
export function createMetrics(options: MetricsOptions = {}): WfmirrorMetrics {
  const registry = options.registry ?? new Registry();
  if (!(registry instanceof Registry))
    throw new InvalidObserveOptionsError('createMetrics.registry', 'must be a prom-client Registry');
  const deviationBuckets = checkBuckets(options.deviationBuckets, DEFAULT_DEVIATION_BUCKETS, 'createMetrics.deviationBuckets');
  const promotionBuckets = checkBuckets(options.promotionBuckets, DEFAULT_PROMOTION_BUCKETS, 'createMetrics.promotionBuckets');
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry, prefix: 'wfmirror_' });
  const pair = new PairMetrics(registry);
  const sink = anomalyMetricsSink(registry, deviationBuckets);
  const promotions = promotionMetrics(registry, promotionBuckets);
  const setAlertSource = alertMetrics(registry);
  return {
    registry,
    sink,
    track: (source) => pair.track(source),
    trackAlerts: setAlertSource,
    recordPromotion: promotions.recordPromotion,
    recordPromotionFailure: promotions.recordPromotionFailure,
    observePromotion: promotions.observePromotion,
    metrics: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

function checkBuckets(buckets: unknown, fallback: readonly number[], name: string): readonly number[] {
  if (buckets === undefined) return fallback;
  if (!Array.isArray(buckets) || buckets.length === 0)
    throw new InvalidObserveOptionsError(name, 'must be a non-empty array of numbers');
  for (let i = 0; i < buckets.length; i++) {
    const b: unknown = buckets[i];
    if (typeof b !== 'number' || !Number.isFinite(b))
      throw new InvalidObserveOptionsError(`${name}[${i}]`, `must be a finite number (got ${String(b)})`);
    if (i > 0 && b <= (buckets[i - 1] as number)) throw new InvalidObserveOptionsError(name, 'must be strictly increasing');
  }
  return buckets as number[];
}
