import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DemoSummary, runDemo } from '../../ts/cli/demo.js';
import { formatSummary } from '../../ts/cli/format-summary.js';
import { readJsonlReports, SqliteAnomalyStore } from '../../ts/index.js';

const dir = mkdtempSync(join(tmpdir(), 'wfmirror-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wfmirror demo', () => {
  let summary: DemoSummary;

  it('runs a fleet on SQLite, catches each injected fault with its cause, and flags nothing else', async () => {
    const progress: number[] = [];
    summary = await runDemo({
      instances: 800,
      dir: join(dir, 'run'),
      faults: true,
      concurrency: 200,
      onProgress: (p) => progress.push(p.events),
    });
    expect(summary.instances).toBe(800);
    expect(summary.completed + summary.failed).toBe(800);
    expect(summary.events).toBeGreaterThan(800 * 9);
    // The mirror replayed exactly what the primary appended.
    expect(summary.mirrorEventsApplied).toBe(summary.events);
    expect(summary.faults).toHaveLength(6);
    for (const fault of summary.faults) expect(fault, fault.kind).toMatchObject({ detected: true });
    expect(summary.falseAlarms).toBe(0);
    expect(summary.errors).toEqual([]);
    expect(progress.at(-1)).toBe(summary.events);
  });

  it('writes the reports it counts to the JSONL file and to the SQLite store', async () => {
    const reports = readJsonlReports(summary.reportFile);
    expect(reports).toHaveLength(summary.anomalies.total);
    const store = SqliteAnomalyStore.open({ path: summary.database });
    try {
      const counts = store.countBy();
      expect(counts.total).toBe(summary.anomalies.total);
      expect(counts.bySeverity).toEqual(summary.anomalies.bySeverity);
    } finally {
      await store.close();
    }
  });

  it('summarises for people: the run table, the causes and the fault table', () => {
    const text = formatSummary(summary);
    expect(text).toMatch(/instances\s+800/);
    expect(text).toMatch(/events\/s \(primary \+ mirror\)\s+[\d,]+/);
    for (const fault of summary.faults) expect(text).toContain(fault.workflowId);
    expect(text).toContain('caught 6 of 6 injected faults; false alarms on clean instances: 0');
    expect(text).toContain(summary.reportFile);
  });

  it('runs a clean fleet without faults and raises nothing', async () => {
    const clean = await runDemo({ instances: 300, dir: join(dir, 'clean'), faults: false, concurrency: 100 });
    expect(clean.faults).toEqual([]);
    expect(clean.anomalies.total).toBe(0);
    expect(clean.completed).toBe(300);
  });

  const cli = new URL('../../dist/ts/cli/main.js', import.meta.url);
  // The built command exists after `npm install` / `npm ci` (the prepare script builds it), as in CI.
  it.skipIf(!existsSync(cli))(
    'the built command prints the summary as JSON with --json and refuses bad flags (skipped only when dist/ was not built)',
    () => {
      const out = execFileSync(
        process.execPath,
        [cli.pathname, 'demo', '--instances', '120', '--dir', join(dir, 'cli'), '--json'],
        {
          encoding: 'utf8',
        },
      );
      const parsed = JSON.parse(out) as DemoSummary;
      expect(parsed.instances).toBe(120);
      expect(parsed.faults.every((f) => f.detected)).toBe(true);
      let failure: { status?: number; stderr?: string } = {};
      try {
        execFileSync(process.execPath, [cli.pathname, 'demo', '--instances', 'many'], { encoding: 'utf8', stdio: 'pipe' });
      } catch (error) {
        failure = error as { status?: number; stderr?: string };
      }
      expect(failure.status).toBe(2);
      expect(failure.stderr).toContain('--instances must be a positive integer');
      expect(
        readFileSync(join(dir, 'cli', 'anomalies.jsonl'), 'utf8')
          .trim()
          .split('\n').length,
      ).toBe(parsed.anomalies.total);
    },
  );
});
