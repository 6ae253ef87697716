/**
 * The demo's failover: the primary runs the order fleet in a child process on the SQLite log while
 * a mirror in this process follows the log; mid-run the child is killed (SIGKILL), the failure
 * detector sees its heartbeats stop, the mirror is promoted and finishes the run, and a fresh
 * mirror is started from the promoted side's checkpoint. The summary puts the promotion's time
 * next to a full replay of the same history, and checks the end against an uncrashed run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import { assetPath } from '../assets.js';
import { SystemClock } from '../clock/system-clock.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import { CATCH_UP_CHUNK, catchUp } from '../engine/catch-up.js';
import { FleetRegistry } from '../engine/fleet.js';
import { MirrorEngine } from '../engine/mirror-engine.js';
import { PrimaryEngine } from '../engine/primary-engine.js';
import { logProblems } from '../history/log-problems.js';
import { MemoryEventLog } from '../history/memory-event-log.js';
import { SqliteEventLog } from '../history/sqlite-event-log.js';
import { FailureDetector } from '../recovery/failure-detector.js';
import { startMirrorFromCheckpoint } from '../recovery/fresh-mirror.js';
import { type ProtectionStatus, protectionStatusFromLog } from '../recovery/mirror-lag.js';
import { startMirrorReports } from '../recovery/mirror-reports.js';
import { type PromotionReport, promote } from '../recovery/promote.js';
import { DEMO_START_TIME, demoId, demoInput, getsDiscount } from './demo-faults.js';

/** Options of {@link runFailoverDemo}. */
export interface FailoverDemoOptions {
  readonly instances: number;
  /** Folder for the failover's database (its own, beside the demo's). */
  readonly dir: string;
  /** Share of the run's events after which the primary is killed. Default 0.5. */
  readonly killAt?: number;
  /** The primary's heartbeat interval and the detector's timeout (ms). Defaults 50 and 250. */
  readonly beatMs?: number;
  readonly deadAfterMs?: number;
  /** Called at each step with a line for people. */
  readonly onStep?: (line: string) => void;
}

/** What `wfmirror demo` reports of the failover. */
export interface FailoverSummary {
  readonly instances: number;
  readonly database: string;
  /** Events in the log when the primary was killed, and at the end of the run. */
  readonly eventsAtKill: number;
  readonly eventsAtEnd: number;
  /** From the kill to the detector's "dead" (the last beat, before the kill, plus the timeout). */
  readonly detectionMs: number;
  /**
   * The heartbeats' silence when the detector said "dead": more than `deadAfterMs`, and at least
   * `detectionMs`, since the last beat came before the kill (sooner than one interval before it
   * only when the primary's beat timer ran late, as on a loaded machine).
   */
  readonly silentAtDetectionMs: number;
  readonly deadAfterMs: number;
  /** The promotion's report, without the new primary itself. */
  readonly promotion: Omit<PromotionReport, 'primary'>;
  /** The history the promotion took over (log position), and a fresh mirror replaying all of it. */
  readonly historyEvents: number;
  readonly fullReplayMs: number;
  /** fullReplayMs / promotion.durationMs. */
  readonly speedUp: number;
  /** Restoring a new mirror from the promoted side's checkpoint, and what it applied to catch up. */
  readonly freshMirror: { readonly startMs: number; readonly restoredAt: number; readonly caughtUp: number };
  /** Requests the client sent again to the new primary (starts and signals the old one never logged). */
  readonly resent: { readonly starts: number; readonly signals: number };
  readonly status: {
    readonly beforeKill: ProtectionStatus;
    readonly afterPromotion: ProtectionStatus;
    readonly afterFreshMirror: ProtectionStatus;
    readonly atEnd: ProtectionStatus;
  };
  readonly check: {
    /** Instances whose final status and state equal an uncrashed run's. */
    readonly matchingFinalStates: number;
    /** Instances whose fresh mirror ended at the primary's seq, status and state. */
    readonly mirrorAgrees: number;
    /** What is wrong with the log (gaps, an activity settled twice or never, a second completion): empty when right. */
    readonly logProblems: readonly string[];
  };
}

/** Thrown when the demo's failover cannot run (its primary process missing or gone early). */
export class FailoverDemoError extends Error {
  override readonly name = 'FailoverDemoError';
}

