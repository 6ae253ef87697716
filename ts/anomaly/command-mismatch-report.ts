/**
 * The report for a replay whose commands differ from the history's: non-determinism, or version
 * skew when the instance was started by other code. No state deviation is involved (deviation 0,
 * no fields); it is critical because the mirror can no longer vouch for the instance. One builder
 * for every place a mirror finds one (the in-process pair, a mirror node).
 */
import type { AnomalyReport } from './report.js';

/** What a mirror found (the engine's NonDeterminismFinding has these, and more). */
export interface CommandMismatch {
  readonly workflowId: string;
  readonly workflowType: string;
  readonly seq: number;
  readonly detail: string;
  /** The instance was started by code with another fingerprint than the mirror runs. */
  readonly versionSkew: boolean;
}

export function commandMismatchReport(found: CommandMismatch, threshold: number, detectedAt: number): AnomalyReport {
  const cause = found.versionSkew ? 'version-skew' : 'non-determinism';
  return {
    // Stable: the same finding raised again is the same anomaly.
    id: `${found.workflowId}:${found.seq}:${cause}`,
    workflowId: found.workflowId,
    workflowType: found.workflowType,
    seq: found.seq,
    deviation: 0,
    threshold,
    severity: 'critical',
    cause,
    detail: found.detail,
    fields: [],
    detectedAt,
  };
}
