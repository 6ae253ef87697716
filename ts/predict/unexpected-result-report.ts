/**
 * Builds the `unexpected-activity-result` report of lead mode: the mirror's real vector after the
 * completion (the `primary` side of each field: what actually happened) against the vector its
 * speculative branch predicted (the `mirror` side).
 */

import type { AffectedField, AnomalyReport, FieldReason } from '../anomaly/report.js';
import { type SeverityBands, severityOf } from '../anomaly/severity.js';
import { fieldContribution } from '../compare/backends/js.js';
import type { ComparisonResult } from '../compare/comparator.js';
import type { Json } from '../history/events.js';
import type { StateLayout } from '../state/layout.js';
import type { OutlierField } from './learned-predictor.js';

/** Where a prediction came from. */
export type PredictionSource = 'definition' | 'learned';

/** An anomaly report of lead mode, with the activity and both results. */
export interface UnexpectedResultReport extends AnomalyReport {
  readonly cause: 'unexpected-activity-result';
  readonly activity: string;
  readonly scheduledSeq: number;
  /** The result the speculation ran with. */
  readonly predicted: unknown;
  /** The result the history recorded. */
  readonly actual: Json;
  readonly source: PredictionSource;
  /** For learned predictions: the result fields outside the learned spread. */
  readonly outliers: readonly OutlierField[];
}

/** What {@link buildUnexpectedResultReport} needs. */
export interface UnexpectedResultInput {
  readonly workflowId: string;
  readonly workflowType: string;
  readonly seq: number;
  readonly time: number;
  readonly activity: string;
  readonly scheduledSeq: number;
  readonly predicted: unknown;
  readonly actual: Json;
  readonly source: PredictionSource;
  readonly outliers: readonly OutlierField[];
  readonly actualVector: Float64Array;
  readonly predictedVector: Float64Array;
  /** The one-row comparison of actualVector (primary side) with predictedVector (mirror side). */
  readonly comparison: ComparisonResult;
  readonly threshold: number;
  readonly bands: SeverityBands;
  readonly missingWeight: number;
}

/** The report for one completion whose state deviates from its prediction past the threshold. */
export function buildUnexpectedResultReport(layout: StateLayout, input: UnexpectedResultInput): UnexpectedResultReport {
  const deviation = input.comparison.deviation[0]!;
  const mask = input.comparison.affected;
  const fields: AffectedField[] = [];
  let criticalFieldAffected = false;
  let missingField = false;
  for (let j = 0; j < layout.fieldCount; j++) {
    if ((mask[j >>> 5]! & (1 << (j & 31))) === 0) continue;
    const p = input.actualVector[j]!;
    const m = input.predictedVector[j]!;
    const categorical = layout.categorical[j] === 1;
    const contribution = fieldContribution(p, m, layout.weights[j]!, layout.tolerances[j]!, categorical, input.missingWeight);
    const reason: FieldReason = Number.isNaN(p) !== Number.isNaN(m) ? 'missing' : categorical ? 'categorical' : 'numeric';
    if (reason === 'missing') missingField = true;
    if (layout.critical[j] === 1) criticalFieldAffected = true;
    fields.push({
      name: layout.names[j]!,
      primary: layout.decodeField(j, p),
      mirror: layout.decodeField(j, m),
      contribution,
      share: deviation > 0 && Number.isFinite(deviation) ? contribution / deviation : 1,
      reason,
    });
  }
  fields.sort((a, b) => b.contribution - a.contribution);
  const spread =
    input.source === 'learned'
      ? `; outside the learned spread: ${input.outliers.map((o) => `${o.field} (${o.why})`).join(', ')}`
      : ' (predicted by the definition)';
  return {
    id: `${input.workflowId}:${input.seq}:unexpected-activity-result`,
    workflowId: input.workflowId,
    workflowType: input.workflowType,
    seq: input.seq,
    deviation,
    threshold: input.threshold,
    severity: severityOf(deviation, input.bands, { criticalFieldAffected, missingField }),
    cause: 'unexpected-activity-result',
    detail: `activity "${input.activity}" (scheduled at seq ${input.scheduledSeq}) returned ${show(input.actual)}, predicted ${show(input.predicted)}${spread}`,
    fields,
    detectedAt: input.time,
    activity: input.activity,
    scheduledSeq: input.scheduledSeq,
    predicted: input.predicted,
    actual: input.actual,
    source: input.source,
    outliers: input.outliers,
  };
}

function show(value: unknown): string {
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 200 ? `${text.slice(0, 200)}...` : text;
  } catch {
    return String(value);
  }
}
