/** A sink that hands each report to a function: the simplest way to react to anomalies in-process. */
import type { AnomalyReport } from './report.js';
import { atLeast } from './severity.js';
import { type AnomalySink, resolveMinSeverity, type SeverityFilterOptions } from './sink.js';

/**
 * A sink calling `fn` with every report of at least `minSeverity`. Whatever `fn` throws or its
 * promise rejects with reaches the caller of `write` (an {@link AnomalyFanout} isolates it from
 * other sinks). Nothing is buffered, so there is no `flush` or `close`.
 */
export function callbackSink(
  fn: (report: AnomalyReport) => void | Promise<void>,
  options: SeverityFilterOptions = {},
): AnomalySink {
  if (typeof fn !== 'function') throw new TypeError('callbackSink(fn): fn must be a function');
  const min = resolveMinSeverity(options, 'callbackSink.minSeverity');
  return {
    write(report) {
      if (!atLeast(report.severity, min)) return;
      return fn(report);
    },
  };
}
