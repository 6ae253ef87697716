/** The report page's stylesheet, inlined into the page (the page loads nothing). */
export const REPORT_CSS = `
:root { --ink: #1f2430; --muted: #5f6673; --line: #e3e6ec; --bg: #f6f7f9; --card: #fff; --accent: #3b5bdb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); }
header { padding: 20px 32px 12px; background: #1f2937; color: #f3f4f6; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 650; letter-spacing: .2px; }
header .meta { margin: 0; color: #c7ccd6; font-size: 13px; }
header code { color: #fff; }
.live { display: inline-block; margin-left: 8px; padding: 1px 8px; border-radius: 10px; background: #2f9e44; color: #fff; font-size: 12px; }
main { padding: 16px 32px 32px; max-width: 1120px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px 16px; margin: 0 0 16px; }
section h2 { margin: 0 0 10px; font-size: 16px; font-weight: 650; }
section h2 small { color: var(--muted); font-weight: 400; font-size: 13px; margin-left: 6px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; background: none; border: 0; padding: 0; }
.card { flex: 1 1 130px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; border-top: 4px solid #adb5bd; }
.card .label { display: block; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .5px; }
.card .value { display: block; font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card.total { border-top-color: var(--accent); }
.card.sev-critical { border-top-color: #d62728; } .card.sev-warning { border-top-color: #f28e2b; } .card.sev-info { border-top-color: #4e79a7; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; margin: 0 0 16px; }
.two > section { margin: 0; }
svg.chart { display: block; max-width: 100%; height: auto; font-size: 12px; fill: var(--ink); }
svg .grid { stroke: #eceef2; } svg .baseline { stroke: #9aa0a6; } svg .tick { stroke: #9aa0a6; }
svg .axis text { fill: var(--muted); } svg .axis .title { fill: var(--ink); font-size: 12px; }
svg .threshold { pointer-events: none; }
svg .threshold line { stroke: #d62728; stroke-dasharray: 6 4; stroke-width: 1.2; } svg .threshold text { fill: #d62728; font-size: 11px; }
svg .line { fill: none; stroke-width: 2; stroke-linejoin: round; opacity: .8; }
svg .point { stroke: #fff; stroke-width: 1.5; }
svg .row-bg { fill: #f8f9fb; } svg .row-label, svg .col-label { fill: var(--ink); font-size: 12px; }
svg .cell-label { fill: #5a2a1a; font-size: 11px; pointer-events: none; } svg .cell-label.dark { fill: #fff; }
svg .key text { fill: var(--muted); font-size: 11px; }
svg .bar-bg { fill: #f1f3f5; } svg .bar-label { fill: var(--ink); } svg .bar-value { fill: var(--muted); font-variant-numeric: tabular-nums; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 8px 0 0; padding: 0; list-style: none; font-size: 13px; }
.legend .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 50%; margin-right: 6px; vertical-align: -1px; }
.legend .n { color: var(--muted); }
.note { color: var(--muted); font-size: 12.5px; margin: 8px 0 0; }
.empty { color: var(--muted); font-style: italic; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .4px; }
td.num, th.num { text-align: right; }
td.time { white-space: nowrap; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.sev { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 12px; }
.sev.critical { background: #d62728; } .sev.warning { background: #f28e2b; } .sev.info { background: #4e79a7; }
tr.instance > td { border-bottom: 0; padding-top: 10px; font-weight: 500; }
tr.fields > td { padding: 0 8px 10px 28px; }
details summary { cursor: pointer; color: var(--muted); font-size: 12.5px; margin: 2px 0 4px; }
table.inner { width: auto; min-width: 60%; margin: 2px 0 6px; font-size: 13px; }
table.inner th, table.inner td { padding: 3px 10px; border-bottom: 1px solid #eef0f3; }
.detail { color: var(--muted); font-size: 12.5px; }
footer { color: var(--muted); font-size: 12px; padding: 0 32px 24px; }
@media (max-width: 900px) { .two { grid-template-columns: 1fr; } }
`;
