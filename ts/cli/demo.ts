/**
 * `wfmirror demo`: runs a fleet of order workflows on the embedded SQLite log, with a mirror
 * beside the primary, injects one fault of each kind, and summarises what the mirror found.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import { AlertmanagerSink } from '../alert/alertmanager-sink.js';
import { AlertDeliveryError } from '../alert/errors.js';
import type { AnomalyCause, AnomalyReport, Severity } from '../anomaly/report.js';
import type { AnomalySink } from '../anomaly/sink.js';
import type { WorkflowMirrorError } from '../base-error.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import { logSink } from '../observe/log-sink.js';
import { componentLogger, createLogger, type Logger } from '../observe/logger.js';
import { createMetrics, type WfmirrorMetrics } from '../observe/metrics.js';
import { type MetricsServer, serveMetrics } from '../observe/metrics-server.js';
import { WorkflowMirror } from '../workflow-mirror.js';
import { DEMO_START_TIME, demoFaults, demoId, demoInput, getsDiscount } from './demo-faults.js';

/** Options of a demo run. */
export interface DemoOptions {
  readonly instances: number;
  /** Folder for the database and the report file. */
  readonly dir: string;
  readonly faults: boolean;
  /** Starts in flight at once. */
  readonly concurrency: number;
  /** Called now and then with progress (instances started, events appended). */
  readonly onProgress?: (progress: DemoProgress) => void;
  /** Serve Prometheus metrics at `/metrics` on this port (0: a free one) while the demo runs. */
  readonly metricsPort?: number;
  /** The metrics the run fills (default: new ones when `metricsPort` is given); pass your own to read them after the run. */
  readonly metrics?: WfmirrorMetrics;
  /** POST anomaly reports to this Alertmanager alerts URL (v2 API); the outbox is `alerts.db` in `dir`. */
  readonly alertUrl?: string;
  /** Least severity alerted. Default `warning`. */
  readonly alertMinSeverity?: Severity;
  /** Milestones and anomalies are logged here (component `demo` / `anomaly` / `alert`). Default: nothing is logged. */
  readonly logger?: Logger;
}

/** Progress of a running demo. */
export interface DemoProgress {
  readonly started: number;
  readonly instances: number;
  readonly events: number;
  readonly anomalies: number;
  /** Where the metrics are served, when `metricsPort` was given. */
  readonly metricsUrl?: string;
}

/** What became of the alerts of a run with `alertUrl`. */
export interface DemoAlerts {
  readonly url: string;
  readonly minSeverity: Severity;
  /** The outbox (SQLite): undelivered alerts wait there for the next sink opened on it. */
  readonly outbox: string;
  readonly enqueued: number;
  readonly deduplicated: number;
  readonly delivered: number;
  /** Still waiting in the outbox when the run ended (receiver down or slow). */
  readonly pending: number;
}

/** One injected fault and whether the mirror reported it with the expected cause. */
export interface FaultOutcome {
  readonly kind: string;
  readonly workflowId: string;
  readonly expectedCause: AnomalyCause;
  readonly detected: boolean;
  readonly reportedCauses: readonly AnomalyCause[];
}

/** What `wfmirror demo --json` prints. */
export interface DemoSummary {
  readonly instances: number;
  readonly completed: number;
  readonly failed: number;
  readonly events: number;
  readonly mirrorEventsApplied: number;
  readonly wallSeconds: number;
  readonly eventsPerSecond: number;
  readonly backend: string;
  readonly comparisons: { readonly rounds: number; readonly rowComparisons: number; readonly lagging: number };
  readonly anomalies: {
    readonly total: number;
    readonly bySeverity: Record<Severity, number>;
    readonly byCause: Partial<Record<AnomalyCause, number>>;
  };
  readonly faults: readonly FaultOutcome[];
  /** Anomalies on instances that had no fault injected. */
  readonly falseAlarms: number;
  readonly database: string;
  readonly reportFile: string;
  readonly errors: readonly string[];
  /** Present when `metricsPort` was given (the endpoint is closed when the demo returns). */
  readonly metricsUrl?: string;
  /** Present when `alertUrl` was given. */
  readonly alerts?: DemoAlerts;
}

