/**
 * End to end: a demo run (faults injected, then the failover) into a temp folder, its report
 * built, and the page opened in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core; nothing is downloaded). The browser must draw every chart with data, show the
 * store's numbers, fetch nothing but the page, and, served live, reload when the store changes.
 * A screenshot goes to test-output/report.png (git-ignored); with WFMIRROR_UPDATE_SCREENSHOT=1
 * also to docs/images/report.png, the README's picture.
 *
 * Without /usr/bin/chromium the suite is skipped (and says why), unless WFMIRROR_REQUIRE_CHROMIUM=1,
 * which makes the missing browser a failure. The failover part runs the built primary from dist/
 * (vitest's global setup builds it when sources are newer).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnomalyReport } from '../../ts/anomaly/report.js';
import { type AnomalyCounts, SqliteAnomalyStore } from '../../ts/anomaly/sqlite-anomaly-store.js';
import { type DemoSummary, runDemo } from '../../ts/cli/demo.js';
import { runFailoverDemo } from '../../ts/cli/demo-failover.js';
import { writeReport } from '../../ts/report/build.js';
import { formatNumber } from '../../ts/report/format.js';
import { serveReport } from '../../ts/report/serve.js';

// The callbacks given to $eval / evaluate run in the page. The project compiles without the DOM
// library (Node code must not see browser globals), so the few browser names they use are declared here.
interface PageNode {
  closest(selector: string): PageNode | null;
  readonly textContent: string | null;
}
declare const document: { elementFromPoint(x: number, y: number): PageNode | null; querySelector(s: string): PageNode | null };
declare const window: { scrollTo(x: number, y: number): void };

const CHROMIUM = '/usr/bin/chromium';
/** The flags that work on this machine (as root, in a container): no sandbox, no GPU, no network of its own. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const haveChromium = existsSync(CHROMIUM);
const requireChromium = process.env.WFMIRROR_REQUIRE_CHROMIUM === '1';
const skip = !haveChromium && !requireChromium;
const root = join(import.meta.dirname, '..', '..');

if (skip)
  console.warn(`report-chromium: skipped: ${CHROMIUM} is not installed (set WFMIRROR_REQUIRE_CHROMIUM=1 to fail instead)`);

describe.skipIf(skip)(
  skip ? `report in headless Chromium (skipped: ${CHROMIUM} is not installed)` : 'report in headless Chromium',
  () => {
    // Made in beforeAll, not here: a skipped suite still runs this body, but never its afterAll.
    let dir: string;
    let profile: string;
    let database: string;
    let page: string;
    let summary: DemoSummary;
    let reports: AnomalyReport[];
    let counts: AnomalyCounts;
    let context: BrowserContext;
    let tab: Page;
    const requests: string[] = [];

    beforeAll(async () => {
      if (!haveChromium) throw new Error(`WFMIRROR_REQUIRE_CHROMIUM=1 but ${CHROMIUM} is not installed`);
      dir = mkdtempSync(join(tmpdir(), 'wfmirror-report-e2e-'));
      profile = mkdtempSync(join(tmpdir(), 'wfmirror-chromium-profile-'));
      database = join(dir, 'wfmirror.db');
      page = join(dir, 'report.html');
      summary = await runDemo({ instances: 300, dir, faults: true, concurrency: 100 });
      await runFailoverDemo({ instances: 300, dir });
      const store = SqliteAnomalyStore.open({ path: database });
      reports = store.query();
      counts = store.countBy();
      await store.close();
      writeReport({ input: database, out: page });
      // A new, empty profile folder: nothing from an earlier run (cache, service workers) can answer for the page.
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 1200, height: 900 },
      });
      tab = context.pages()[0] ?? (await context.newPage());
      tab.on('request', (request) => requests.push(request.url()));
      await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
    }, 120_000);

    afterAll(async () => {
      await context?.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
    });

    it('has a demo run with every injected fault in its store', () => {
      expect(summary.faults.every((f) => f.detected)).toBe(true);
      expect(reports.length).toBe(summary.anomalies.total);
      expect(reports.length).toBeGreaterThan(5);
    });

    it('fetches nothing but the page itself', () => {
      expect(requests).toEqual([pathToFileURL(page).href]);
    });

    it('draws every chart with marks that have size, sit inside their chart, and are seen at their place', async () => {
      const charts = await tab.$$eval('svg[data-chart]', (svgs) =>
        svgs.map((svg) => {
          const box = svg.getBoundingClientRect();
          const view = svg.viewBox.baseVal;
          const marks = [...svg.querySelectorAll('.mark')].map((mark) => {
            const b = mark.getBBox();
            // What the browser hit-tests at the mark's centre: a mark of this chart (this one, or one drawn over it
            // at the same place: two instances can share a time and a deviation), not a blank or something else.
            mark.scrollIntoView({ block: 'center' });
            const r2 = mark.getBoundingClientRect();
            const hit = document.elementFromPoint(r2.left + r2.width / 2, r2.top + r2.height / 2);
            const hitMark = hit?.closest('.mark');
            return {
              kind: mark.tagName,
              value: mark.getAttribute('data-value'),
              x: b.x,
              y: b.y,
              width: b.width,
              height: b.height,
              visible: hitMark !== null && hitMark !== undefined && svg.contains(hitMark),
            };
          });
          return {
            chart: svg.getAttribute('data-chart'),
            width: box.width,
            height: box.height,
            view: [view.width, view.height],
            marks,
          };
        }),
      );
      expect(charts.map((c) => c.chart).sort()).toEqual([
        'count-by-cause',
        'count-by-severity',
        'deviation-over-time',
        'field-heatmap',
      ]);
      for (const chart of charts) {
        expect(chart.width, chart.chart!).toBeGreaterThan(300);
        expect(chart.height, chart.chart!).toBeGreaterThan(50);
        // Bars of a zero count are drawn with width 0 on purpose; every other mark has an area.
        const drawn = chart.marks.filter((m) => m.value !== '0');
        expect(drawn.length, chart.chart!).toBeGreaterThan(0);
        for (const m of drawn) {
          expect(m.width * m.height, `${chart.chart} ${m.kind}`).toBeGreaterThan(0);
          expect(m.x).toBeGreaterThanOrEqual(0);
          expect(m.y).toBeGreaterThanOrEqual(0);
          expect(m.x + m.width).toBeLessThanOrEqual(chart.view[0]! + 0.01);
          expect(m.y + m.height).toBeLessThanOrEqual(chart.view[1]! + 0.01);
        }
        const points = drawn.filter((m) => m.kind !== 'path');
        expect(
          points.every((m) => m.visible),
          `${chart.chart}: a mark not seen at its place`,
        ).toBe(true);
        // Not all piled at one spot: the data spreads the marks.
        expect(new Set(points.map((m) => `${Math.round(m.x)},${Math.round(m.y)}`)).size, chart.chart!).toBeGreaterThan(1);
      }
      const timeline = charts.find((c) => c.chart === 'deviation-over-time')!;
      const distinctPoints = new Set(reports.map((r) => `${r.workflowId}@${r.detectedAt}`)).size;
      expect(timeline.marks.filter((m) => m.kind === 'circle')).toHaveLength(distinctPoints);
    });

    it('shows the store’s counts by severity and cause, its total and its instances', async () => {
      const text = (selector: string) => tab.$eval(selector, (e) => Number(e.textContent!.replace(/,/g, '')));
      expect(await text('[data-count-total]')).toBe(counts.total);
      expect(await text('[data-count-instances]')).toBe(new Set(reports.map((r) => r.workflowId)).size);
      for (const [severity, n] of Object.entries(counts.bySeverity)) {
        expect(await text(`[data-count-severity="${severity}"]`), severity).toBe(n);
        expect(await tab.$eval(`[data-bar-severity="${severity}"]`, (e) => Number(e.getAttribute('data-value')))).toBe(n);
      }
      for (const [cause, n] of Object.entries(counts.byCause)) expect(await text(`[data-count-cause="${cause}"]`), cause).toBe(n);
      const embedded = await tab.$eval('#wfmirror-report-data', (e) => JSON.parse(e.textContent!) as { counts: unknown });
      expect(embedded.counts).toEqual(counts);
    });

    it('lists the top divergent instances with the store’s reports, every injected fault among them, fields one by one', async () => {
      const rows = await tab.$$eval('tr[data-top-instance]', (trs) =>
        trs.map((tr) => ({
          id: tr.getAttribute('data-top-instance')!,
          reports: Number(tr.querySelector('[data-anomalies]')!.textContent),
          maxText: tr.querySelector('[data-max-deviation]')!.textContent,
          max: Number(tr.querySelector('[data-max-deviation]')!.getAttribute('data-max-deviation')),
        })),
      );
      for (const row of rows) {
        const mine = reports.filter((r) => r.workflowId === row.id);
        expect(row.reports, row.id).toBe(mine.length);
        expect(row.max, row.id).toBe(Math.max(...mine.map((r) => r.deviation)));
        expect(row.maxText).toBe(formatNumber(row.max));
      }
      const maxima = rows.map((r) => r.max);
      expect(maxima).toEqual([...maxima].sort((a, b) => b - a));
      for (const fault of summary.faults) expect(rows.map((r) => r.id)).toContain(fault.workflowId);
      // The worst report's fields, value by value.
      const worst = reports.reduce((a, b) => (b.deviation > a.deviation ? b : a));
      const fields = await tab.$$eval(`table[data-fields-of="${worst.workflowId}"] tr[data-field]`, (trs) =>
        trs.map((tr) => ({
          name: tr.getAttribute('data-field'),
          contribution: Number(tr.querySelector('[data-contribution]')!.getAttribute('data-contribution')),
          primary: tr.querySelector('[data-primary]')!.textContent,
          mirror: tr.querySelector('[data-mirror]')!.textContent,
        })),
      );
      expect(fields).toEqual(
        worst.fields.map((f) => ({
          name: f.name,
          contribution: f.contribution,
          primary: typeof f.primary === 'number' ? formatNumber(f.primary) : String(f.primary),
          mirror: typeof f.mirror === 'number' ? formatNumber(f.mirror) : String(f.mirror),
        })),
      );
    });

    it('colours each heatmap cell by the sum of the store’s contributions of that field in that instance', async () => {
      const cells = await tab.$$eval('rect.cell', (rects) =>
        rects.map((r) => ({
          instance: r.getAttribute('data-instance')!,
          field: r.getAttribute('data-field')!,
          contribution: Number(r.getAttribute('data-contribution')),
          count: Number(r.getAttribute('data-count')),
        })),
      );
      expect(cells.length).toBeGreaterThan(0);
      for (const cell of cells) {
        const affected = reports.flatMap((r) =>
          r.workflowId === cell.instance ? r.fields.filter((f) => f.name === cell.field) : [],
        );
        expect(cell.count).toBe(affected.length);
        expect(cell.contribution).toBeCloseTo(
          affected.reduce((s, f) => s + f.contribution, 0),
          9,
        );
      }
    });

    it('shows the failover’s recovery records: the replaced primary’s last heartbeat, the promotion after it, the mirrors', async () => {
      const rows = await tab.$$eval('tr[data-recovery-kind]', (trs) =>
        trs.map((tr) => ({
          kind: tr.getAttribute('data-recovery-kind'),
          epoch: tr.getAttribute('data-epoch'),
          text: tr.textContent,
        })),
      );
      const kinds = rows.map((r) => r.kind);
      expect(kinds).toContain('primary-heartbeat');
      const promotion = rows.find((r) => r.kind === 'promotion')!;
      expect(promotion.epoch).toBe('1');
      expect(promotion.text).toMatch(/^after \d{4}-\d\d-\d\d /);
      expect(kinds.indexOf('promotion')).toBeGreaterThan(kinds.indexOf('primary-heartbeat'));
      expect(rows.some((r) => r.kind === 'mirror-report' && r.text!.includes('mirror-2'))).toBe(true);
    });

    it('saves a screenshot', async () => {
      const out = join(root, 'test-output');
      mkdirSync(out, { recursive: true });
      await tab.evaluate(() => window.scrollTo(0, 0));
      await tab.screenshot({ path: join(out, 'report.png'), fullPage: true });
      expect(existsSync(join(out, 'report.png'))).toBe(true);
      if (process.env.WFMIRROR_UPDATE_SCREENSHOT === '1') {
        mkdirSync(join(root, 'docs', 'images'), { recursive: true });
        copyFileSync(join(out, 'report.png'), join(root, 'docs', 'images', 'report.png'));
      }
    });

    it('served live, reloads by itself when a report is added to the store, fetching only from its server', async () => {
      const server = await serveReport({ input: database, refreshMs: 250 });
      const live = await context.newPage();
      const seen: string[] = [];
      live.on('request', (request) => seen.push(request.url()));
      try {
        await live.goto(server.url, { waitUntil: 'load' });
        expect(await live.$eval('[data-count-total]', (e) => e.textContent)).toBe(String(counts.total));
        const store = SqliteAnomalyStore.open({ path: database });
        store.write({
          ...reports[0]!,
          id: 'added-while-watching',
          workflowId: 'order-999999',
          deviation: 31_337,
          detectedAt: reports[0]!.detectedAt + 1,
        });
        await store.close();
        await live.waitForFunction(
          (n) => document.querySelector('[data-count-total]')?.textContent === String(n),
          counts.total + 1,
          {
            timeout: 15_000,
          },
        );
        expect(await live.$$eval('tr[data-top-instance="order-999999"]', (rows) => rows.length)).toBe(1);
        expect(seen.every((url) => url.startsWith(server.url))).toBe(true);
        expect(seen.some((url) => url === `${server.url}version`)).toBe(true);
      } finally {
        await live.close();
        await server.close();
      }
    });
  },
);
