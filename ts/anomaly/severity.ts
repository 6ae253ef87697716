/**
 * Severity of an anomaly: deviation bands plus the two raises of DESIGN.md section 6 (a critical
 * field affected, or any field missing, is always `critical`).
 */
import { SEVERITIES, type Severity } from './report.js';

/**
 * Deviation thresholds of the severity bands: `deviation < warning` is `info`,
 * `warning <= deviation < critical` is `warning`, `deviation >= critical` is `critical`.
 * `Infinity` switches a band off (e.g. `critical: Infinity` leaves `critical` to the raises).
 */
export interface SeverityBands {
  readonly warning: number;
  readonly critical: number;
}

/** What else than the deviation decides a report's severity. */
export interface SeverityRaises {
  /** A field declared `critical: true` in the state schema is among the affected fields. */
  readonly criticalFieldAffected: boolean;
  /** A field is present on one side and missing on the other. */
  readonly missingField: boolean;
}

/** Rank of each severity; the order of {@link SEVERITIES}. */
const RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, critical: 2 };

/** True when `value` is one of {@link SEVERITIES}. */
export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && Object.hasOwn(RANK, value);
}

/**
 * The bands used when none are configured: warning at 10 x threshold, critical at 100 x threshold.
 * A threshold of 0 gives bands of 0, so every anomaly is `critical`: with no tolerance at all, any
 * difference is as bad as it gets.
 */
export function defaultBands(threshold: number, optionName = 'compare.threshold'): SeverityBands {
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0) {
    throw new TypeError(`${optionName} must be a finite number >= 0 (got ${String(threshold)})`);
  }
  return { warning: 10 * threshold, critical: 100 * threshold };
}

/**
 * Checks bands given by a user and returns them. `optionName` is the option's path in the
 * configuration, so the error says exactly which option is wrong.
 */
export function validateBands(bands: unknown, optionName = 'compare.severity'): SeverityBands {
  if (typeof bands !== 'object' || bands === null) {
    throw new TypeError(`${optionName} must be an object { warning, critical }`);
  }
  const { warning, critical } = bands as { warning?: unknown; critical?: unknown };
  checkBand(warning, `${optionName}.warning`);
  checkBand(critical, `${optionName}.critical`);
  if (critical < warning) {
    throw new TypeError(`${optionName}.critical must be >= ${optionName}.warning (got ${critical} < ${warning})`);
  }
  return { warning, critical };
}

function checkBand(value: unknown, name: string): asserts value is number {
  // Infinity is allowed on purpose (it disables the band); NaN is not, since every comparison
  // with NaN is false and the band would silently never apply.
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new TypeError(`${name} must be a number >= 0 (got ${String(value)})`);
  }
}

/**
 * The bands in force: the defaults for `threshold`, overridden by whatever `overrides` sets,
 * validated together (an override of `warning` alone must still be <= the default `critical`).
 */
export function resolveBands(
  threshold: number,
  overrides?: Partial<SeverityBands>,
  optionName = 'compare.severity',
): SeverityBands {
  const defaults = defaultBands(threshold);
  return validateBands(
    { warning: overrides?.warning ?? defaults.warning, critical: overrides?.critical ?? defaults.critical },
    optionName,
  );
}

/**
 * The severity of an anomaly of `deviation`. A NaN deviation is `critical`: it means the
 * comparison itself went wrong, and NaN would otherwise fall through every band to `info`.
 */
export function severityOf(deviation: number, bands: SeverityBands, raises: SeverityRaises): Severity {
  if (raises.criticalFieldAffected || raises.missingField || Number.isNaN(deviation)) return 'critical';
  if (deviation >= bands.critical) return 'critical';
  if (deviation >= bands.warning) return 'warning';
  return 'info';
}

/** Orders severities: negative when `a` is less severe than `b`, 0 when equal, positive when more. Fits `Array.sort`. */
export function compareSeverity(a: Severity, b: Severity): number {
  return RANK[a] - RANK[b];
}

/** True when `severity` is `min` or worse. */
export function atLeast(severity: Severity, min: Severity): boolean {
  return RANK[severity] >= RANK[min];
}

/** The severities that are `min` or worse, in increasing order (for `IN (...)` filters). */
export function severitiesAtLeast(min: Severity): Severity[] {
  return SEVERITIES.filter((s) => atLeast(s, min));
}
