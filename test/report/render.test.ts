/**
 * The page: self-contained (nothing fetched, enforced by its own CSP), charts drawn as SVG marks
 * that carry their data, every visible count tagged with what it counts, the data embedded as
 * JSON, and user-supplied text (ids, details, values) escaped everywhere.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AnomalyReport } from '../../ts/anomaly/report.js';
import type { LoadedAnomalies } from '../../ts/report/load.js';
import { REPORT_DATA_ELEMENT_ID, renderReportHtml } from '../../ts/report/render.js';
import { buildReportData, type ReportData } from '../../ts/report/report-data.js';
import { makeReport, manyReports } from '../anomaly/fixtures.js';

function loaded(reports: AnomalyReport[]): LoadedAnomalies {
  return { kind: 'sqlite', path: '/runs/wfmirror.db', reports, duplicatesIgnored: 0, incompleteLastLine: false };
}

function embedded(html: string): Record<string, unknown> {
  const open = `<script type="application/json" id="${REPORT_DATA_ELEMENT_ID}">`;
  const start = html.indexOf(open);
  expect(start).toBeGreaterThan(0);
  const end = html.indexOf('</script>', start);
  return JSON.parse(html.slice(start + open.length, end)) as Record<string, unknown>;
}

/** Every start tag's attribute names, lower case (values skipped whole, quotes respected). */
function attributeNames(html: string): Set<string> {
  const names = new Set<string>();
  const tag = /<[a-zA-Z][\w:-]*/g;
  for (let m = tag.exec(html); m !== null; m = tag.exec(html)) {
    const attribute = /\s*([^\s=>/]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?/y;
    attribute.lastIndex = tag.lastIndex;
    for (let a = attribute.exec(html); a !== null; a = attribute.exec(html)) names.add(a[1]!.toLowerCase());
  }
  return names;
}

const HOSTILE_ID = 'order-"7"</script><img src=x onerror=alert(1)>';

function sample(): { data: ReportData; reports: AnomalyReport[] } {
  const reports = [
    ...manyReports(30),
    makeReport({
      id: 'hostile',
      workflowId: HOSTILE_ID,
      deviation: Number.POSITIVE_INFINITY,
      detail: '<b>bold</b> & "quoted" </script>',
      fields: [{ name: '<f>', primary: '<p>', mirror: null, contribution: 1e6, share: 1, reason: 'missing' }],
      detectedAt: 1_500,
    }),
  ];
  return { data: buildReportData(loaded(reports), [], { now: 1_800_000_000_000 }), reports };
}

describe('renderReportHtml', () => {
  it('references nothing outside the page, and says so to the browser in a Content-Security-Policy', () => {
    const { data } = sample();
    const html = renderReportHtml(data);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/url\(|@import|<link|<img|<iframe|<object|<embed/i);
    const attributes = attributeNames(html);
    expect(attributes).toContain('data-chart'); // the parser sees the attributes that are there
    for (const name of ['src', 'href', 'srcset', 'xlink:href', 'action', 'formaction', 'poster', 'background']) {
      expect(attributes.has(name), name).toBe(false);
    }
    expect(html).toContain(
      `content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'"`,
    );
    // The only script element of a static page is the data, which browsers do not run.
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it('escapes user text everywhere and embeds the data as JSON that reads back whole', () => {
    const { data } = sample();
    const html = renderReportHtml(data);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('order-&quot;7&quot;&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html.match(/<\/script>/g)).toHaveLength(1); // the data element's own end tag, nothing from the data
    const json = embedded(html);
    expect(json['counts']).toEqual(data.counts);
    expect(json['summary']).toMatchObject({ total: 31, maxDeviation: 'Infinity' });
    const top = json['top'] as { workflowId: string; maxDeviation: unknown }[];
    expect(top[0]).toMatchObject({ workflowId: HOSTILE_ID, maxDeviation: 'Infinity' });
  });

  it('tags each visible count with what it counts, equal to the data', () => {
    const { data } = sample();
    const html = renderReportHtml(data);
    const read = (attribute: string) => {
      const m = new RegExp(`${attribute}>([\\d,]+)<`).exec(html);
      expect(m, attribute).not.toBeNull();
      return Number(m![1]!.replace(/,/g, ''));
    };
    expect(read('data-count-total')).toBe(31);
    expect(read('data-count-instances')).toBe(data.summary.instances);
    for (const s of ['info', 'warning', 'critical'] as const)
      expect(read(`data-count-severity="${s}"`)).toBe(data.counts.bySeverity[s]);
    for (const [cause, n] of Object.entries(data.counts.byCause)) expect(read(`data-count-cause="${cause}"`)).toBe(n);
  });

  it('draws every point, heatmap cell and bar as a mark carrying its data, bars in proportion to their counts', () => {
    const { data } = sample();
    const html = renderReportHtml(data);
    const points = [...html.matchAll(/<circle class="mark point" cx="([\d.]+)" cy="([\d.]+)"[^>]*data-deviation="([^"]+)"/g)];
    expect(points).toHaveLength(data.series.series.reduce((n, s) => n + s.points.length, 0));
    for (const [, cx, cy] of points) {
      expect(Number(cx)).toBeGreaterThanOrEqual(64);
      expect(Number(cx)).toBeLessThanOrEqual(960 - 20);
      expect(Number(cy)).toBeGreaterThanOrEqual(16 - 0.01);
      expect(Number(cy)).toBeLessThanOrEqual(320 - 48);
    }
    // The infinite deviation sits at the top of the plot.
    const infinite = points.find((p) => p[3] === 'Infinity');
    expect(Number(infinite![2])).toBe(16);
    expect(html.match(/<rect class="mark cell"/g)).toHaveLength(data.heatmap.cells.length);
    const bars = [
      ...html.matchAll(/<rect class="mark bar"[^>]*width="([\d.]+)"[^>]*data-bar-cause="([^"]+)" data-value="(\d+)"/g),
    ];
    expect(bars.map((b) => b[2])).toEqual(Object.keys(data.counts.byCause));
    const max = Math.max(...bars.map((b) => Number(b[3])));
    for (const [, width, , value] of bars) expect(Number(width)).toBeCloseTo((Number(value) / max) * 204, 0);
  });

  it('says there is nothing to draw for an empty store instead of drawing empty charts', () => {
    const html = renderReportHtml(buildReportData(loaded([]), [], { now: 0 }));
    expect(html).toContain('No anomalies: nothing to draw.');
    expect(html).not.toContain('data-chart="deviation-over-time"');
    expect(html).not.toContain('data-chart="field-heatmap"');
    expect(html).toMatch(/data-count-total>0</);
  });

  it('adds the live script only when served, allowed by its hash and nothing else', () => {
    const { data } = sample();
    const html = renderReportHtml(data, { live: { version: 'v-123', intervalMs: 500 } });
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(script).toContain("fetch('./version'");
    expect(script).toContain('"v-123"');
    expect(script).toContain('500');
    const hash = createHash('sha256').update(script).digest('base64');
    expect(html).toContain(`script-src 'sha256-${hash}'; connect-src 'self'`);
    expect(html).toContain('class="live"');
  });
});
