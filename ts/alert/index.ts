/** The alert module: anomaly reports to Prometheus Alertmanager, durable, de-duplicated, retried. */
export { type AddOutcome, AlertOutbox, type OutboxCounts, type OutboxEntry } from './alert-outbox.js';
export {
  ALERT_NAME,
  type AlertmanagerAlert,
  type AlertShapeOptions,
  RESERVED_LABELS,
  toAlertmanagerAlert,
  validateAlertShape,
} from './alertmanager-alert.js';
export { AlertmanagerSink, type AlertmanagerSinkOptions, type AlertSinkError, type AlertSinkStats } from './alertmanager-sink.js';
export { type AlertRetryOptions, type AlertRetryPolicy, backoffDelay, parseRetryAfter, resolveRetry } from './backoff.js';
export {
  AlertDeliveryError,
  AlertRejectedError,
  AlertRetriesExhaustedError,
  CorruptAlertOutboxRowError,
  InvalidAlertOptionsError,
} from './errors.js';