/** Runs the demo and returns its summary. */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const database = join(dir, 'wfmirror.db');
  const reportFile = join(dir, 'anomalies.jsonl');
  const alertOutbox = join(dir, 'alerts.db');
  // Each demo starts from an empty history so its numbers describe this run alone.
  for (const file of [database, `${database}-wal`, `${database}-shm`, reportFile, ...sqliteFiles(alertOutbox)]) {
    rmSync(file, { force: true });
  }
  const logger = options.logger ?? SILENT;
  const log = componentLogger(logger, 'demo');
  log.info({ instances: options.instances, faults: options.faults, dir }, 'demo starting');
  const observers = await startObservers(options, alertOutbox, logger);

  const planned = options.faults ? demoFaults(options.instances) : [];
  const reports: AnomalyReport[] = [];
  const errors: string[] = [];
  const clock = new VirtualClock(DEMO_START_TIME);
  const wm = await WorkflowMirror.open({
    workflows: [order],
    activities: simulatedOrderActivities(),
    log: { kind: 'sqlite', path: database },
    clock,
    compare: { every: { events: 20_000, ms: 0 }, threshold: 0.5 },
    anomalies: { jsonl: reportFile, sinks: observers.sinks },
    faults: planned.map((p) => p.fault),
    onAnomaly: (report) => reports.push(report),
    onError: (error: WorkflowMirrorError) => {
      if (errors.length < 20) errors.push(`${error.code}: ${error.message}`);
      log.error({ err: error }, error.message);
    },
  }).catch(async (error: unknown) => {
    await observers.stop();
    await observers.alerts?.close();
    throw error;
  });
  const tracking = observers.metrics?.track(wm);

  const began = performance.now();
  let started = 0;
  const progress = () =>
    options.onProgress?.({
      started,
      instances: options.instances,
      events: wm.primary.stats.eventsAppended,
      anomalies: reports.length,
      ...(observers.server === undefined ? {} : { metricsUrl: observers.server.url }),
    });
  const ticker = options.onProgress !== undefined ? setInterval(progress, 200) : undefined;
  try {
    // A window of `concurrency` instances in flight keeps group commits large without unbounded memory.
    let next = 0;
    const worker = async () => {
      while (next < options.instances) {
        const i = next++;
        await wm.start('order', demoId(i), demoInput(i));
        if (getsDiscount(i)) await wm.signal(demoId(i), 'discount', { amount: 2.5 });
        started++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, options.instances)) }, worker));
    log.info({ started, events: wm.primary.stats.eventsAppended }, 'all instances started');
    await wm.settle();
    log.info({ events: wm.primary.stats.eventsAppended }, 'timers settled');
    await wm.compareAll();
    log.info({ rounds: wm.detector.stats.rounds, anomalies: wm.detector.stats.anomalies }, 'final comparison done');
  } catch (error) {
    tracking?.stop();
    await observers.stop();
    throw error;
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
  }
  progress();
  const wallSeconds = (performance.now() - began) / 1000;
  const stats = wm.stats();
  // The last reading is kept: a scrape after the run still sees the final counters.
  tracking?.stop();
  // Closing the pair closes its sinks: the alert sink gives pending alerts its grace to go out.
  await wm.close();
  await observers.stop();
  const alerts = observers.alertSummary();
  log.info({ wallSeconds, events: stats.primary.eventsAppended, anomalies: stats.comparisons.anomalies }, 'demo finished');

  const faulted = new Set(planned.map((p) => p.fault.workflowId));
  const faults = planned.map((p): FaultOutcome => {
    const causes = reports.filter((r) => r.workflowId === p.fault.workflowId).map((r) => r.cause);
    return {
      kind: p.fault.kind,
      workflowId: p.fault.workflowId,
      expectedCause: p.expectedCause,
      detected: causes.includes(p.expectedCause),
      reportedCauses: causes,
    };
  });
  return {
    instances: options.instances,
    completed: stats.primary.completed,
    failed: stats.primary.failed,
    events: stats.primary.eventsAppended,
    mirrorEventsApplied: stats.mirror.applied,
    wallSeconds,
    eventsPerSecond: stats.primary.eventsAppended / wallSeconds,
    backend: stats.backend,
    comparisons: {
      rounds: stats.comparisons.rounds,
      rowComparisons: stats.comparisons.rowComparisons,
      lagging: stats.comparisons.lagging,
    },
    anomalies: {
      total: stats.comparisons.anomalies,
      bySeverity: { ...stats.comparisons.bySeverity },
      byCause: { ...stats.comparisons.byCause },
    },
    faults,
    falseAlarms: reports.filter((r) => !faulted.has(r.workflowId)).length,
    database,
    reportFile,
    errors,
    ...(observers.server === undefined ? {} : { metricsUrl: observers.server.url }),
    ...(alerts === undefined ? {} : { alerts }),
  };
}

