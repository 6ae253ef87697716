/**
 * The report's aggregations are pure functions of the reports: counts (checked against the SQLite
 * store's own countBy), time series per instance and per shard, the field x instance heatmap, the
 * top divergent instances, and the recovery events of event logs.
 */
import { describe, expect, it } from 'vitest';
import type { AnomalyReport } from '../../ts/anomaly/report.js';
import { SqliteAnomalyStore } from '../../ts/anomaly/sqlite-anomaly-store.js';
import { countReports } from '../../ts/report/counts.js';
import { InvalidReportOptionError } from '../../ts/report/errors.js';
import { fieldHeatmap } from '../../ts/report/heatmap.js';
import { type RecoveryLog, recoveryEvents } from '../../ts/report/recovery.js';
import { deviationSeries } from '../../ts/report/series.js';
import { shardOf } from '../../ts/report/shard.js';
import { topInstances } from '../../ts/report/top.js';
import { makeReport, manyReports } from '../anomaly/fixtures.js';

const field = (name: string, contribution: number) => ({
  name,
  primary: contribution,
  mirror: 0,
  contribution,
  share: 1,
  reason: 'numeric' as const,
});

/** A report of `workflowId` at `t` with `deviation`, its fields given as [name, contribution] pairs. */
function at(
  workflowId: string,
  t: number,
  deviation: number,
  fields: [string, number][] = [],
  extra: Partial<AnomalyReport> = {},
): AnomalyReport {
  return makeReport({
    id: `${workflowId}@${t}:${deviation}`,
    workflowId,
    detectedAt: t,
    deviation,
    fields: fields.map(([n, c]) => field(n, c)),
    ...extra,
  });
}

describe('countReports', () => {
  it('counts every severity and cause (0 when none) exactly as the SQLite store counts the same reports', () => {
    const reports = manyReports(50);
    const counts = countReports(reports);
    const store = SqliteAnomalyStore.open({ path: ':memory:' });
    for (const r of reports) store.write(r);
    expect(counts).toEqual(store.countBy());
    expect(counts.total).toBe(50);
    expect(counts.byCause['version-skew']).toBe(0);
    expect(counts.bySeverity.info + counts.bySeverity.warning + counts.bySeverity.critical).toBe(50);
    void store.close();
  });
});

