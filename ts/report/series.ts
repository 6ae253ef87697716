/**
 * Deviation over time, one series per instance or per shard: what the report's first chart draws.
 * Reports are bucketed in time so a store of millions of reports still gives a chart of a few
 * hundred points per series; each point keeps the largest deviation of its bucket (the chart is
 * about how bad it got) and how many reports it stands for.
 */
import type { AnomalyReport } from '../anomaly/report.js';
import { positiveInteger } from './check-option.js';
import { InvalidReportOptionError } from './errors.js';
import { shardOf } from './shard.js';

/** What one series stands for. */
export type SeriesGrouping = 'instance' | 'shard';

/** One point of a series: the reports of one time bucket. */
export interface DeviationPoint {
  /** Detection time (ms): the exact time, or the middle of the bucket when bucketed. */
  readonly time: number;
  /** The largest deviation among the bucket's reports (may be Infinity). */
  readonly deviation: number;
  /** Reports in the bucket. */
  readonly count: number;
}

/** One line of the chart. */
export interface DeviationSeries {
  /** `instance`: one workflow instance; `shard`: the instances of one shard; `others`: the instances past `maxSeries`. */
  readonly kind: 'instance' | 'shard' | 'others';
  /** The workflowId, `shard-<n>`, or `others`. */
  readonly key: string;
  readonly label: string;
  readonly anomalies: number;
  /** Distinct instances in the series. */
  readonly instances: number;
  readonly maxDeviation: number;
  /** In time order. */
  readonly points: readonly DeviationPoint[];
}

/** Every series of the chart and the ranges to scale it. */
export interface DeviationSeriesSet {
  readonly by: SeriesGrouping;
  /** The shard count when `by` is `shard`, else null. */
  readonly shards: number | null;
  readonly series: readonly DeviationSeries[];
  /** Instances folded into the `others` series (by instance, past `maxSeries`); 0 when none. */
  readonly folded: number;
  /** Bucket width (ms); null when every distinct detection time is its own point. */
  readonly bucketMs: number | null;
  /** First and last detection time; null when there are no reports. */
  readonly timeRange: readonly [number, number] | null;
  /** The largest finite deviation (0 when none): where the y axis ends. Infinite ones are drawn at the top. */
  readonly maxFiniteDeviation: number;
  /** The distinct thresholds of the reports, ascending: drawn as lines. */
  readonly thresholds: readonly number[];
}

/** Options of {@link deviationSeries}. */
export interface SeriesOptions {
  readonly by: SeriesGrouping;
  /** Shards when `by` is `shard`. Default 8. */
  readonly shards?: number;
  /** Most series drawn; by instance, the instances past it are folded into one `others` series. Default 8. */
  readonly maxSeries?: number;
  /** Most points per series; more distinct times than this are bucketed. Default 240. */
  readonly maxPoints?: number;
}

interface Group {
  readonly others: boolean;
  readonly key: string;
  readonly reports: AnomalyReport[];
  maxDeviation: number;
}

/** Groups, buckets and ranks `reports` into the series of the deviation-over-time chart. */
export function deviationSeries(reports: readonly AnomalyReport[], options: SeriesOptions): DeviationSeriesSet {
  const by = options.by;
  if (by !== 'instance' && by !== 'shard')
    throw new InvalidReportOptionError('by', `must be 'instance' or 'shard', got ${String(by)}`);
  const shards = positiveInteger(options.shards ?? 8, 'shards');
  const maxSeries = positiveInteger(options.maxSeries ?? 8, 'maxSeries');
  const maxPoints = positiveInteger(options.maxPoints ?? 240, 'maxPoints');

  const groups = new Map<string, Group>();
  const times = new Set<number>();
  let maxFiniteDeviation = 0;
  const thresholds = new Set<number>();
  for (const report of reports) {
    const key = by === 'instance' ? report.workflowId : `shard-${shardOf(report.workflowId, shards)}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { others: false, key, reports: [], maxDeviation: Number.NEGATIVE_INFINITY };
      groups.set(key, group);
    }
    group.reports.push(report);
    group.maxDeviation = Math.max(group.maxDeviation, report.deviation);
    times.add(report.detectedAt);
    if (Number.isFinite(report.deviation)) maxFiniteDeviation = Math.max(maxFiniteDeviation, report.deviation);
    thresholds.add(report.threshold);
  }

  let timeRange: [number, number] | null = null;
  for (const t of times) timeRange = timeRange === null ? [t, t] : [Math.min(timeRange[0], t), Math.max(timeRange[1], t)];
  // Bucketing only when there are more distinct times than points allowed: few anomalies keep their exact times.
  const bucketMs = timeRange !== null && times.size > maxPoints ? (timeRange[1] - timeRange[0]) / maxPoints : null;
  const origin = timeRange?.[0] ?? 0;

  let ordered = [...groups.values()];
  let folded = 0;
  if (by === 'shard') {
    ordered.sort((a, b) => shardNumber(a.key) - shardNumber(b.key));
  } else {
    ordered.sort((a, b) => b.maxDeviation - a.maxDeviation || b.reports.length - a.reports.length || (a.key < b.key ? -1 : 1));
    if (ordered.length > maxSeries) {
      const rest = ordered.slice(maxSeries - 1);
      folded = rest.length;
      const others: Group = {
        others: true,
        key: 'others',
        reports: rest.flatMap((g) => g.reports),
        maxDeviation: Number.NEGATIVE_INFINITY,
      };
      for (const g of rest) others.maxDeviation = Math.max(others.maxDeviation, g.maxDeviation);
      ordered = [...ordered.slice(0, maxSeries - 1), others];
    }
  }

  const series = ordered.map((group): DeviationSeries => {
    const buckets = new Map<number, { time: number; deviation: number; count: number }>();
    for (const report of group.reports) {
      const k =
        bucketMs === null || bucketMs === 0
          ? report.detectedAt
          : Math.min(maxPoints - 1, Math.floor((report.detectedAt - origin) / bucketMs));
      const time = bucketMs === null || bucketMs === 0 ? report.detectedAt : origin + (k + 0.5) * bucketMs;
      const point = buckets.get(k);
      if (point === undefined) buckets.set(k, { time, deviation: report.deviation, count: 1 });
      else {
        point.deviation = Math.max(point.deviation, report.deviation);
        point.count++;
      }
    }
    const instances = new Set(group.reports.map((r) => r.workflowId)).size;
    return {
      kind: group.others ? 'others' : by,
      key: group.key,
      label: group.others ? `${folded} other instances` : by === 'shard' ? `shard ${shardNumber(group.key)}` : group.key,
      anomalies: group.reports.length,
      instances,
      maxDeviation: group.maxDeviation,
      points: [...buckets.values()].sort((a, b) => a.time - b.time),
    };
  });

  return {
    by,
    shards: by === 'shard' ? shards : null,
    series,
    folded,
    bucketMs,
    timeRange,
    maxFiniteDeviation,
    thresholds: [...thresholds].sort((a, b) => a - b),
  };
}

function shardNumber(key: string): number {
  return Number(key.slice('shard-'.length));
}
