/**
 * What is wrong with a finished run's log, if anything: the demo's failover and the crash test
 * check their logs with it (an outcome lost or written twice across a crash would show here).
 */
import { type HistoryEvent, isClosingEvent } from './events.js';

/**
 * Per instance: seqs 1, 2, 3, ... in log order; every scheduled activity settled exactly once;
 * every started timer fired exactly once; at most one WorkflowCompleted or WorkflowFailed, and
 * exactly one when `finished` is true. Empty when all hold.
 */
export function logProblems(events: readonly HistoryEvent[], finished = true): string[] {
  const found: string[] = [];
  const byId = new Map<string, HistoryEvent[]>();
  for (const e of events) {
    const history = byId.get(e.workflowId);
    if (history === undefined) byId.set(e.workflowId, [e]);
    else history.push(e);
  }
  for (const [id, history] of byId) {
    const opened = new Map<number, number>();
    let ends = 0;
    history.forEach((e, k) => {
      if (e.seq !== k + 1) found.push(`${id}: seq ${e.seq} at place ${k + 1}`);
      if (e.type === 'ActivityScheduled' || e.type === 'TimerStarted') opened.set(e.seq, 0);
      else if (e.type === 'ActivityCompleted' || e.type === 'ActivityFailed') settle(opened, e.payload.scheduledSeq, id, found);
      else if (e.type === 'TimerFired') settle(opened, e.payload.startedSeq, id, found);
      else if (isClosingEvent(e.type)) ends++;
    });
    for (const [seq, outcomes] of opened) {
      if (outcomes > 1) found.push(`${id}: command ${seq} settled ${outcomes} times`);
      if (outcomes === 0 && finished) found.push(`${id}: command ${seq} never settled`);
    }
    if (ends > 1 || (finished && ends === 0)) found.push(`${id}: ${ends} ends`);
  }
  return found;
}

function settle(opened: Map<number, number>, seq: number, id: string, found: string[]): void {
  const outcomes = opened.get(seq);
  if (outcomes === undefined) found.push(`${id}: an outcome for command ${seq}, which was never issued`);
  else opened.set(seq, outcomes + 1);
}
