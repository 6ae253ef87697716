/** `wfmirror whatif` on a demo's event log: one instance and the whole fleet, and bad hypotheses refused clearly. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../ts/cli/demo.js';
import { formatWhatIf, parseHypothesis, runWhatIf, runWhatIfCommand, type WhatIfReport } from '../../ts/cli/whatif.js';
import { SqliteEventLog } from '../../ts/index.js';

const dir = mkdtempSync(join(tmpdir(), 'wfmirror-whatif-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const database = join(dir, 'wfmirror.db');
const refuse = (message: string): never => {
  throw new Error(`refused: ${message}`);
};

describe('wfmirror whatif', () => {
  let events = 0;
  beforeAll(async () => {
    const summary = await runDemo({ instances: 60, dir, faults: false, concurrency: 20 });
    events = summary.events;
  }, 60_000);

  it('forks one instance at a past seq and runs the hypothesis with the real handlers', async () => {
    const report = await runWhatIf(database, {
      workflowType: 'order',
      instance: 'order-000042',
      fromSeq: 1,
      events: [
        { type: 'ActivityCompleted', activity: 'reserve', result: { reserved: true } },
        { type: 'ActivityFailed', activity: 'charge', error: 'declined' },
      ],
    });
    expect(report.kind).toBe('instance');
    if (report.kind !== 'instance') return;
    expect(report.replayedEvents).toBe(events);
    expect(report.result.status).toBe('failed');
    expect(report.result.steps.map((s) => s.commands.map((c) => c.kind))).toEqual([[], ['fail']]);
    expect(report.result.affectedFields).toContain('status');
    const text = formatWhatIf(report);
    expect(text).toContain('what-if on order-000042, forked after seq 1:');
    expect(text).toMatch(/ends failed; deviation from the real path [\d,.]+ \(fields: .*status/);
  });

  it('runs a fleet hypothesis on every instance and says which could not take it (the finished ones), writing nothing', async () => {
    const file = join(dir, 'fleet.json');
    writeFileSync(
      file,
      JSON.stringify({ workflowType: 'order', events: [{ type: 'SignalReceived', name: 'discount', payload: { amount: 5 } }] }),
    );
    const out: string[] = [];
    expect(await runWhatIfCommand(['--db', database, '--hypothesis', file, '--json'], refuse, (t) => out.push(t))).toBe(0);
    const report = JSON.parse(out.join('')) as WhatIfReport;
    expect(report).toMatchObject({ kind: 'fleet', deviated: 0, maxDeviation: 0, result: { changed: 60, backend: 'js' } });
    if (report.kind === 'fleet') expect(report.result.refused.every((r) => /completed on the fork/.test(r.reason))).toBe(true);
    const log = SqliteEventLog.open({ path: database });
    expect(await log.lastPosition()).toBe(events);
    await log.close();
  });

  it('refuses bad hypotheses, a missing file and a missing log clearly', async () => {
    expect(() => parseHypothesis('{')).toThrow(/not JSON/);
    expect(() => parseHypothesis('{"workflowType":"order"}')).toThrow(/events must be an array/);
    expect(() => parseHypothesis('{"workflowType":"order","events":[{"type":"Nope"}]}')).toThrow(
      /events\[0\]\.type must be one of/,
    );
    expect(() => parseHypothesis('{"workflowType":"order","events":[{"type":"TimerFired"}]}')).toThrow(
      /events\[0\]\.timer must be a string/,
    );
    expect(() => parseHypothesis('{"workflowType":"order","events":[],"fromSeq":2}')).toThrow(/needs hypothesis.instance/);
    await expect(runWhatIfCommand([], refuse, () => undefined)).rejects.toThrow(/--hypothesis FILE is required/);
    await expect(runWhatIfCommand(['--hypothesis', join(dir, 'none.json')], refuse, () => undefined)).rejects.toThrow(
      /refused: ENOENT/,
    );
    const file = join(dir, 'one.json');
    writeFileSync(file, JSON.stringify({ workflowType: 'order', instance: 'nope', events: [] }));
    await expect(runWhatIfCommand(['--db', database, '--hypothesis', file], refuse, () => undefined)).rejects.toThrow(
      /what-if on "nope"/,
    );
    await expect(runWhatIfCommand(['--db', join(dir, 'none.db'), '--hypothesis', file], refuse, () => undefined)).rejects.toThrow(
      /no event log at/,
    );
  });
});
