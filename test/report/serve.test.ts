/**
 * `--serve`: the page rebuilt from the store as it changes, the version endpoint the page polls,
 * ETags, an error page that recovers, and typed errors before listening.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteAnomalyStore } from '../../ts/anomaly/sqlite-anomaly-store.js';
import { InvalidReportOptionError, ReportInputNotFoundError } from '../../ts/report/errors.js';
import { serveReport } from '../../ts/report/serve.js';
import { makeReport, manyReports, tempDir } from '../anomaly/fixtures.js';

const { dir, cleanup } = tempDir('report-serve');
afterAll(cleanup);

const total = (html: string) => Number(/data-count-total>([\d,]+)</.exec(html)![1]!.replace(/,/g, ''));

describe('serveReport', () => {
  it('serves the page, answers a stable version, and shows a report added to the store once the version changes', async () => {
    const path = join(dir, 'live.db');
    const writer = SqliteAnomalyStore.open({ path });
    for (const r of manyReports(5)) writer.write(r);
    await writer.flush();
    const server = await serveReport({ input: path, refreshMs: 200 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const first = await fetch(server.url);
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await first.text();
      expect(total(html)).toBe(5);
      const v1 = await (await fetch(`${server.url}version`)).text();
      expect(v1).toMatch(/^[0-9a-f]{20}$/);
      expect(v1).toBe(server.version());
      expect(html).toContain(JSON.stringify(v1)); // the page knows its version, to compare with the poll
      expect(await (await fetch(`${server.url}version`)).text()).toBe(v1); // nothing changed
      const etag = first.headers.get('etag')!;
      expect((await fetch(server.url, { headers: { 'If-None-Match': etag } })).status).toBe(304);

      writer.write(makeReport({ id: 'new-one', workflowId: 'order-late', deviation: 77_777, detectedAt: 9_999 }));
      await writer.flush();
      const v2 = await (await fetch(`${server.url}version`)).text();
      expect(v2).not.toBe(v1);
      const changed = await fetch(server.url, { headers: { 'If-None-Match': etag } });
      expect(changed.status).toBe(200);
      const html2 = await changed.text();
      expect(total(html2)).toBe(6);
      expect(html2).toContain('data-top-instance="order-late"');
      const data = (await (await fetch(`${server.url}data.json`)).json()) as { counts: { total: number } };
      expect(data.counts).toEqual(writer.countBy());
      expect((await fetch(`${server.url}nothing-here`)).status).toBe(404);
      expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
      // Closing the writer checkpoints the WAL into the main file: the files change, what the page shows does not.
      await writer.close();
      expect(await (await fetch(`${server.url}version`)).text()).toBe(v2);
    } finally {
      await server.close();
      await writer.close();
    }
  });

  it('shows an error page that keeps polling while the input is broken, and the report again once it is fixed', async () => {
    const path = join(dir, 'live.jsonl');
    const good = `${JSON.stringify(makeReport({ id: 'j1' }))}\n`;
    writeFileSync(path, good);
    const errors: unknown[] = [];
    const server = await serveReport({ input: path, refreshMs: 200, onError: (e) => errors.push(e) });
    try {
      expect(total(await (await fetch(server.url)).text())).toBe(1);
      appendFileSync(path, '{"id": "broken"}\n');
      const broken = await fetch(server.url);
      expect(broken.status).toBe(500);
      const page = await broken.text();
      expect(page).toContain('UnreadableReportInputError');
      expect(page).toContain("fetch('./version'");
      expect(errors).toHaveLength(1);
      writeFileSync(path, `${good}${JSON.stringify(makeReport({ id: 'j2', workflowId: 'order-2' }))}\n`);
      expect(total(await (await fetch(server.url)).text())).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('refuses a missing input and bad options before listening', async () => {
    await expect(serveReport({ input: join(dir, 'absent.db') })).rejects.toBeInstanceOf(ReportInputNotFoundError);
    const path = join(dir, 'ok.jsonl');
    writeFileSync(path, '');
    await expect(serveReport({ input: path, port: 70_000 })).rejects.toBeInstanceOf(InvalidReportOptionError);
    await expect(serveReport({ input: path, refreshMs: 5 })).rejects.toThrow(/refreshMs must be at least 100/);
    await expect(serveReport({ input: path, top: 0 })).rejects.toThrow(/top must be a positive integer/);
  });
});
