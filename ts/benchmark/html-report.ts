/**
 * The bench report as one self-contained HTML page: the machine and plan, the chart (inline SVG),
 * the table, what was not measured and why, and the report's JSON in a data block. No script runs,
 * nothing is fetched: the page can be mailed, archived, or opened from a file on an air-gapped node.
 */
import { escapeHtml } from './escape-html.js';
import { describeMachine, describePlan } from './format-table.js';
import type { BenchmarkReport } from './report.js';
import { benchmarkChartSvg } from './svg-chart.js';
import { notMeasured, TABLE_HEADERS, TABLE_LEGEND, tableRows } from './table-rows.js';

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; margin-bottom: 0.2rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #ddd; }
td { text-align: right; font-variant-numeric: tabular-nums; }
td:first-child, th:first-child { text-align: left; }
tr.roofline td { color: #c0392b; }
tr.baseline td { color: #666; }
.legend { color: #555; font-size: 0.9em; }
figure { margin: 1rem 0; overflow-x: auto; }
`;

/** JSON safe inside a `<script>` data block: no `<` can close it. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/</g, '\\u003c');
}

/** The page. */
export function benchmarkHtml(report: BenchmarkReport): string {
  const columns = Object.keys(TABLE_HEADERS) as (keyof typeof TABLE_HEADERS)[];
  const rows = tableRows(report);
  const missing = notMeasured(report);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>wfmirror bench ${escapeHtml(report.date.slice(0, 10))}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<h1>wfmirror bench</h1>',
    `<p>${escapeHtml(report.date)}<br>${escapeHtml(describeMachine(report))}<br>${escapeHtml(describePlan(report))}</p>`,
    `<figure>${benchmarkChartSvg(report)}</figure>`,
    '<table>',
    `<thead><tr>${columns.map((c) => `<th>${escapeHtml(TABLE_HEADERS[c])}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr class="${r.kind}">${columns.map((c) => `<td>${escapeHtml(r[c])}</td>`).join('')}</tr>`),
    '</tbody>',
    '</table>',
    `<p class="legend">${TABLE_LEGEND.map(escapeHtml).join('<br>')}</p>`,
    ...(missing.length > 0
      ? [
          '<h2>Not measured</h2>',
          '<ul class="not-measured">',
          ...missing.map((m) => `<li><strong>${escapeHtml(m.name)}</strong>: ${escapeHtml(m.why)}</li>`),
          '</ul>',
        ]
      : []),
    `<script type="application/json" id="wfmirror-bench-data">${scriptSafeJson(report)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
