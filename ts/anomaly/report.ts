/** The shape of an anomaly report and the words used in it. */

/** How bad an anomaly is, in increasing order. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The probable causes the mirror can name. */
export const ANOMALY_CAUSES = [
  /** The primary's commands differ from what the mirror's replay of the same code issues. */
  'non-determinism',
  /** The primary applied an event more often than the log holds it. */
  'duplicated-event',
  /** The primary skipped an event the log holds. */
  'lost-event',
  /** Primary and mirror run different code (definition fingerprints differ). */
  'version-skew',
  /** The primary consumed an activity result other than the one recorded in the log. */
  'unexpected-activity-result',
  /** Same inputs, same code, different state: something wrote the state outside a handler. */
  'state-written-outside-handler',
  /** Nothing known explains it. */
  'unknown',
  /**
   * Not a disagreement: an instance's history is forecast to reach the configured size limit
   * (ts/predict/history-forecast.ts). Last, so the codes of the causes before it stay the same.
   */
  'history-limit',
] as const;
export type AnomalyCause = (typeof ANOMALY_CAUSES)[number];

/** Why a field counts as affected. */
export type FieldReason = 'numeric' | 'categorical' | 'missing';

/** One affected field in a report. */
export interface AffectedField {
  readonly name: string;
  /** Decoded primary value (number, boolean, enum string, or the string's hash when only the hash is known); null when missing. */
  readonly primary: number | boolean | string | null;
  readonly mirror: number | boolean | string | null;
  /** This field's contribution to the deviation. */
  readonly contribution: number;
  /** contribution / deviation, in [0, 1]. */
  readonly share: number;
  readonly reason: FieldReason;
}

/** What the mirror raises when primary and mirror disagree. */
export interface AnomalyReport {
  /** Stable id: the same anomaly found again gets the same id. */
  readonly id: string;
  readonly workflowId: string;
  readonly workflowType: string;
  /** The seq at which both sides were compared (or at which the mismatch was found). */
  readonly seq: number;
  readonly deviation: number;
  readonly threshold: number;
  readonly severity: Severity;
  readonly cause: AnomalyCause;
  /** A sentence that says what was seen, e.g. which event was applied twice. */
  readonly detail: string;
  readonly fields: readonly AffectedField[];
  /** Clock time (ms) of detection. */
  readonly detectedAt: number;
}
