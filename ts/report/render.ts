/**
 * The report as one self-contained HTML page: inline CSS, charts drawn here as inline SVG (the
 * page shows its data with scripts off), the aggregated data embedded as JSON in a
 * `<script type="application/json">`, and no reference to anything outside the page: no
 * stylesheet, font, image or script is fetched when it is viewed. The one script, present only
 * when the page is served live, polls the server's `version` endpoint and reloads on a change.
 *
 * Every number a person reads in the page carries a data attribute naming what it is
 * (`data-count-severity="critical"`, `data-count-cause="lost-event"`, `data-count-total`, ...), so a
 * test can read the page the way a person does and compare it with the store.
 */
import { createHash } from 'node:crypto';
import { ANOMALY_CAUSES, SEVERITIES } from '../anomaly/report.js';
import { renderBarChart } from './chart-bars.js';
import { renderHeatmap } from './chart-heatmap.js';
import { renderDeviationChart } from './chart-timeline.js';
import { escapeHtml, formatCount, formatNumber, formatShare, formatTime, formatValue, jsonForScript } from './format.js';
import { CAUSE_COLOR, SEVERITY_COLORS, seriesColor } from './palette.js';
import type { ReportData } from './report-data.js';
import { REPORT_CSS } from './styles.js';
import type { TopInstance } from './top.js';

/** Options of {@link renderReportHtml}. */
export interface RenderOptions {
  /** Served live: the page polls `./version` every `intervalMs` and reloads when it differs from `version`. */
  readonly live?: { readonly version: string; readonly intervalMs: number };
}

/** The id of the `<script type="application/json">` element that holds the {@link ReportData}. */
export const REPORT_DATA_ELEMENT_ID = 'wfmirror-report-data';

