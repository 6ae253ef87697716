/** The observability module: Prometheus metrics, their endpoint, structured logs. */
export { type AlertStatsSource, alertMetrics } from './alert-metrics.js';
export { anomalyMetricsSink, DEFAULT_DEVIATION_BUCKETS } from './anomaly-metrics.js';
export { InvalidObserveOptionsError, MetricsAlreadyTrackingError, MetricsServerError } from './errors.js';
export { logSink } from './log-sink.js';
export {
  componentLogger,
  createLogger,
  isLogLevel,
  LOG_LEVELS,
  type LogDestination,
  type Logger,
  type LoggerOptions,
} from './logger.js';
export { createMetrics, type MetricsOptions, type WfmirrorMetrics } from './metrics.js';
export { type MetricsServer, type MetricsText, type ServeMetricsOptions, serveMetrics } from './metrics-server.js';
export { type MetricsSource, PairMetrics, type PairTracking } from './pair-metrics.js';
export {
  DEFAULT_PROMOTION_BUCKETS,
  type PromotionMeasure,
  type PromotionRecorder,
  promotionMetrics,
} from './promotion-metrics.js';