/** How often mirror-1 reads the log before the kill (ms). */
const FOLLOW_MS = 20;
/** How often the mirrors report their positions to the log (ms). */
const REPORT_MS = 200;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Runs the failover (see the module comment). */
export async function runFailoverDemo(options: FailoverDemoOptions): Promise<FailoverSummary> {
  const step = options.onStep ?? (() => undefined);
  const beatMs = options.beatMs ?? 50;
  const deadAfterMs = options.deadAfterMs ?? 250;
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const database = join(dir, 'failover.db');
  for (const file of [database, `${database}-wal`, `${database}-shm`]) rmSync(file, { force: true });

  const reference = await uncrashedRun(options.instances);
  const killAt = Math.max(1, Math.floor(reference.events * (options.killAt ?? 0.5)));
  const script = assetPath('dist/ts/cli/failover-primary.js');
  if (!existsSync(script)) throw new FailoverDemoError(`the failover's primary is not built: ${script} (npm run build)`);
  const child = spawn(process.execPath, [script, database, String(options.instances), String(beatMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let log: SqliteEventLog | undefined;
  try {
    await untilReady(child);
    log = SqliteEventLog.open({ path: database, busyTimeoutMs: 2_000 });
    // After the promotion the new primary writes the primary side of the fleets mirror-1 replays into.
    const mirror = new MirrorEngine({ fleets: new FleetRegistry([order]) });
    // Each mirror reports its position to the log, where the status below (and `wfmirror status`
    // from any process) reads it.
    const mirror1Reports = startMirrorReports({ log, name: 'mirror-1', mirror, intervalMs: REPORT_MS });
    const status = async () => protectionStatusFromLog(log!);
    step(`primary running in process ${child.pid}; mirror-1 follows the log in this one`);

    // Follow the log until the kill point: the mirror reads every FOLLOW_MS, as a follower in
    // another process polls, while the kill point is watched more closely; the kill then finds
    // the mirror behind by what the primary wrote since its last read.
    let lastRead = 0;
    for (;;) {
      if (performance.now() - lastRead >= FOLLOW_MS) {
        mirror.apply(await log.readRange(mirror.position, CATCH_UP_CHUNK));
        lastRead = performance.now();
      }
      if ((await log.lastPosition()) >= killAt) break;
      if (child.exitCode !== null) throw new FailoverDemoError('the primary finished before the kill point');
      await sleep(2);
    }
    await mirror1Reports.reportNow();
    const beforeKill = await status();
    child.kill('SIGKILL');
    const killedAt = performance.now();
    await exited;
    const eventsAtKill = await log.lastPosition();
    step(
      `SIGKILL to the primary at ${eventsAtKill.toLocaleString('en-US')} events (mirror-1 ${beforeKill.mirrors[0]!.lag} behind)`,
    );

    const detector = new FailureDetector({ log, clock: new SystemClock(), timeoutMs: deadAfterMs });
    let verdict = await detector.check();
    while (verdict.state !== 'dead') {
      await sleep(5);
      verdict = await detector.check();
    }
    const detectionMs = performance.now() - killedAt;
    step(
      `primary declared dead ${detectionMs.toFixed(0)} ms after the kill (no heartbeat for ${verdict.silentForMs.toFixed(0)} ms)`,
    );

    // The new primary's virtual clock continues from the last time the history records.
    const last = (await log.readRange(eventsAtKill - 1, 1))[0];
    const clock = new VirtualClock(last?.time ?? DEMO_START_TIME);
    const report = await promote({
      log,
      mirror,
      activities: simulatedOrderActivities(),
      clock,
      expectedEpoch: 0,
    });
    const historyEvents = mirror.position;
    await mirror1Reports.stop({ forget: true }); // mirror-1 is the primary now
    const afterPromotion = await status();
    step(`mirror-1 promoted in ${report.durationMs.toFixed(2)} ms (epoch ${report.epoch}); running unmirrored`);

    const freshStarted = performance.now();
    const fresh = await startMirrorFromCheckpoint({ log, checkpoints: mirror.checkpoint(), fleets: new FleetRegistry([order]) });
    const freshMs = performance.now() - freshStarted;
    const mirror2Reports = startMirrorReports({ log, name: 'mirror-2', mirror: fresh.mirror, intervalMs: REPORT_MS });
    await mirror2Reports.reportNow();
    const afterFreshMirror = await status();
    step(`mirror-2 started from the promoted side's checkpoint in ${freshMs.toFixed(1)} ms`);

    const resent = await resendClientRequests(report.primary, log, options.instances);
    await report.primary.whenIdle();
    while (clock.fireNext()) await report.primary.whenIdle();
    await mirror2Reports.reportNow();
    const atEnd = await status();
    // mirror-2's last report stays in the log: `wfmirror status` shows where it stopped.
    await mirror2Reports.stop();
    fresh.stop();

    const replayStarted = performance.now();
    await catchUp(log, new MirrorEngine({ fleets: new FleetRegistry([order]) }), historyEvents);
    const fullReplayMs = performance.now() - replayStarted;
    step(`full replay of the same ${historyEvents.toLocaleString('en-US')} events: ${fullReplayMs.toFixed(1)} ms`);

    let matchingFinalStates = 0;
    let mirrorAgrees = 0;
    for (const instance of report.primary.allInstances()) {
      const expected = reference.states.get(instance.workflowId);
      if (expected !== undefined && same(expected, { status: instance.status, state: instance.state })) matchingFinalStates++;
      const twin = fresh.mirror.instance(instance.workflowId);
      if (
        twin !== undefined &&
        twin.seq === instance.seq &&
        same({ status: twin.status, state: twin.state }, { status: instance.status, state: instance.state })
      )
        mirrorAgrees++;
    }
    const all = await log.readRange(0, Number.POSITIVE_INFINITY);
    return {
      instances: options.instances,
      database,
      eventsAtKill,
      eventsAtEnd: all.length,
      detectionMs,
      silentAtDetectionMs: verdict.silentForMs,
      deadAfterMs,
      promotion: withoutPrimary(report),
      historyEvents,
      fullReplayMs,
      speedUp: fullReplayMs / report.durationMs,
      freshMirror: { startMs: freshMs, restoredAt: fresh.restoredAt, caughtUp: fresh.caughtUp },
      resent,
      status: { beforeKill, afterPromotion, afterFreshMirror, atEnd },
      check: { matchingFinalStates, mirrorAgrees, logProblems: logProblems(all) },
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await log?.close();
  }
}

/** Final statuses and states of the same fleet run without a crash (in memory), and its event count. */
async function uncrashedRun(instances: number): Promise<{ states: Map<string, unknown>; events: number }> {
  const log = new MemoryEventLog();
  const clock = new VirtualClock(DEMO_START_TIME);
  const primary = new PrimaryEngine({ log, fleets: new FleetRegistry([order]), activities: simulatedOrderActivities(), clock });
  for (let i = 0; i < instances; i++) {
    await primary.start('order', demoId(i), demoInput(i));
    if (getsDiscount(i)) await primary.signal(demoId(i), 'discount', { amount: 2.5 });
  }
  await primary.whenIdle();
  while (clock.fireNext()) await primary.whenIdle();
  const states = new Map<string, unknown>();
  for (const instance of primary.allInstances())
    states.set(instance.workflowId, { status: instance.status, state: { ...instance.state } });
  const events = await log.lastPosition();
  await log.close();
  return { states, events };
}

/**
 * What the demo's client does when its primary is replaced: sends again what the old one never
 * logged (starts of instances it never began, discount signals it never recorded).
 */
async function resendClientRequests(
  primary: PrimaryEngine,
  log: SqliteEventLog,
  instances: number,
): Promise<{ starts: number; signals: number }> {
  let starts = 0;
  let signals = 0;
  for (let i = 0; i < instances; i++) {
    const id = demoId(i);
    if (primary.instance(id) === undefined) {
      await primary.start('order', id, demoInput(i));
      starts++;
      if (getsDiscount(i)) {
        await primary.signal(id, 'discount', { amount: 2.5 });
        signals++;
      }
    } else if (getsDiscount(i) && !(await log.readInstance(id)).some((e) => e.type === 'SignalReceived')) {
      await primary.signal(id, 'discount', { amount: 2.5 });
      signals++;
    }
  }
  return { starts, signals };
}

function withoutPrimary(report: PromotionReport): Omit<PromotionReport, 'primary'> {
  const { primary: _, ...rest } = report;
  return rest;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function untilReady(child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  return new Promise((done, fail) => {
    let seen = '';
    const timer = setTimeout(
      () => fail(new FailoverDemoError(`the failover's primary did not start in ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes('ready\n')) {
        clearTimeout(timer);
        done();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new FailoverDemoError(`the failover's primary exited (${String(code)}) before it was ready`));
    });
  });
}
