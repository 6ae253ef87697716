/** Renders the demo summary for people: aligned tables, thousands separators. */
import type { DemoSummary } from './demo.js';

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** A plain-text table with a header row and right-aligned numeric columns. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The summary as people read it. */
export function formatSummary(s: DemoSummary): string {
  const out: string[] = [];
  out.push('workflow-mirror demo');
  out.push('');
  out.push(
    table(
      ['run', 'value'],
      [
        ['instances', number.format(s.instances)],
        ['completed / failed', `${number.format(s.completed)} / ${number.format(s.failed)}`],
        ['events appended (durable)', number.format(s.events)],
        ['events replayed by mirror', number.format(s.mirrorEventsApplied)],
        ['wall time', `${decimal.format(s.wallSeconds)} s`],
        ['events/s (primary + mirror)', number.format(s.eventsPerSecond)],
        ['comparison backend', s.backend],
        ['comparison rounds', number.format(s.comparisons.rounds)],
        ['row comparisons', number.format(s.comparisons.rowComparisons)],
      ],
    ),
  );
  out.push('');
  const causes = Object.entries(s.anomalies.byCause);
  out.push(
    `anomalies: ${s.anomalies.total} (info ${s.anomalies.bySeverity.info}, warning ${s.anomalies.bySeverity.warning}, critical ${s.anomalies.bySeverity.critical})`,
  );
  if (causes.length > 0)
    out.push(
      table(
        ['cause', 'count'],
        causes.map(([cause, count]) => [cause, String(count)]),
      ),
    );
  if (s.faults.length > 0) {
    out.push('');
    out.push('injected faults');
    out.push(
      table(
        ['fault', 'instance', 'expected cause', 'detected'],
        s.faults.map((f) => [
          f.kind,
          f.workflowId,
          f.expectedCause,
          f.detected ? 'yes' : `NO (${f.reportedCauses.join(', ') || 'nothing'})`,
        ]),
      ),
    );
    const caught = s.faults.filter((f) => f.detected).length;
    out.push(`caught ${caught} of ${s.faults.length} injected faults; false alarms on clean instances: ${s.falseAlarms}`);
  }
  if (s.errors.length > 0) {
    out.push('');
    out.push('errors:');
    for (const e of s.errors) out.push(`  ${e}`);
  }
  out.push('');
  out.push(`history and anomaly store: ${s.database}`);
  out.push(`anomaly reports (JSONL):   ${s.reportFile}`);
  if (s.metricsUrl !== undefined) out.push(`metrics (during the run):  ${s.metricsUrl}`);
  if (s.alerts !== undefined) {
    const a = s.alerts;
    out.push(
      `alerts to ${a.url} (>= ${a.minSeverity}): delivered ${number.format(a.delivered)}, repeats folded ${number.format(a.deduplicated)}, pending ${number.format(a.pending)} (outbox ${a.outbox})`,
    );
  }
  return out.join('\n');
}