/** The whole page. */
export function renderReportHtml(data: ReportData, options: RenderOptions = {}): string {
  const { summary, counts } = data;
  const title = `wfmirror anomaly report: ${formatCount(summary.total)} anomal${summary.total === 1 ? 'y' : 'ies'}`;
  const script = options.live === undefined ? undefined : liveScript(options.live.version, options.live.intervalMs);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(script)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head><body>',
    header(data, options),
    '<main>',
    cards(data),
    timeline(data),
    '<div class="two">',
    `<section id="by-severity"><h2>By severity</h2>${renderBarChart(
      'count-by-severity',
      'data-bar-severity',
      [...SEVERITIES].reverse().map((s) => ({ key: s, label: s, value: counts.bySeverity[s], color: SEVERITY_COLORS[s] })),
    )}</section>`,
    `<section id="by-cause"><h2>By cause</h2>${renderBarChart(
      'count-by-cause',
      'data-bar-cause',
      ANOMALY_CAUSES.map((c) => ({ key: c, label: c, value: counts.byCause[c], color: CAUSE_COLOR })),
      'data-count-cause',
    )}</section>`,
    '</div>',
    heatmap(data),
    top(data),
    recovery(data),
    '</main>',
    `<footer>Built by <code>wfmirror report</code> at ${escapeHtml(formatTime(data.generatedAt))}. The aggregated data is embedded in this page as JSON (element <code>#${REPORT_DATA_ELEMENT_ID}</code>).</footer>`,
    `<script type="application/json" id="${REPORT_DATA_ELEMENT_ID}">${jsonForScript(data)}</script>`,
    script === undefined ? '' : `<script>${script}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

function header(data: ReportData, options: RenderOptions): string {
  const { summary, source } = data;
  const range =
    summary.firstDetectedAt === null || summary.lastDetectedAt === null
      ? 'no anomalies'
      : `detected ${escapeHtml(formatTime(summary.firstDetectedAt))} to ${escapeHtml(formatTime(summary.lastDetectedAt))}`;
  const kind = source.kind === 'sqlite' ? 'SQLite anomaly store' : 'JSONL report file';
  const live = options.live === undefined ? '' : '<span class="live" title="reloads when the store changes">live</span>';
  const types =
    summary.workflowTypes.length === 0 ? '' : ` · workflow types: ${summary.workflowTypes.map(escapeHtml).join(', ')}`;
  return `<header><h1>Anomaly report${live}</h1><p class="meta">${kind} <code>${escapeHtml(source.path)}</code> · ${range}${types}</p></header>`;
}

function cards(data: ReportData): string {
  const { summary, counts } = data;
  const card = (cls: string, label: string, attr: string, value: string) =>
    `<div class="card ${cls}"><span class="label">${label}</span><span class="value" ${attr}>${value}</span></div>`;
  return [
    '<section class="cards" id="summary">',
    card('total', 'anomalies', 'data-count-total', formatCount(counts.total)),
    card('', 'instances', 'data-count-instances', formatCount(summary.instances)),
    ...[...SEVERITIES].reverse().map((s) => card(`sev-${s}`, s, `data-count-severity="${s}"`, formatCount(counts.bySeverity[s]))),
    card(
      '',
      'largest deviation',
      `data-max-deviation="${summary.maxDeviation === null ? '' : String(summary.maxDeviation)}"`,
      summary.maxDeviation === null ? '-' : formatNumber(summary.maxDeviation),
    ),
    '</section>',
  ].join('');
}

function timeline(data: ReportData): string {
  const set = data.series;
  const per = set.by === 'shard' ? `per shard (${set.shards} shards, by hash of the workflow id)` : 'per instance';
  const legend = set.series
    .map(
      (s, i) =>
        `<li data-legend="${escapeHtml(s.key)}"><span class="swatch" style="background:${seriesColor(i, s.kind)}"></span>${escapeHtml(s.label)} <span class="n">${formatCount(s.anomalies)} report${s.anomalies === 1 ? '' : 's'}, max ${formatNumber(s.maxDeviation)}</span></li>`,
    )
    .join('');
  const notes: string[] = [];
  if (set.folded > 0) notes.push(`${formatCount(set.folded)} instances with smaller deviations are drawn together.`);
  if (set.bucketMs !== null) notes.push(`Points are the largest deviation per ${formatNumber(set.bucketMs / 1000)} s.`);
  notes.push('A report without a numeric difference (non-determinism, version skew found in commands) has deviation 0.');
  return `<section id="timeline"><h2>Deviation over time <small>${per}</small></h2>${renderDeviationChart(set)}<ul class="legend">${legend}</ul><p class="note">${notes.join(' ')}</p></section>`;
}

function heatmap(data: ReportData): string {
  const map = data.heatmap;
  const notes: string[] = [];
  if (map.omittedInstances > 0) notes.push(`${formatCount(map.omittedInstances)} more instances with affected fields not shown.`);
  if (map.omittedFields > 0) notes.push(`${formatCount(map.omittedFields)} more fields not shown.`);
  return `<section id="heatmap"><h2>Affected fields by instance <small>total contribution to the deviation</small></h2>${renderHeatmap(map)}${notes.length > 0 ? `<p class="note">${notes.join(' ')}</p>` : ''}</section>`;
}

function top(data: ReportData): string {
  if (data.top.length === 0)
    return '<section id="top"><h2>Top divergent instances</h2><p class="empty">No anomalies.</p></section>';
  const rows = data.top.map((t, i) => instanceRows(t, i + 1)).join('');
  return `<section id="top"><h2>Top divergent instances <small>largest deviation first; the worst report's fields one by one</small></h2><table><thead><tr><th class="num">#</th><th>instance</th><th>type</th><th class="num">reports</th><th class="num">max deviation</th><th>severity</th><th>causes</th><th>first detected</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function instanceRows(t: TopInstance, rank: number): string {
  const id = escapeHtml(t.workflowId);
  const head = `<tr class="instance" data-top-instance="${id}" data-rank="${rank}"><td class="num">${rank}</td><td class="mono">${id}</td><td>${escapeHtml(t.workflowType)}</td><td class="num" data-anomalies="${t.anomalies}">${formatCount(t.anomalies)}</td><td class="num" data-max-deviation="${String(t.maxDeviation)}">${formatNumber(t.maxDeviation)}</td><td><span class="sev ${t.severity}">${t.severity}</span></td><td>${t.causes.map(escapeHtml).join(', ')}</td><td class="time">${escapeHtml(formatTime(t.firstDetectedAt))}</td></tr>`;
  const w = t.worst;
  const fields =
    w.fields.length === 0
      ? `<p class="detail">The worst report (seq ${w.seq}, ${escapeHtml(w.cause)}) names no affected fields.</p>`
      : `<table class="inner" data-fields-of="${id}"><thead><tr><th>field</th><th class="num">primary</th><th class="num">mirror</th><th class="num">contribution</th><th class="num">share</th><th>reason</th></tr></thead><tbody>${w.fields
          .map(
            (f) =>
              `<tr data-field="${escapeHtml(f.name)}"><td class="mono">${escapeHtml(f.name)}</td><td class="num" data-primary>${escapeHtml(formatValue(f.primary))}</td><td class="num" data-mirror>${escapeHtml(formatValue(f.mirror))}</td><td class="num" data-contribution="${String(f.contribution)}">${formatNumber(f.contribution)}</td><td class="num">${formatShare(f.share)}</td><td>${f.reason}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const reports = `<details><summary>${formatCount(t.anomalies)} report${t.anomalies === 1 ? '' : 's'} of this instance</summary><table class="inner"><thead><tr><th>detected</th><th class="num">seq</th><th>cause</th><th>severity</th><th class="num">deviation</th><th>detail</th></tr></thead><tbody>${t.reports
    .map(
      (r) =>
        `<tr data-report-id="${escapeHtml(r.id)}"><td class="time">${escapeHtml(formatTime(r.detectedAt))}</td><td class="num">${r.seq}</td><td>${escapeHtml(r.cause)}</td><td><span class="sev ${r.severity}">${r.severity}</span></td><td class="num">${formatNumber(r.deviation)}</td><td class="detail">${escapeHtml(r.detail)}</td></tr>`,
    )
    .join(
      '',
    )}</tbody></table>${t.omittedReports > 0 ? `<p class="note">${formatCount(t.omittedReports)} later reports not listed.</p>` : ''}</details>`;
  const worst = `<p class="detail">Worst report: seq ${w.seq}, ${escapeHtml(w.cause)}, deviation ${formatNumber(w.deviation)} (threshold ${formatNumber(w.threshold)}). ${escapeHtml(w.detail)}</p>`;
  return `${head}<tr class="fields"><td></td><td colspan="7">${worst}${fields}${reports}</td></tr>`;
}

