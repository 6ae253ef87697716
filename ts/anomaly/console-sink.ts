/** A sink printing one human-readable line per report: for development, demos and the CLI. */
import type { AffectedField, AnomalyReport } from './report.js';
import { atLeast } from './severity.js';
import { type AnomalySink, resolveMinSeverity, type SeverityFilterOptions } from './sink.js';

/** Anything with a `write(string)`: `process.stderr`, `process.stdout`, or a test's collector. */
export interface TextStream {
  write(text: string): unknown;
}

/** Options of {@link consoleSink}. */
export interface ConsoleSinkOptions extends SeverityFilterOptions {
  /** Where the lines go; default `process.stderr`, so reports never mix with a program's output. */
  readonly stream?: TextStream;
  /** How many affected fields to show, largest contribution first; default 3. */
  readonly maxFields?: number;
}

/**
 * A sink writing each report of at least `minSeverity` as one line, e.g.
 * `[anomaly] CRITICAL non-determinism order-42@17 (order) deviation=1005 threshold=5 fields: total 99.5 -> 98.5 (99%), status "paid" -> "new" (1%) | charge called twice`
 * where `a -> b` reads "primary -> mirror" and a missing value shows as `missing`.
 */
export function consoleSink(options: ConsoleSinkOptions = {}): AnomalySink {
  const min = resolveMinSeverity(options, 'consoleSink options.minSeverity');
  const maxFields = options.maxFields ?? 3;
  if (!Number.isInteger(maxFields) || maxFields < 0) {
    throw new TypeError(`consoleSink options.maxFields must be an integer >= 0 (got ${String(maxFields)})`);
  }
  // Resolved per write, not captured here, so a test that swaps process.stderr still sees the lines.
  const streamOf = (): TextStream => options.stream ?? process.stderr;
  return {
    write(report) {
      if (!atLeast(report.severity, min)) return;
      streamOf().write(`${formatReportLine(report, maxFields)}\n`);
    },
  };
}

/** The one-line rendering used by {@link consoleSink} (without the newline). */
export function formatReportLine(report: AnomalyReport, maxFields = 3): string {
  const parts = [
    '[anomaly]',
    report.severity.toUpperCase(),
    report.cause,
    `${report.workflowId}@${report.seq}`,
    `(${report.workflowType})`,
    `deviation=${formatNumber(report.deviation)}`,
    `threshold=${formatNumber(report.threshold)}`,
  ];
  let line = parts.join(' ');
  if (report.fields.length > 0 && maxFields > 0) {
    // Largest contributions first: those are the fields a reader should look at.
    const top = [...report.fields].sort((a, b) => b.contribution - a.contribution).slice(0, maxFields);
    const more = report.fields.length - top.length;
    line += ` fields: ${top.map(formatField).join(', ')}${more > 0 ? ` (+${more} more)` : ''}`;
  }
  // A detail with newlines would break the one-line-per-report promise.
  const detail = report.detail.replace(/\s*\n\s*/g, ' ').trim();
  if (detail !== '') line += ` | ${detail}`;
  return line;
}

function formatField(field: AffectedField): string {
  const share = Number.isFinite(field.share) ? ` (${Math.round(field.share * 100)}%)` : '';
  let primary = formatValue(field.primary, false);
  let mirror = formatValue(field.mirror, false);
  // Rounding can make different values look equal (1e12 vs 1e12 + 0.01): then print them in full.
  if (primary === mirror && field.primary !== field.mirror) {
    primary = formatValue(field.primary, true);
    mirror = formatValue(field.mirror, true);
  }
  return `${field.name} ${primary} -> ${mirror}${share}`;
}

function formatValue(value: AffectedField['primary'], full: boolean): string {
  if (value === null) return 'missing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return full ? String(value) : formatNumber(value);
  return String(value);
}

/** Integers as they are; other numbers with 6 significant digits, trailing zeros dropped. */
function formatNumber(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) return String(n);
  return String(Number(n.toPrecision(6)));
}
