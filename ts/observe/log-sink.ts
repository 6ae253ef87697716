/** Anomaly reports as log records: `error` for critical, `warn` for warning, `info` for info. */
import type { AnomalyReport, Severity } from '../anomaly/report.js';
import { atLeast } from '../anomaly/severity.js';
import { type AnomalySink, resolveMinSeverity, type SeverityFilterOptions } from '../anomaly/sink.js';
import type { Logger } from './logger.js';

const LEVEL: Readonly<Record<Severity, 'info' | 'warn' | 'error'>> = { info: 'info', warning: 'warn', critical: 'error' };

/**
 * A sink logging each report of at least `minSeverity` (default `info`) as one record: the
 * message says what and where, the `anomaly` object carries the report's facts (fields by name
 * only: their values are in the report stores, and a log line should stay a line). Pretty
 * output shows the message alone.
 */
export function logSink(logger: Logger, options: SeverityFilterOptions = {}): AnomalySink {
  if (typeof logger?.info !== 'function') throw new TypeError('logSink(logger): logger must be a pino logger');
  const min = resolveMinSeverity(options, 'logSink.minSeverity');
  return {
    write(report: AnomalyReport): void {
      if (!atLeast(report.severity, min)) return;
      logger[LEVEL[report.severity]](
        {
          anomaly: {
            id: report.id,
            workflowId: report.workflowId,
            workflowType: report.workflowType,
            seq: report.seq,
            severity: report.severity,
            cause: report.cause,
            deviation: report.deviation,
            fields: report.fields.map((f) => f.name),
          },
        },
        `${report.severity} anomaly in ${report.workflowType} ${report.workflowId} at seq ${report.seq}: ${report.cause}: ${report.detail}`,
      );
    },
  };
}
