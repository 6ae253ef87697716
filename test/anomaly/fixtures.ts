/** Shared helpers of the anomaly tests: reports to write and temp dirs to write them in. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnomalyReport } from '../../ts/anomaly/report.js';

/** A valid report; `overrides` replaces any property. */
export function makeReport(overrides: Partial<AnomalyReport> = {}): AnomalyReport {
  return {
    id: 'a-1',
    workflowId: 'order-42',
    workflowType: 'order',
    seq: 17,
    deviation: 1005,
    threshold: 5,
    severity: 'critical',
    cause: 'unexpected-activity-result',
    detail: 'charge returned 98.5, the log holds 99.5',
    fields: [
      { name: 'total', primary: 99.5, mirror: 98.5, contribution: 10, share: 10 / 1005, reason: 'numeric' },
      { name: 'status', primary: 'paid', mirror: 'new', contribution: 995, share: 995 / 1005, reason: 'categorical' },
    ],
    detectedAt: 1_700_000_000_000,
    ...overrides,
  };
}

/** `n` distinct reports cycling through severities, causes and workflows. */
export function manyReports(n: number): AnomalyReport[] {
  const severities = ['info', 'warning', 'critical'] as const;
  const causes = ['non-determinism', 'lost-event', 'unknown'] as const;
  return Array.from({ length: n }, (_, i) =>
    makeReport({
      id: `r-${String(i).padStart(6, '0')}`,
      workflowId: `wf-${i % 7}`,
      seq: i + 1,
      deviation: 6 + i,
      severity: severities[i % 3]!,
      cause: causes[i % 3]!,
      detail: `report ${i} with "quotes", a\\backslash and unicode \u00e9\u2603`,
      detectedAt: 1_000 + i,
    }),
  );
}

/** A fresh temp directory and the function that removes it. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `wfmirror-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
