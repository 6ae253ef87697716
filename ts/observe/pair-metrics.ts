/**
 * The metrics of a primary/mirror pair that the pair already counts itself: they are read from
 * `stats()` when Prometheus scrapes (prom-client `collect()`), so the hot path of the engines gains
 * no metric calls at all. Rates (events/s, comparisons/s) are `rate()` of the counters.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FallbackStats } from '../compare/fallback-comparator.js';
import type { MirrorRunStats } from '../workflow-mirror.js';
import { MetricsAlreadyTrackingError } from './errors.js';

/** What the pair metrics read: a `WorkflowMirror`, or anything shaped like one (tests, a remote pair). */
export interface MetricsSource {
  stats(): MirrorRunStats;
  /** The comparison backends, for batches per backend and failed backends (a WorkflowMirror's `comparator`). */
  readonly comparator?: { stats(): FallbackStats };
}

/** A pair being read at scrape time. */
export interface PairTracking {
  /**
   * Reads the pair one last time and keeps reporting those values (so counters never go back),
   * and lets {@link PairMetrics.track} take another pair. Call it before closing the pair: a
   * closed pair's matrices may be gone. Calling it again does nothing.
   */
  stop(): void;
}

/** One reading of a pair, taken once per scrape and shared by every metric of that scrape. */
interface Snapshot {
  readonly stats: MirrorRunStats;
  readonly backends: FallbackStats | undefined;
}

/** Label-less counters, each one number of the pair's stats: name, help, value. */
const PLAIN_COUNTERS: readonly (readonly [string, string, (s: Snapshot) => number])[] = [
  ['wfmirror_comparison_rounds_total', 'Fleet comparison rounds run.', (s) => s.stats.comparisons.rounds],
  [
    'wfmirror_comparisons_total',
    'Rows (instances) compared, primary against mirror. Comparisons/s is rate() of this counter.',
    (s) => s.stats.comparisons.rowComparisons,
  ],
  [
    'wfmirror_comparisons_lagging_total',
    'Rows skipped by a comparison because the two sides stood at different seqs.',
    (s) => s.stats.comparisons.lagging,
  ],
  [
    'wfmirror_anomaly_repeats_total',
    'Anomalies found again while still open, and so not reported twice.',
    (s) => s.stats.comparisons.repeats,
  ],
  ['wfmirror_instances_started_total', 'Workflow instances started on the primary.', (s) => s.stats.primary.started],
  ['wfmirror_instances_completed_total', 'Workflow instances completed on the primary.', (s) => s.stats.primary.completed],
  ['wfmirror_instances_failed_total', 'Workflow instances failed on the primary.', (s) => s.stats.primary.failed],
];

