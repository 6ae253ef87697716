import { describe, expect, it } from 'vitest';
import { logProblems } from '../../ts/history/log-problems.js';
import type { HistoryEvent } from '../../ts/index.js';

let pos = 0;
const event = (workflowId: string, seq: number, type: HistoryEvent['type'], payload: unknown = {}): HistoryEvent =>
  ({ workflowId, seq, pos: ++pos, type, time: 0, payload }) as HistoryEvent;

const clean = (id: string): HistoryEvent[] => [
  event(id, 1, 'WorkflowStarted', { workflowType: 'order', input: null }),
  event(id, 2, 'ActivityScheduled', { activity: 'charge', input: null }),
  event(id, 3, 'TimerStarted', { durationMs: 1, fireAt: 1, name: 'dispatch' }),
  event(id, 4, 'ActivityCompleted', { scheduledSeq: 2, result: null }),
  event(id, 5, 'TimerFired', { startedSeq: 3 }),
  event(id, 6, 'WorkflowCompleted', { result: null }),
];

describe('logProblems', () => {
  it('finds nothing in a clean log', () => {
    expect(logProblems([...clean('a'), ...clean('b')])).toEqual([]);
  });

  it('names an outcome written twice, one never written, one for no command, a gap, and a second end', () => {
    const twice = [...clean('a').slice(0, 4), event('a', 5, 'ActivityCompleted', { scheduledSeq: 2, result: null })];
    expect(logProblems(twice, false)).toEqual(['a: command 2 settled 2 times']);
    expect(logProblems(clean('b').slice(0, 3), true)).toEqual(
      expect.arrayContaining(['b: command 2 never settled', 'b: 0 ends']),
    );
    expect(logProblems([...clean('c').slice(0, 1), event('c', 2, 'TimerFired', { startedSeq: 9 })], false)).toEqual([
      'c: an outcome for command 9, which was never issued',
    ]);
    expect(logProblems([event('d', 1, 'WorkflowStarted'), event('d', 3, 'WorkflowCompleted')], false)).toEqual([
      'd: seq 3 at place 2',
    ]);
    expect(logProblems([...clean('e'), event('e', 7, 'WorkflowFailed', { error: 'x' })])).toEqual(['e: 2 ends']);
  });
});