describe('deviationSeries', () => {
  it('draws one series per instance, largest deviation first, one point per detection time holding the maximum', () => {
    const reports = [
      at('a', 1_000, 5),
      at('a', 1_000, 40), // same time: one point, the max, count 2
      at('a', 3_000, 7),
      at('b', 2_000, 900),
      at('c', 2_000, 0),
    ];
    const set = deviationSeries(reports, { by: 'instance' });
    expect(set.series.map((s) => s.key)).toEqual(['b', 'a', 'c']);
    const a = set.series[1]!;
    expect(a).toMatchObject({ kind: 'instance', label: 'a', anomalies: 3, instances: 1, maxDeviation: 40 });
    expect(a.points).toEqual([
      { time: 1_000, deviation: 40, count: 2 },
      { time: 3_000, deviation: 7, count: 1 },
    ]);
    expect(set.timeRange).toEqual([1_000, 3_000]);
    expect(set.bucketMs).toBeNull();
    expect(set.maxFiniteDeviation).toBe(900);
    expect(set.folded).toBe(0);
  });

  it('folds the instances past maxSeries into one series that keeps all their reports', () => {
    const reports = Array.from({ length: 12 }, (_, i) => at(`wf-${String(i).padStart(2, '0')}`, 1_000 + i, 100 - i));
    const set = deviationSeries(reports, { by: 'instance', maxSeries: 4 });
    expect(set.series).toHaveLength(4);
    expect(set.series.slice(0, 3).map((s) => s.key)).toEqual(['wf-00', 'wf-01', 'wf-02']);
    const others = set.series[3]!;
    expect(others).toMatchObject({ kind: 'others', label: '9 other instances', anomalies: 9, instances: 9, maxDeviation: 97 });
    expect(set.folded).toBe(9);
    // An instance literally named "others" is still an instance.
    const named = deviationSeries([at('others', 1, 5)], { by: 'instance' });
    expect(named.series[0]).toMatchObject({ kind: 'instance', label: 'others' });
  });

  it('groups by shard (the stable hash of the workflow id) and accounts for every report', () => {
    const reports = manyReports(200).map((r, i) => ({ ...r, workflowId: `order-${i}` }));
    const set = deviationSeries(reports, { by: 'shard', shards: 4 });
    expect(set.shards).toBe(4);
    expect(set.series.map((s) => s.key)).toEqual(['shard-0', 'shard-1', 'shard-2', 'shard-3']);
    for (const s of set.series) {
      const n = Number(s.key.slice(6));
      const mine = reports.filter((r) => shardOf(r.workflowId, 4) === n);
      expect(s.anomalies).toBe(mine.length);
      expect(s.label).toBe(`shard ${n}`);
    }
    expect(set.series.reduce((sum, s) => sum + s.anomalies, 0)).toBe(200);
  });

  it('buckets time when there are more distinct times than points, keeping the maximum and the count of each bucket', () => {
    const reports = Array.from({ length: 1_000 }, (_, i) => at('a', i * 10, i % 97));
    const set = deviationSeries(reports, { by: 'instance', maxPoints: 50 });
    const points = set.series[0]!.points;
    expect(points.length).toBeLessThanOrEqual(50);
    expect(set.bucketMs).toBeCloseTo(9_990 / 50, 9);
    expect(points.reduce((n, p) => n + p.count, 0)).toBe(1_000);
    // Each point holds the largest deviation of the reports whose time falls in its bucket.
    const origin = 0;
    for (const p of points) {
      const k = Math.floor((p.time - origin) / set.bucketMs! - 0.5 + 1e-9);
      const inBucket = reports.filter((r) => Math.min(49, Math.floor(r.detectedAt / set.bucketMs!)) === k);
      expect(p.deviation).toBe(Math.max(...inBucket.map((r) => r.deviation)));
      expect(p.count).toBe(inBucket.length);
    }
  });

  it('keeps infinite deviations out of the axis range, lists distinct thresholds, and is empty for no reports', () => {
    const set = deviationSeries(
      [
        at('a', 1, Number.POSITIVE_INFINITY, [], { threshold: 5 }),
        at('b', 2, 30, [], { threshold: 0.5 }),
        at('c', 3, 1, [], { threshold: 5 }),
      ],
      { by: 'instance' },
    );
    expect(set.maxFiniteDeviation).toBe(30);
    expect(set.series[0]).toMatchObject({ key: 'a', maxDeviation: Number.POSITIVE_INFINITY });
    expect(set.thresholds).toEqual([0.5, 5]);
    const empty = deviationSeries([], { by: 'shard' });
    expect(empty).toMatchObject({ series: [], timeRange: null, maxFiniteDeviation: 0, thresholds: [] });
  });

  it('refuses bad options with a typed error', () => {
    expect(() => deviationSeries([], { by: 'workflow' as 'instance' })).toThrow(InvalidReportOptionError);
    expect(() => deviationSeries([], { by: 'shard', shards: 0 })).toThrow(/shards must be a positive integer/);
    expect(() => deviationSeries([], { by: 'instance', maxSeries: 1.5 })).toThrow(InvalidReportOptionError);
  });
});

describe('shardOf', () => {
  it('is stable, in range, and spreads ids over the shards', () => {
    expect(shardOf('order-000042', 8)).toBe(shardOf('order-000042', 8));
    const hits = new Array(8).fill(0);
    for (let i = 0; i < 8_000; i++) hits[shardOf(`order-${i}`, 8)]++;
    for (const h of hits) expect(h).toBeGreaterThan(800);
    expect(shardOf('x', 1)).toBe(0);
    expect(() => shardOf('x', 0)).toThrow(RangeError);
  });
});

describe('fieldHeatmap', () => {
  it('sums contributions and counts per (instance, field), rows and columns by total contribution', () => {
    const map = fieldHeatmap([
      at('a', 1, 15, [
        ['total', 10],
        ['paid', 5],
      ]),
      at('a', 2, 10, [['total', 10]]),
      at('b', 1, 100, [['status', 100]]),
      at('c', 1, 0), // no fields: adds nothing
    ]);
    expect(map.instances).toEqual(['b', 'a']);
    expect(map.fields).toEqual(['status', 'total', 'paid']);
    expect(map.cells).toEqual([
      { row: 0, column: 0, contribution: 100, count: 1 },
      { row: 1, column: 1, contribution: 20, count: 2 },
      { row: 1, column: 2, contribution: 5, count: 1 },
    ]);
    expect(map.maxContribution).toBe(100);
    expect(map).toMatchObject({ omittedInstances: 0, omittedFields: 0 });
  });

  it('keeps the largest rows and only the columns those rows use, and says how much it left out', () => {
    const reports = Array.from({ length: 30 }, (_, i) => at(`wf-${i}`, i, 100 - i, [[`f${i}`, 100 - i]]));
    const map = fieldHeatmap(reports, { maxRows: 5, maxColumns: 3 });
    expect(map.instances).toEqual(['wf-0', 'wf-1', 'wf-2', 'wf-3', 'wf-4']);
    expect(map.fields).toEqual(['f0', 'f1', 'f2']);
    expect(map.cells).toHaveLength(3);
    expect(map).toMatchObject({ omittedInstances: 25, omittedFields: 2 });
  });
});