function recovery(data: ReportData): string {
  const { logs, events } = data.recovery;
  const source =
    'Read from the event logs\u2019 failover records (table <code>event_log_meta</code>): the epoch, which each promotion raises by one; the primary\u2019s last heartbeat; each mirror\u2019s last position report. The log keeps no time of a promotion, only that it came after the replaced primary\u2019s last heartbeat. Heartbeat and report times are wall-clock times; anomaly times above are the workflows\u2019 clock.';
  if (logs.length === 0) {
    return `<section id="recovery"><h2>Recovery events</h2><p class="empty">No event log read (none beside the input; name one with --log).</p><p class="note">${source}</p></section>`;
  }
  const logRows = logs
    .map(
      (l) =>
        `<tr data-log="${escapeHtml(l.path)}"><td class="mono">${escapeHtml(l.path)}</td><td class="num" data-epoch>${l.epoch}</td><td class="num">${formatCount(l.logPosition)}</td><td>${l.heartbeat === null ? '-' : `${escapeHtml(l.heartbeat.owner)} (epoch ${l.heartbeat.epoch}${l.heartbeat.replaced ? ', replaced' : ''})`}</td><td>${l.mirrors.length === 0 ? 'none reported' : l.mirrors.map((m) => `${escapeHtml(m.name)}: lag ${formatCount(m.lag)}`).join('<br>')}</td></tr>`,
    )
    .join('');
  const eventRows =
    events.length === 0
      ? '<tr><td colspan="4" class="empty">No failover records in these logs.</td></tr>'
      : events
          .map(
            (e) =>
              `<tr data-recovery-kind="${e.kind}"${e.epoch === null ? '' : ` data-epoch="${e.epoch}"`}><td class="time">${e.time !== null ? escapeHtml(formatTime(e.time)) : e.notBefore !== null ? `after ${escapeHtml(formatTime(e.notBefore))}` : 'time not recorded'}</td><td>${e.kind}</td><td class="detail">${escapeHtml(e.detail)}</td><td class="mono">${escapeHtml(baseName(e.log))}</td></tr>`,
          )
          .join('');
  return `<section id="recovery"><h2>Recovery events</h2><table><thead><tr><th>time</th><th>event</th><th>what</th><th>log</th></tr></thead><tbody>${eventRows}</tbody></table><h2 style="margin-top:14px">Event logs read</h2><table><thead><tr><th>log</th><th class="num">epoch</th><th class="num">last position</th><th>last heartbeat</th><th>mirrors</th></tr></thead><tbody>${logRows}</tbody></table><p class="note">${source}</p></section>`;
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/**
 * The page's Content-Security-Policy: the browser itself refuses any fetch but the live script's
 * poll of its own server, and runs no script but that one (allowed by its hash), so the page
 * stays self-contained even if a value in it were crafted to load something.
 */
export function contentSecurityPolicy(script: string | undefined): string {
  const scripts = script === undefined ? "'none'" : `'sha256-${createHash('sha256').update(script).digest('base64')}'`;
  const connect = script === undefined ? "'none'" : "'self'";
  return `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src ${scripts}; connect-src ${connect}; base-uri 'none'; form-action 'none'`;
}

/** The live page's one script: poll `./version`, reload when it changed. Relative URL: whatever host and port serve it. */
function liveScript(version: string, intervalMs: number): string {
  return `
(() => {
  const version = ${jsonForScript(version)};
  const check = () =>
    fetch('./version', { cache: 'no-store' })
      .then((r) => (r.ok ? r.text() : version))
      .then((v) => { if (v.trim() !== version) location.reload(); })
      .catch(() => {});
  setInterval(check, ${Math.max(100, Math.round(intervalMs))});
})();
`;
}
