/**
 * Promotion: the mirror becomes the primary. It is already warm (its state is the history's up to
 * `position`), so taking over is a short sync, not a replay:
 * 1. refuse (before touching anything) when an instance to take over has shown non-determinism,
 *    unless forced;
 * 2. catch up on the log's tail, and claim the next epoch: from then on the old primary's
 *    appends are refused (fencing), so the tail read after the claim is the final one;
 * 3. check the mirror's outstanding commands against the log's (optional; see
 *    {@link PromoteOptions.verifyOutstanding}): where they differ the log wins, and the report
 *    names the instance;
 * 4. hand every running instance to a new PrimaryEngine writing with the new epoch, which resumes
 *    what the history leaves open (each outstanding activity once, with its idempotency key;
 *    timers at their recorded time; commands issued but never appended).
 */
import type { WorkflowMirrorError } from '../base-error.js';
import type { Clock } from '../clock/clock.js';
import type { ActivityImplementations } from '../engine/activity-runner.js';
import { catchUp } from '../engine/catch-up.js';
import type { Command } from '../engine/commands.js';
import { FleetDeltas, type FleetRegistry } from '../engine/fleet.js';
import type { MirrorEngine, MirrorInstance } from '../engine/mirror-engine.js';
import { PrimaryEngine } from '../engine/primary-engine.js';
import { EpochConflictError } from '../history/errors.js';
import type { FencedLog } from '../history/event-log.js';
import { type HistoryEvent, isClosingEvent } from '../history/events.js';
import { PromotionConflictError, PromotionIncompleteError, PromotionRefusedError } from './errors.js';

/** Options of {@link promote}. */
export interface PromoteOptions {
  readonly log: FencedLog;
  /** The mirror to promote. */
  readonly mirror: MirrorEngine;
  /**
   * The fleets whose primary matrices the new primary writes. Default: the mirror's own
   * (`mirror.fleets`), so both sides of each fleet stay in one registry, comparable as before.
   */
  readonly fleets?: FleetRegistry;
  /** The activity implementations the new primary executes with. */
  readonly activities: ActivityImplementations;
  readonly clock: Clock;
  /** The epoch the old primary wrote with (the log's current one); the promotion claims the next. */
  readonly expectedEpoch: number;
  /** A previous attempt's claimed epoch (PromotionIncompleteError.epoch): the claim is not made again. */
  readonly claimedEpoch?: number;
  /** Only these instances (one, or a shard); default every instance the mirror holds. The fencing is log-wide. */
  readonly workflowIds?: readonly string[];
  /** Promote even if the mirror found non-determinism in instances it takes over. Default false. */
  readonly force?: boolean;
  /** A mirror lagging more events than this is caught up before the claim, and the report says so. Default 1,000. */
  readonly maxLag?: number;
  /**
   * Reads each running instance's history and checks that the commands the mirror holds as
   * outstanding (scheduled activities without an outcome, started timers not fired) are exactly
   * those the log leaves open. Where they are not, the log's set is resumed and the instance is
   * listed in {@link PromotionReport.outstandingMismatches}. Costs one history read per running
   * instance: default true when `workflowIds` names the instances (one, or a shard), false for a
   * whole primary (whose mirror derived its sets from the same events it applied).
   */
  readonly verifyOutstanding?: boolean;
  /** Errors of the new primary no caller waits for. */
  readonly onError?: (error: WorkflowMirrorError) => void;
}

/** What a promotion did. */
export interface PromotionReport {
  /** The new primary, running. */
  readonly primary: PrimaryEngine;
  /** The epoch it writes with. */
  readonly epoch: number;
  /** Events of the tail the mirror applied (before and after the claim). */
  readonly tailEvents: number;
  /** State fields the tail changed in the mirror's matrices. */
  readonly fieldsChanged: number;
  /** The mirror was behind by more than `maxLag` events and was caught up before the claim. */
  readonly caughtUpFirst: boolean;
  /** Instances handed to the new primary (running ones resumed, finished ones carried as they are). */
  readonly instances: number;
  /** Outstanding commands resumed: activities re-run with their idempotency key, timers set again. */
  readonly resumedActivities: number;
  readonly resumedTimers: number;
  /** Command events appended for commands the old primary issued but never wrote. */
  readonly unissuedCommands: number;
  /** Instances whose outstanding commands were read from the log (restored from a checkpoint). */
  readonly outstandingReadFromLog: number;
  /** Running instances whose outstanding commands were checked against the log (verifyOutstanding). */
  readonly outstandingVerified: number;
  /** Instances where the mirror's outstanding commands differed from the log's (the log's were resumed). */
  readonly outstandingMismatches: readonly string[];
  /** Wall time of the promotion (ms, performance.now()). */
  readonly durationMs: number;
}

const NONE: readonly HistoryEvent[] = Object.freeze([]);
const NONE_ISSUED: readonly Command[] = Object.freeze([]);

/**
 * Promotes `mirror` (see the module comment).
 * @throws PromotionRefusedError (nothing done); PromotionConflictError when another promotion
 *   claimed the log first (nothing done); EventLogUnavailableError when the log fails before the
 *   claim (nothing done: retry); PromotionIncompleteError when it fails after the claim.
 */
