/**
 * An anomaly report as an alert of the Prometheus Alertmanager v2 API (`POST /api/v2/alerts`
 * takes an array of these). Labels identify the alert: Alertmanager merges alerts with equal
 * labels, so they hold only what names *this* anomaly (instance and cause), never a report id or
 * a time; everything else goes into annotations, whose values must be strings.
 */
import type { AffectedField, AnomalyReport } from '../anomaly/report.js';
import { InvalidAlertOptionsError } from './errors.js';

/** `postableAlert` of the Alertmanager v2 OpenAPI spec (the fields this sink sends). */
export interface AlertmanagerAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** RFC 3339 time the anomaly was detected. */
  readonly startsAt: string;
  readonly generatorURL?: string;
}

/** What every alert of this sink is called (the `alertname` label). */
export const ALERT_NAME = 'WorkflowMirrorAnomaly';

/** Labels the sink sets itself; static labels may not replace them. */
export const RESERVED_LABELS: readonly string[] = ['alertname', 'severity', 'cause', 'workflow_type', 'workflow_id'];

/** Prometheus label names: what Alertmanager accepts (it rejects the whole request otherwise). */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Options of {@link toAlertmanagerAlert}. */
export interface AlertShapeOptions {
  /** Labels added to every alert (e.g. `{ service: 'orders', env: 'prod' }`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Link back to where the anomaly can be seen (a dashboard); must be an absolute URL. */
  readonly generatorURL?: string;
}

/** Checks static labels and the generator URL; throws {@link InvalidAlertOptionsError}. */
export function validateAlertShape(options: AlertShapeOptions, optionPrefix: string): void {
  const labels: unknown = options.labels;
  if (labels !== undefined) {
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
      throw new InvalidAlertOptionsError(`${optionPrefix}labels`, 'must be an object of label name to string value');
    }
    for (const [name, value] of Object.entries(labels)) {
      if (!LABEL_NAME.test(name))
        throw new InvalidAlertOptionsError(`${optionPrefix}labels`, `has an invalid label name ${JSON.stringify(name)}`);
      if (RESERVED_LABELS.includes(name))
        throw new InvalidAlertOptionsError(`${optionPrefix}labels`, `may not set ${name}: the sink sets it per report`);
      if (typeof value !== 'string' || value === '') {
        throw new InvalidAlertOptionsError(`${optionPrefix}labels.${name}`, 'must be a non-empty string');
      }
    }
  }
  const url: unknown = options.generatorURL;
  if (url !== undefined && (typeof url !== 'string' || !URL.canParse(url))) {
    throw new InvalidAlertOptionsError(`${optionPrefix}generatorURL`, `must be an absolute URL (got ${String(url)})`);
  }
}

/** The alert for `report`; `options` must have passed {@link validateAlertShape}. */
export function toAlertmanagerAlert(report: AnomalyReport, options: AlertShapeOptions = {}): AlertmanagerAlert {
  const labels: Record<string, string> = {
    ...options.labels,
    alertname: ALERT_NAME,
    severity: report.severity,
    cause: report.cause,
    workflow_type: report.workflowType,
    workflow_id: report.workflowId,
  };
  const annotations: Record<string, string> = {
    summary: `${report.severity} anomaly in ${report.workflowType} ${report.workflowId}: ${report.cause}`,
    description: describe(report),
    deviation: String(report.deviation),
    threshold: String(report.threshold),
    seq: String(report.seq),
    report_id: report.id,
  };
  return {
    labels,
    annotations,
    startsAt: new Date(report.detectedAt).toISOString(),
    ...(options.generatorURL === undefined ? {} : { generatorURL: options.generatorURL }),
  };
}

/** The detail, then each affected field with both sides, largest share first (at most 10). */
function describe(report: AnomalyReport): string {
  const fields = [...report.fields].sort((a, b) => b.share - a.share);
  const lines = fields.slice(0, 10).map(describeField);
  if (fields.length > 10) lines.push(`... and ${fields.length - 10} more field(s)`);
  return [report.detail, ...lines].join('\n');
}

function describeField(f: AffectedField): string {
  return `${f.name}: primary ${String(f.primary)}, mirror ${String(f.mirror)} (${f.reason}, ${(f.share * 100).toFixed(1)}% of the deviation)`;
}