describe('topInstances', () => {
  it('ranks by largest deviation, then worst severity, then report count, and shows the worst report of each', () => {
    const reports = [
      at('low', 1, 3, [['x', 3]], { severity: 'info', cause: 'unknown' }),
      at('nd', 1, 0, [], { severity: 'critical', cause: 'non-determinism' }),
      at('nd2', 1, 0, [], { severity: 'warning', cause: 'non-determinism' }),
      at('big', 5, 50, [['total', 50]], { severity: 'critical', cause: 'lost-event' }),
      at('big', 2, 900, [['paid', 900]], { severity: 'critical', cause: 'duplicated-event' }),
      at('big', 9, 10, [], { severity: 'warning', cause: 'lost-event' }),
    ];
    const top = topInstances(reports);
    expect(top.map((t) => t.workflowId)).toEqual(['big', 'low', 'nd', 'nd2']);
    const big = top[0]!;
    expect(big).toMatchObject({
      anomalies: 3,
      maxDeviation: 900,
      severity: 'critical',
      causes: ['lost-event', 'duplicated-event'],
      firstDetectedAt: 2,
      lastDetectedAt: 9,
      omittedReports: 0,
    });
    expect(big.worst.fields.map((f) => f.name)).toEqual(['paid']);
    expect(big.reports.map((r) => r.detectedAt)).toEqual([2, 5, 9]);
    expect(topInstances(reports, { top: 2 }).map((t) => t.workflowId)).toEqual(['big', 'low']);
  });

  it('lists at most maxReportsEach reports per instance and counts the rest', () => {
    const reports = Array.from({ length: 20 }, (_, i) => at('a', 100 - i, i));
    const [a] = topInstances(reports, { maxReportsEach: 5 });
    expect(a!.reports.map((r) => r.detectedAt)).toEqual([81, 82, 83, 84, 85]);
    expect(a!.omittedReports).toBe(15);
    expect(() => topInstances(reports, { top: 0 })).toThrow(InvalidReportOptionError);
  });
});

describe('recoveryEvents', () => {
  const log = (patch: Partial<RecoveryLog>): RecoveryLog => ({
    path: '/x/failover.db',
    epoch: 0,
    logPosition: 100,
    heartbeat: null,
    mirrors: [],
    ...patch,
  });

  it('puts a promotion after the replaced primary’s last heartbeat, the only time the log gives for it', () => {
    const events = recoveryEvents([
      log({
        epoch: 1,
        heartbeat: { owner: 'p1', epoch: 0, time: 5_000, replaced: true },
        mirrors: [
          { name: 'mirror-2', position: 100, time: 7_000, lag: 0 },
          { name: 'mirror-3', position: 60, time: 4_000, lag: 40 },
        ],
      }),
    ]);
    expect(events.map((e) => [e.kind, e.time, e.notBefore, e.epoch])).toEqual([
      ['mirror-report', 4_000, null, null],
      ['primary-heartbeat', 5_000, null, 0],
      ['promotion', null, 5_000, 1],
      ['mirror-report', 7_000, null, null],
    ]);
    expect(events[1]!.detail).toContain('replaced: the log is at epoch 1');
    expect(events[0]!.detail).toBe('mirror-3 reported position 60 of 100 (40 behind)');
  });

  it('lists a claim the heartbeat cannot bound first, and a current primary as current', () => {
    const events = recoveryEvents([log({ epoch: 2, heartbeat: { owner: 'p2', epoch: 2, time: 9_000, replaced: false } })]);
    expect(events.map((e) => [e.kind, e.epoch, e.notBefore])).toEqual([
      ['promotion', 1, null],
      ['promotion', 2, null],
      ['primary-heartbeat', 2, null],
    ]);
    expect(events[2]!.detail).toContain('the current primary');
    expect(recoveryEvents([log({})])).toEqual([]);
  });
});