export async function promote(options: PromoteOptions): Promise<PromotionReport> {
  const started = performance.now();
  const { log, mirror } = options;
  const inScope = scope(mirror, options.workflowIds);
  if (options.force !== true) {
    const suspect = inScope.filter((i) => i.nonDeterministic).map((i) => i.workflowId);
    if (suspect.length > 0) throw new PromotionRefusedError(suspect);
  }
  // A tracker of its own, so the mirror's delta mark (someone's replication) is left where it is.
  const drift = new FleetDeltas(mirror.fleets, 'mirror');
  drift.mark();
  // Catch up while the old primary may still write: the tail after the claim is then short.
  const before = await catchUp(log, mirror);
  const caughtUpFirst = before > (options.maxLag ?? 1_000);

  let epoch: number;
  if (options.claimedEpoch !== undefined) {
    epoch = options.claimedEpoch;
  } else {
    try {
      epoch = await log.claimEpoch(options.expectedEpoch);
    } catch (error) {
      if (error instanceof EpochConflictError) throw new PromotionConflictError(error.expected, error.actual, error);
      throw error;
    }
  }
  try {
    const after = await catchUp(log, mirror);
    const fieldsChanged = drift.take().reduce((sum, d) => sum + d.fields.length, 0);
    const primary = new PrimaryEngine({
      log,
      fleets: options.fleets ?? mirror.fleets,
      activities: options.activities,
      clock: options.clock,
      epoch,
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    });
    let resumedActivities = 0;
    let resumedTimers = 0;
    let unissuedCommands = 0;
    let outstandingReadFromLog = 0;
    let outstandingVerified = 0;
    const outstandingMismatches: string[] = [];
    const verify = options.verifyOutstanding ?? options.workflowIds !== undefined;
    // Re-read the scope: the tail may have started instances.
    const instances = scope(mirror, options.workflowIds);
    for (const instance of instances) {
      let outstanding: readonly HistoryEvent[] = instance.outstanding ?? NONE;
      if (!instance.outstandingKnown && instance.status === 'running') {
        outstanding = outstandingFromHistory(await log.readInstance(instance.workflowId));
        outstandingReadFromLog++;
      } else if (verify && instance.status === 'running') {
        const fromLog = outstandingFromHistory(await log.readInstance(instance.workflowId));
        outstandingVerified++;
        if (!sameCommands(outstanding, fromLog)) {
          outstandingMismatches.push(instance.workflowId);
          outstanding = fromLog;
        }
      }
      const unissued =
        instance.expectedHead < instance.expected.length ? instance.expected.slice(instance.expectedHead) : NONE_ISSUED;
      for (const event of outstanding) {
        if (event.type === 'ActivityScheduled') resumedActivities++;
        else resumedTimers++;
      }
      unissuedCommands += unissued.length;
      primary.adopt({
        workflowId: instance.workflowId,
        workflowType: instance.compiled.name,
        state: instance.state,
        seq: instance.seq,
        status: instance.status,
        startedFingerprint: instance.startedFingerprint,
        outstanding,
        unissued: unissued.length > 0 ? { triggerTime: instance.triggerTime, commands: unissued } : undefined,
      });
    }
    return {
      primary,
      epoch,
      tailEvents: before + after,
      fieldsChanged,
      caughtUpFirst,
      instances: instances.length,
      resumedActivities,
      resumedTimers,
      unissuedCommands,
      outstandingReadFromLog,
      outstandingVerified,
      outstandingMismatches,
      durationMs: performance.now() - started,
    };
  } catch (error) {
    throw new PromotionIncompleteError(epoch, error);
  }
}

function scope(mirror: MirrorEngine, workflowIds: readonly string[] | undefined): MirrorInstance[] {
  if (workflowIds === undefined) return [...mirror.allInstances()];
  const found: MirrorInstance[] = [];
  for (const id of workflowIds) {
    const instance = mirror.instance(id);
    if (instance !== undefined) found.push(instance);
  }
  return found;
}

/** Whether two sets of outstanding command events name the same events (by seq; order aside). */
function sameCommands(a: readonly HistoryEvent[], b: readonly HistoryEvent[]): boolean {
  if (a.length !== b.length) return false;
  const seqs = new Set(a.map((e) => `${e.type}:${e.seq}`));
  return b.every((e) => seqs.has(`${e.type}:${e.seq}`));
}

/** The command events of a history still without their outcome. */
export function outstandingFromHistory(history: readonly HistoryEvent[]): HistoryEvent[] {
  const open = new Map<number, HistoryEvent>();
  for (const event of history) {
    if (event.type === 'ActivityScheduled' || event.type === 'TimerStarted') open.set(event.seq, event);
    else if (event.type === 'ActivityCompleted' || event.type === 'ActivityFailed') open.delete(event.payload.scheduledSeq);
    else if (event.type === 'TimerFired') open.delete(event.payload.startedSeq);
    else if (isClosingEvent(event.type)) open.clear();
  }
  return [...open.values()];
}
