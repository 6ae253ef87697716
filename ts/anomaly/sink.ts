/** Where anomaly reports go. */
import { type AnomalyReport, SEVERITIES, type Severity } from './report.js';
import { isSeverity } from './severity.js';

/**
 * A destination for anomaly reports. `write` may buffer; `flush` makes everything written so far
 * durable (or delivered); `close` flushes and releases resources, after which `write` throws.
 * Implementations: {@link callbackSink}, {@link consoleSink}, {@link JsonlFileSink},
 * {@link SqliteAnomalyStore}, and {@link AnomalyFanout} to send to several at once.
 */
export interface AnomalySink {
  /** Takes one report. A returned promise settles when the sink is done with it. */
  write(report: AnomalyReport): void | Promise<void>;
  /** Makes every report written so far durable / delivered. */
  flush?(): Promise<void>;
  /** Flushes, then releases what the sink holds. Calling it twice is harmless. */
  close?(): Promise<void>;
}

/** The option every built-in sink takes: reports below `minSeverity` are dropped. */
export interface SeverityFilterOptions {
  /** Least severity a report needs to be kept; default `info` (everything). */
  readonly minSeverity?: Severity;
}

/**
 * The `minSeverity` option checked (it may come from untyped configuration) and defaulted to
 * `info`; `optionName` names it in the error.
 */
export function resolveMinSeverity(options: SeverityFilterOptions | undefined, optionName: string): Severity {
  const min: unknown = options?.minSeverity ?? 'info';
  if (!isSeverity(min)) throw new TypeError(`${optionName} must be one of ${SEVERITIES.join(', ')} (got ${String(min)})`);
  return min;
}
