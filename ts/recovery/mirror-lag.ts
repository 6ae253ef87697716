/**
 * How far a mirror is behind its log, and whether the instances are protected at all: what an
 * operator looks at before and after a failover (the promotion gate's `maxLag` is in the same
 * unit, events). Between a promotion and the start of a fresh mirror the fleet runs unmirrored.
 */
import type { FencedLog } from '../history/event-log.js';

/** One mirror's lag behind the log. */
export interface MirrorLag {
  /** What the operator calls it, e.g. `mirror-1`. */
  readonly name: string;
  /** The last log position the mirror applied. */
  readonly position: number;
  /** The log's last durable position when asked. */
  readonly logPosition: number;
  /** Events the mirror has yet to apply (0 when caught up). */
  readonly lag: number;
  /** From a report in the log ({@link protectionStatusFromLog}): when it was written (ms, the mirror's wall clock). */
  readonly reportedAt?: number;
  /** From a report: older than the staleness limit, so the mirror may have stopped (it does not count as following). */
  readonly stale?: boolean;
}

/** Whether a fleet has a mirror beside its primary, and how far behind each is. */
export interface ProtectionStatus {
  /** The epoch the primary writes with. */
  readonly epoch: number;
  readonly logPosition: number;
  /** `unmirrored` while no mirror follows the log (after a promotion, before a fresh mirror is up). */
  readonly state: 'mirrored' | 'unmirrored';
  readonly mirrors: readonly MirrorLag[];
}

/** Something that applies a log in order and knows how far it got (a MirrorEngine does). */
export interface LogFollower {
  readonly position: number;
}

/** Reads the log's position and epoch once, and measures every named mirror against them. */
export async function protectionStatus(
  log: FencedLog,
  mirrors: readonly { readonly name: string; readonly mirror: LogFollower }[],
): Promise<ProtectionStatus> {
  const [logPosition, epoch] = await Promise.all([log.lastPosition(), log.epoch()]);
  return {
    epoch,
    logPosition,
    state: mirrors.length > 0 ? 'mirrored' : 'unmirrored',
    mirrors: mirrors.map(({ name, mirror }) => lagOf(name, mirror.position, logPosition)),
  };
}

function lagOf(name: string, position: number, logPosition: number): MirrorLag {
  return { name, position, logPosition, lag: Math.max(0, logPosition - position) };
}

/** Options of {@link protectionStatusFromLog}. */
export interface StatusFromLogOptions {
  /** A report older than this (ms) is stale: its mirror does not count as following. Default 10,000. */
  readonly staleAfterMs?: number;
  /** Now, on the same wall clock as the reports. Default Date.now(). */
  readonly now?: number;
}

/**
 * The status as another process sees it: each mirror's last position report in the log
 * (`startMirrorReports`), measured against the log's last position. `unmirrored` when no report
 * is fresh.
 */
export async function protectionStatusFromLog(log: FencedLog, options: StatusFromLogOptions = {}): Promise<ProtectionStatus> {
  const staleAfterMs = options.staleAfterMs ?? 10_000;
  const now = options.now ?? Date.now();
  const [logPosition, epoch, reports] = await Promise.all([log.lastPosition(), log.epoch(), log.mirrorPositions()]);
  const mirrors = reports.map((r) => ({
    ...lagOf(r.name, r.position, logPosition),
    reportedAt: r.time,
    stale: now - r.time > staleAfterMs,
  }));
  return { epoch, logPosition, state: mirrors.some((m) => !m.stale) ? 'mirrored' : 'unmirrored', mirrors };
}
