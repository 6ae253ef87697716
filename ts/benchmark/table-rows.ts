/**
 * The rows of the bench table, shared by the text table and the HTML page: the rooflines, the
 * baseline, then each measured backend; and the list of what was not measured, with why.
 */
import { isGpuBackend } from '../hardware/profile-use.js';
import { formatGigabytes, formatMs, formatPercent, formatRate, formatSpeedup } from './format-numbers.js';
import { type BenchmarkReport, measuredBackends } from './report.js';

/** One row, every cell already formatted. */
export interface TableRow {
  readonly kind: 'roofline' | 'baseline' | 'backend';
  readonly name: string;
  readonly threads: string;
  readonly medianMs: string;
  readonly rowsPerSecond: string;
  readonly gigabytesPerSecond: string;
  readonly percentOfRoofline: string;
  readonly speedupOverBaseline: string;
  readonly samples: string;
}

export const TABLE_HEADERS: Readonly<Record<keyof Omit<TableRow, 'kind'>, string>> = {
  name: 'case',
  threads: 'threads',
  medianMs: 'median ms',
  rowsPerSecond: 'rows/s',
  gigabytesPerSecond: 'GB/s',
  percentOfRoofline: '% of roofline',
  speedupOverBaseline: 'x vs baseline',
  samples: 'samples',
};

/** What a reader needs to read the columns. */
export const TABLE_LEGEND = [
  'rows/s: instances compared per second (ops/s); GB/s: bytes of both matrices / median time;',
  '% of roofline: the plain sum over the same arrays on as many threads, this run / the case (above 100: the kernel skipped equal data);',
  "x vs baseline: the plain typed-array loop's median / the case's. Every case was checked against the js reference before it was timed.",
];

/** Table rows, in the order the table shows them. */
export function tableRows(report: BenchmarkReport): TableRow[] {
  const rows: TableRow[] = [];
  for (const r of report.roofline) {
    if (r.status !== 'measured') continue;
    rows.push({
      kind: 'roofline',
      name: 'roofline: plain sum',
      threads: String(r.threads),
      medianMs: formatMs(r.medianMs),
      rowsPerSecond: formatRate(r.rowsPerSecond),
      gigabytesPerSecond: formatGigabytes(r.gigabytesPerSecond),
      percentOfRoofline: '-',
      speedupOverBaseline: '-',
      samples: String(r.samples),
    });
  }
  const b = report.baseline;
  if (b.status === 'measured')
    rows.push({
      kind: 'baseline',
      name: `baseline: ${b.name}`,
      threads: String(b.threads),
      medianMs: formatMs(b.medianMs),
      rowsPerSecond: formatRate(b.rowsPerSecond),
      gigabytesPerSecond: formatGigabytes(b.gigabytesPerSecond),
      percentOfRoofline: formatPercent(b.percentOfRoofline),
      speedupOverBaseline: formatSpeedup(b.speedupOverBaseline),
      samples: String(b.samples),
    });
  for (const m of measuredBackends(report))
    rows.push({
      kind: 'backend',
      name: isGpuBackend(m.backend) ? `${m.backend} (gpu)` : m.backend,
      threads: String(m.threads),
      medianMs: formatMs(m.medianMs),
      rowsPerSecond: formatRate(m.rowsPerSecond),
      gigabytesPerSecond: formatGigabytes(m.gigabytesPerSecond),
      percentOfRoofline: formatPercent(m.percentOfRoofline),
      speedupOverBaseline: formatSpeedup(m.speedupOverBaseline),
      samples: String(m.samples),
    });
  return rows;
}

/** One line per case that was not measured: `name`, and why. */
export function notMeasured(report: BenchmarkReport): { name: string; why: string }[] {
  const lines: { name: string; why: string }[] = [];
  for (const r of report.roofline)
    if (r.status === 'failed') lines.push({ name: `roofline, ${r.threads} thread(s)`, why: `failed: ${r.reason}` });
  if (report.baseline.status === 'failed') lines.push({ name: report.baseline.name, why: `failed: ${report.baseline.reason}` });
  for (const e of report.backends) {
    if (e.status === 'unavailable') lines.push({ name: e.backend, why: `not available here: ${e.reason}` });
    if (e.status === 'failed') lines.push({ name: e.backend, why: `failed (${e.stage}): ${e.reason}` });
  }
  return lines;
}