/** The pair's metrics in one registry; see {@link MetricsSource}. */
export class PairMetrics {
  private source: (() => Snapshot) | undefined;
  private live = false;
  private cached: Snapshot | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    const read = () => this.snapshot();
    this.sideCounter(
      registry,
      'wfmirror_events_applied_total',
      'Events applied, by side: primary = appended durably and applied, mirror = replayed. Events/s is rate() of this counter.',
      (s) => [s.stats.primary.eventsAppended, s.stats.mirror.applied],
    );
    new Gauge({
      name: 'wfmirror_mirror_lag_events',
      help: 'Events the primary appended that the mirror has not applied yet (whole pair).',
      registers,
      collect() {
        const s = read();
        if (s !== undefined) this.set(Math.max(0, s.stats.primary.eventsAppended - s.stats.mirror.applied));
      },
    });
    this.sideCounter(
      registry,
      'wfmirror_instances_evicted_total',
      'Closed instances evicted from memory (retention), by side.',
      (s) => [s.stats.primary.evicted, s.stats.mirror.evicted],
    );
    new Gauge({
      name: 'wfmirror_instances_held',
      help: 'Instances held in memory now (running, and closed ones kept), by side: bounded with retention.',
      labelNames: ['side'],
      registers,
      collect() {
        const s = read();
        if (s === undefined) return;
        this.set({ side: 'primary' }, s.stats.instancesHeld.primary);
        this.set({ side: 'mirror' }, s.stats.instancesHeld.mirror);
      },
    });
    this.lagGauge(
      registry,
      'wfmirror_mirror_lagging_instances',
      'Instances whose primary and mirror stand at different seqs, by workflow type.',
      (lag) => lag.laggingInstances,
    );
    this.lagGauge(
      registry,
      'wfmirror_mirror_max_instance_lag_events',
      'Largest seq difference of one instance (primary ahead positive, mirror ahead negative), by workflow type.',
      (lag) => lag.maxLag,
    );
    for (const [name, help, value] of PLAIN_COUNTERS) this.counter(registry, name, help, value);
    new Gauge({
      name: 'wfmirror_backend_info',
      help: 'The comparison backend large batches run on now (value always 1; the backend is the label).',
      labelNames: ['backend'],
      registers,
      collect() {
        const s = read();
        if (s === undefined) return;
        // Reset first: after a fallback the old backend's series must disappear, not stay at 1.
        this.reset();
        this.set({ backend: s.stats.backend }, 1);
      },
    });
    new Counter({
      name: 'wfmirror_backend_batches_total',
      help: 'Comparison batches run, by backend (a fallback shows as batches moving to the next backend).',
      labelNames: ['backend'],
      registers,
      collect() {
        const s = read();
        if (s?.backends === undefined) return;
        this.reset();
        for (const [backend, n] of Object.entries(s.backends.batches)) this.inc({ backend }, n ?? 0);
      },
    });
    new Gauge({
      name: 'wfmirror_backend_failed',
      help: 'Comparison backends that failed at run time and are no longer used (value 1 each).',
      labelNames: ['backend'],
      registers,
      collect() {
        const s = read();
        if (s?.backends === undefined) return;
        this.reset();
        for (const backend of s.backends.failed) this.set({ backend }, 1);
      },
    });
  }

  /**
   * Reads `source` at every scrape until the returned tracking is stopped.
   * @throws MetricsAlreadyTrackingError when another pair is tracked and not stopped
   */
  track(source: MetricsSource): PairTracking {
    if (this.live) throw new MetricsAlreadyTrackingError();
    const read = (): Snapshot => ({ stats: source.stats(), backends: source.comparator?.stats() });
    this.live = true;
    this.cached = undefined;
    this.source = read;
    let stopped = false;
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        const last = read();
        this.source = () => last;
        this.cached = undefined;
        this.live = false;
      },
    };
  }

  /**
   * The pair read once per scrape: every metric's collect runs in the same turn of the event
   * loop, so the reading is shared until the next turn (stats() walks every instance for the lag).
   */
  private snapshot(): Snapshot | undefined {
    if (this.source === undefined) return undefined;
    if (this.cached === undefined) {
      this.cached = this.source();
      setImmediate(() => {
        this.cached = undefined;
      });
    }
    return this.cached;
  }

  /** A gauge by workflow type, set from the snapshot's per-type lag at scrape time. */
  private lagGauge(
    registry: Registry,
    name: string,
    help: string,
    value: (lag: Snapshot['stats']['lag'][number]) => number,
  ): void {
    const read = () => this.snapshot();
    new Gauge({
      name,
      help,
      labelNames: ['workflow_type'],
      registers: [registry],
      collect() {
        const s = read();
        if (s === undefined) return;
        this.reset();
        for (const lag of s.stats.lag) this.set({ workflow_type: lag.workflowType }, value(lag));
      },
    });
  }

  /** A counter by side (`primary`, `mirror`), set from the snapshot at scrape time. */
  private sideCounter(registry: Registry, name: string, help: string, values: (s: Snapshot) => readonly [number, number]): void {
    const read = () => this.snapshot();
    new Counter({
      name,
      help,
      labelNames: ['side'],
      registers: [registry],
      collect() {
        const s = read();
        if (s === undefined) return;
        const [primary, mirror] = values(s);
        this.reset();
        this.inc({ side: 'primary' }, primary);
        this.inc({ side: 'mirror' }, mirror);
      },
    });
  }

  /** A label-less counter set from the snapshot at scrape time. */
  private counter(registry: Registry, name: string, help: string, value: (s: Snapshot) => number): void {
    const read = () => this.snapshot();
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const s = read();
        if (s === undefined) return;
        this.reset();
        this.inc(value(s));
      },
    });
  }
}