/** The default logger of {@link runDemo}: logs nothing, so a library caller's output stays its own. */
const SILENT = createLogger({ level: 'silent' });

function sqliteFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

/** The demo's optional metrics endpoint and alert sink, and the anomaly log, set up before the pair opens. */
interface DemoObservers {
  readonly sinks: AnomalySink[];
  readonly metrics: WfmirrorMetrics | undefined;
  readonly server: MetricsServer | undefined;
  readonly alerts: AlertmanagerSink | undefined;
  /** Closes the endpoint (the alert sink is closed with the pair). */
  stop(): Promise<void>;
  alertSummary(): DemoAlerts | undefined;
}

async function startObservers(options: DemoOptions, alertOutbox: string, logger: Logger): Promise<DemoObservers> {
  const metrics = options.metrics ?? (options.metricsPort === undefined ? undefined : createMetrics());
  const server =
    options.metricsPort === undefined || metrics === undefined
      ? undefined
      : await serveMetrics({ metrics, port: options.metricsPort });
  if (server !== undefined) componentLogger(logger, 'demo').info({ url: server.url }, 'metrics served');
  let alerts: AlertmanagerSink | undefined;
  if (options.alertUrl !== undefined) {
    const alertLog = componentLogger(logger, 'alert');
    try {
      alerts = new AlertmanagerSink({
        url: options.alertUrl,
        outbox: alertOutbox,
        ...(options.alertMinSeverity === undefined ? {} : { minSeverity: options.alertMinSeverity }),
        // One warning per failure streak; the retries after it are debug noise.
        onError: (error) =>
          alertLog[error instanceof AlertDeliveryError && error.attempt > 1 ? 'debug' : 'warn']({ err: error }, error.message),
      });
    } catch (error) {
      await server?.close();
      throw error;
    }
    metrics?.trackAlerts(alerts);
    alertLog.info({ url: alerts.url, minSeverity: alerts.minSeverity, outbox: alertOutbox }, 'alerts enabled');
  }
  const sinks: AnomalySink[] = [];
  if (metrics !== undefined) sinks.push(metrics.sink);
  if (alerts !== undefined) sinks.push(alerts);
  sinks.push(logSink(componentLogger(logger, 'anomaly')));
  const sink = alerts;
  return {
    sinks,
    metrics,
    server,
    alerts,
    stop: async () => {
      await server?.close();
    },
    alertSummary: () => {
      if (sink === undefined) return undefined;
      const s = sink.stats();
      return {
        url: sink.url,
        minSeverity: sink.minSeverity,
        outbox: alertOutbox,
        enqueued: s.enqueued,
        deduplicated: s.deduplicated,
        delivered: s.delivered,
        pending: s.pending,
      };
    },
  };
}
