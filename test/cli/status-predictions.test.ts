/**
 * `wfmirror status --predict`: a demo's log cut short (each instance stopped where it waits for its
 * reservation and its charge) is replayed with lead mode, and the running instances' predicted
 * futures come out: the awaited activities with their predictions and sources, and the fields the
 * predicted steps change. Nothing is written to the log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../ts/cli/demo.js';
import { demoId, demoInput } from '../../ts/cli/demo-faults.js';
import { runStatusCommand, type StatusReport } from '../../ts/cli/status.js';
import { formatPredictions, type PredictionsReport, readPredictions } from '../../ts/cli/status-predictions.js';
import { type HistoryEvent, type NewEvent, SqliteEventLog } from '../../ts/index.js';

const dir = mkdtempSync(join(tmpdir(), 'wfmirror-predict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cut = join(dir, 'cut.db');
const refuse = (message: string): never => {
  throw new Error(`refused: ${message}`);
};
/** Instances 0-39 run to the end; 40-59 stop after their start, reserve scheduled and charge scheduled. */
const STOPPED_FROM = 40;

describe('wfmirror status --predict', () => {
  let kept = 0;
  beforeAll(async () => {
    await runDemo({ instances: 60, dir, faults: false, concurrency: 20 });
    const full = SqliteEventLog.open({ path: join(dir, 'wfmirror.db') });
    const target = SqliteEventLog.open({ path: cut });
    const events: HistoryEvent[] = [];
    for (let batch = await full.readRange(0, 10_000); batch.length > 0; batch = await full.readRange(batch.at(-1)!.pos, 10_000)) {
      events.push(...batch);
    }
    for (const e of events) {
      const i = Number(e.workflowId.slice('order-'.length));
      if (i >= STOPPED_FROM && e.seq > 3) continue;
      await target.append(e.workflowId, e.seq - 1, [{ type: e.type, time: e.time, payload: e.payload } as NewEvent]);
      kept++;
    }
    await full.close();
    await target.close();
  }, 60_000);

  it('predicts what each running instance waits for, from the definition and from the learner', async () => {
    const report = await readPredictions(cut, { limit: 100 });
    expect(report.replayedEvents).toBe(kept);
    expect(report.running).toBe(60 - STOPPED_FROM);
    expect(report.instances).toHaveLength(60 - STOPPED_FROM);
    const first = report.instances.find((p) => p.workflowId === demoId(STOPPED_FROM))!;
    expect(first.seq).toBe(3);
    expect(first.activities.map((a) => [a.activity, a.source])).toEqual([
      ['reserve', 'learned'],
      ['charge', 'definition'],
    ]);
    // reserve is learned per input ({ items }): the finished instances' results; charge from its predict.
    expect(first.activities[1]!.predicted).toEqual({ amount: demoInput(STOPPED_FROM).amount });
    expect(first.activities[0]!.learned?.samples).toBeGreaterThan(0);
    // Both results predicted: the order is reserved and paid, and moves on to wait for dispatch.
    expect(first.steps).toBeGreaterThanOrEqual(2);
    const changed = Object.fromEntries(first.changes.map((c) => [c.field, c.predicted]));
    expect(changed).toMatchObject({ paid: demoInput(STOPPED_FROM).amount });
    const text = formatPredictions(report);
    expect(text).toContain(`${demoId(STOPPED_FROM)} at seq 3 (running)`);
    expect(text).toMatch(/waits for charge \(seq \d+\): predicted \{"amount":[\d.]+\} \(the definition's predict\)/);
    expect(text).toMatch(
      /waits for reserve \(seq \d+\): predicted \{"reserved":(true|false)\} \(learned from \d+ results: reserved \d+% of results\)/,
    );
    expect(text).toMatch(/paid 0 -> [\d.]+/);
  });

  it('answers for one instance through the command, as JSON, and refuses an unknown one', async () => {
    const out: string[] = [];
    await runStatusCommand(['--db', cut, '--instance', demoId(45), '--json'], refuse, (t) => out.push(t));
    const status = JSON.parse(out.join('')) as StatusReport & { predictions: PredictionsReport };
    expect(status.logPosition).toBe(kept);
    expect(status.predictions.instances.map((p) => p.workflowId)).toEqual([demoId(45)]);
    await expect(runStatusCommand(['--db', cut, '--instance', 'order-999999'], refuse, () => {})).rejects.toThrow(
      'refused: no instance order-999999',
    );
    await expect(runStatusCommand(['--db', cut, '--predict', '--limit', '0'], refuse, () => {})).rejects.toThrow(
      'refused: --limit must be a positive integer',
    );
    const log = SqliteEventLog.open({ path: cut });
    expect(await log.lastPosition()).toBe(kept);
    await log.close();
  });
});
