import { describe, expect, it, vi } from 'vitest';
import { WrongExpectedSeqError } from '../../ts/history/errors.js';
import { MemoryEventLog } from '../../ts/history/memory-event-log.js';
import { describeEventLog } from './event-log-suite.js';
import { someEvents } from './fixtures.js';

describeEventLog('MemoryEventLog', () => ({
  open: (options) => new MemoryEventLog(options),
  cleanup: () => {},
}));

describe('MemoryEventLog', () => {
  it('appendSync stores and delivers before it returns', () => {
    const log = new MemoryEventLog();
    const seen: number[] = [];
    log.subscribe((events) => seen.push(...events.map((e) => e.pos)));
    expect(log.appendSync('a', 0, someEvents(3)).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(seen).toEqual([1, 2, 3]);
    expect(log.size).toBe(3);
    expect(() => log.appendSync('a', 0, someEvents(1))).toThrow(WrongExpectedSeqError);
  });

  it('prints only the first listener error by default', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const log = new MemoryEventLog();
      log.subscribe(() => {
        throw new Error('boom');
      });
      await log.append('a', 0, someEvents(1));
      await log.append('a', 1, someEvents(1));
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('does not deliver the current batch to a listener subscribed during delivery', () => {
    const log = new MemoryEventLog();
    const late: number[] = [];
    log.subscribe(() => {
      log.subscribe((events) => late.push(...events.map((e) => e.seq)));
    });
    log.appendSync('a', 0, someEvents(1));
    expect(late).toEqual([]);
  });
});
