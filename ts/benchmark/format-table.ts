/** The bench report as the text table `wfmirror bench` prints. */
import { formatCount } from './format-numbers.js';
import type { BenchmarkReport } from './report.js';
import { notMeasured, TABLE_HEADERS, TABLE_LEGEND, type TableRow, tableRows } from './table-rows.js';

/** The machine in one line. */
export function describeMachine(report: BenchmarkReport): string {
  const m = report.machine;
  const gpu = m.webgpu.available
    ? `WebGPU ${m.webgpu.adapter.description || m.webgpu.adapter.device || m.webgpu.adapter.vendor}${m.webgpu.adapter.software ? ' (software)' : ''}`
    : 'no WebGPU adapter';
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform} ${m.arch}, Node ${m.nodeVersion}, ${gpu}`;
}

/** The plan in one line. */
export function describePlan(report: BenchmarkReport): string {
  const p = report.plan;
  const mb = (p.bytesPerComparison / 1e6).toFixed(1);
  const share = `${+(p.differingRowShare * 100).toFixed(2)}% of rows differ`;
  return `${formatCount(p.rows)} rows x ${p.fieldCount} fields (${mb} MB read per comparison), ${share}; medians of at least ${p.minSamples} samples over ${formatCount(p.timeMs)} ms per case`;
}

const COLUMNS = Object.keys(TABLE_HEADERS) as (keyof typeof TABLE_HEADERS)[];

/** Text columns: the first left-aligned, numbers right-aligned. */
export function formatBenchmarkTable(report: BenchmarkReport): string {
  const rows = tableRows(report);
  const cells = (row: Omit<TableRow, 'kind'>) => COLUMNS.map((c) => row[c]);
  const widths = COLUMNS.map((c, i) => Math.max(TABLE_HEADERS[c].length, ...rows.map((r) => cells(r)[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const missing = notMeasured(report);
  return [
    `wfmirror bench ${report.date.slice(0, 10)}: ${describeMachine(report)}`,
    describePlan(report),
    '',
    line(cells(TABLE_HEADERS)),
    ...rows.map((r) => line(cells(r))),
    '',
    ...TABLE_LEGEND,
    ...(missing.length > 0 ? ['', 'not measured', ...missing.map((m) => `  ${m.name}: ${m.why}`)] : []),
  ].join('\n');
}
