/**
 * `wfmirror demo`: runs a fleet of order workflows on the embedded SQLite log, with a mirror
 * beside the primary, injects one fault of each kind, and summarises what the mirror found.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import type { AnomalyCause, AnomalyReport, Severity } from '../anomaly/report.js';
import type { WorkflowMirrorError } from '../base-error.js';
import { VirtualClock } from '../clock/virtual-clock.js';
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
}

/** Progress of a running demo. */
export interface DemoProgress {
  readonly started: number;
  readonly instances: number;
  readonly events: number;
  readonly anomalies: number;
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
}

/** Runs the demo and returns its summary. */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const database = join(dir, 'wfmirror.db');
  const reportFile = join(dir, 'anomalies.jsonl');
  // Each demo starts from an empty history so its numbers describe this run alone.
  for (const file of [database, `${database}-wal`, `${database}-shm`, reportFile]) rmSync(file, { force: true });

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
    anomalies: { jsonl: reportFile },
    faults: planned.map((p) => p.fault),
    onAnomaly: (report) => reports.push(report),
    onError: (error: WorkflowMirrorError) => {
      if (errors.length < 20) errors.push(`${error.code}: ${error.message}`);
    },
  });

  const began = performance.now();
  let started = 0;
  const progress = () =>
    options.onProgress?.({
      started,
      instances: options.instances,
      events: wm.primary.stats.eventsAppended,
      anomalies: reports.length,
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
    await wm.settle();
    await wm.compareAll();
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
  }
  progress();
  const wallSeconds = (performance.now() - began) / 1000;
  const stats = wm.stats();
  await wm.close();

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
  };
}
