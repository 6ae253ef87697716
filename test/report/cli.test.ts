/** `wfmirror report` on the command line: writes the page, serves it until stopped, refuses bad arguments clearly. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteAnomalyStore } from '../../ts/anomaly/sqlite-anomaly-store.js';
import { runReportCommand } from '../../ts/cli/report.js';
import type { ReportServer } from '../../ts/report/serve.js';
import { manyReports, tempDir } from '../anomaly/fixtures.js';

const { dir, cleanup } = tempDir('report-cli');
afterAll(cleanup);

const refuse = (message: string): never => {
  throw new Error(`refused: ${message}`);
};

async function store(name: string, n: number): Promise<string> {
  const path = join(dir, name);
  const s = SqliteAnomalyStore.open({ path });
  for (const r of manyReports(n)) s.write(r);
  await s.close();
  return path;
}

describe('wfmirror report', () => {
  it('writes the page from the store and says what it holds', async () => {
    const db = await store('a.db', 12);
    const out = join(dir, 'out', 'report.html');
    const lines: string[] = [];
    expect(
      await runReportCommand(['--db', db, '--out', out, '--top', '3', '--by', 'shard', '--shards', '4'], refuse, (t) =>
        lines.push(t),
      ),
    ).toBe(0);
    expect(lines.join('')).toBe(
      `wrote ${out}: 12 anomalies on 7 instances (critical 4, warning 4, info 4); 0 recovery events from 0 event logs\n`,
    );
    const html = readFileSync(out, 'utf8');
    expect(html.match(/data-top-instance=/g)).toHaveLength(3);
    expect(html).toContain('per shard (4 shards');
    expect(existsSync(`${out}.${process.pid}.tmp`)).toBe(false);
  });

  it('reads a JSONL file with --jsonl', async () => {
    const path = join(dir, 'r.jsonl');
    writeFileSync(
      path,
      manyReports(4)
        .map((r) => `${JSON.stringify(r)}\n`)
        .join(''),
    );
    const out = join(dir, 'j.html');
    const lines: string[] = [];
    await runReportCommand(['--jsonl', path, '--out', out], refuse, (t) => lines.push(t));
    expect(lines.join('')).toContain(': 4 anomalies on 4 instances');
    expect(readFileSync(out, 'utf8')).toContain('JSONL report file');
  });

  it('refuses bad arguments and bad input with a clear message', async () => {
    const db = await store('b.db', 1);
    const run = (args: string[]) => runReportCommand(args, refuse, () => undefined);
    await expect(run(['--db', db, '--jsonl', db])).rejects.toThrow('refused: give --db or --jsonl, not both');
    await expect(run(['--db', db, '--by', 'workflow'])).rejects.toThrow(
      'refused: --by must be instance or shard, got "workflow"',
    );
    await expect(run(['--db', db, '--top', '0'])).rejects.toThrow('refused: --top must be an integer from 1 to 1000, got "0"');
    await expect(run(['--db', db, '--port', '80'])).rejects.toThrow('refused: --port goes with --serve');
    await expect(run(['--db', db, '--shards', '4'])).rejects.toThrow('refused: --shards goes with --by shard');
    await expect(run(['--db', join(dir, 'missing.db'), '--out', join(dir, 'x.html')])).rejects.toThrow(
      `refused: no anomaly store at ${join(dir, 'missing.db')}`,
    );
    await expect(run(['--jsonl', db, '--out', join(dir, 'x.html')])).rejects.toThrow(
      /is an SQLite database, not JSONL \(use --db\)/,
    );
    await expect(run(['--bogus'])).rejects.toThrow(/refused: Unknown option '--bogus'/);
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
  });

  it('serves until stopped, on the port asked for', async () => {
    const db = await store('c.db', 3);
    const controller = new AbortController();
    const lines: string[] = [];
    let server: ReportServer | undefined;
    const done = runReportCommand(['--db', db, '--serve', '--port', '0'], refuse, (t) => lines.push(t), {
      signal: controller.signal,
      onServing: (s) => {
        server = s;
      },
    });
    while (server === undefined) await new Promise((r) => setTimeout(r, 10));
    expect(lines.join('')).toBe(`serving the report of ${db} at ${server.url} (reloads as the store changes; Ctrl-C to stop)\n`);
    const html = await (await fetch(server.url)).text();
    expect(html).toMatch(/data-count-total>3</);
    controller.abort();
    expect(await done).toBe(0);
    await expect(fetch(server.url)).rejects.toThrow();
  });
});
