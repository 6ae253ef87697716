/** Renders the demo's failover for people: the timeline, recovery vs replay, lag per mirror, the checks. */
import type { ProtectionStatus } from '../recovery/mirror-lag.js';
import type { FailoverSummary } from './demo-failover.js';
import { table } from './format-summary.js';

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;

/** One status row per mirror, or one saying nothing mirrors the fleet. */
function statusRows(moment: string, status: ProtectionStatus): string[][] {
  if (status.mirrors.length === 0) return [[moment, '(none)', 'unmirrored', '-', number.format(status.logPosition), '-']];
  return status.mirrors.map((m) => [
    moment,
    m.name,
    status.state,
    number.format(m.position),
    number.format(m.logPosition),
    number.format(m.lag),
  ]);
}

/** The failover section of the demo's output. */
export function formatFailover(f: FailoverSummary): string {
  const p = f.promotion;
  const out: string[] = ['failover (primary in a child process, killed with SIGKILL mid-run)', ''];
  out.push(
    table(
      ['step', 'value'],
      [
        ['events in the log at the kill', number.format(f.eventsAtKill)],
        [
          'kill to "dead" (heartbeats silent)',
          `${ms(f.detectionMs)} (last beat ${ms(f.silentAtDetectionMs)} before; timeout ${number.format(f.deadAfterMs)} ms)`,
        ],
        ['promotion (sync, claim, hand-over)', ms(p.durationMs)],
        ['  tail applied / fields it changed', `${number.format(p.tailEvents)} / ${number.format(p.fieldsChanged)}`],
        ['  instances taken over', number.format(p.instances)],
        ['  activities re-run with their key', number.format(p.resumedActivities)],
        ['  timers set again', number.format(p.resumedTimers)],
        ['full replay of the same history', `${ms(f.fullReplayMs)} (${number.format(f.historyEvents)} events)`],
        ['recovery speed-up over replay', `${f.speedUp.toFixed(1)}x`],
        [
          'fresh mirror from checkpoint',
          `${ms(f.freshMirror.startMs)} (caught up ${number.format(f.freshMirror.caughtUp)} events)`,
        ],
        ['client requests sent again', `${number.format(f.resent.starts)} starts, ${number.format(f.resent.signals)} signals`],
        ['events in the log at the end', number.format(f.eventsAtEnd)],
      ],
    ),
  );
  out.push('');
  out.push('lag per mirror');
  out.push(
    table(
      ['when', 'mirror', 'state', 'applied', 'log', 'lag (events)'],
      [
        ...statusRows('before the kill', f.status.beforeKill),
        ...statusRows('after promotion', f.status.afterPromotion),
        ...statusRows('fresh mirror up', f.status.afterFreshMirror),
        ...statusRows('end of run', f.status.atEnd),
      ],
    ),
  );
  out.push('');
  const c = f.check;
  out.push(
    `final states equal to an uncrashed run: ${number.format(c.matchingFinalStates)} of ${number.format(f.instances)}; fresh mirror agrees on ${number.format(c.mirrorAgrees)}; log problems: ${c.logProblems.length === 0 ? 'none' : c.logProblems.slice(0, 5).join('; ')}`,
  );
  out.push(`failover database: ${f.database}`);
  return out.join('\n');
}

/** True when the failover ended as it must: every instance as uncrashed, mirrored again, a clean log. */
export function failoverHeld(f: FailoverSummary): boolean {
  return f.check.matchingFinalStates === f.instances && f.check.mirrorAgrees === f.instances && f.check.logProblems.length === 0;
}
