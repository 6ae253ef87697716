import { describe, expect, it, vi } from 'vitest';
import { callbackSink } from '../../ts/anomaly/callback-sink.js';
import { AnomalySinkClosedError } from '../../ts/anomaly/errors.js';
import { AnomalyFanout, type SinkErrorHandler } from '../../ts/anomaly/fanout.js';
import type { AnomalyReport } from '../../ts/anomaly/report.js';
import type { AnomalySink } from '../../ts/anomaly/sink.js';
import { manyReports } from './fixtures.js';

/** A sink that records what it gets, after an optional delay. */
function recorder(delayMs = 0): AnomalySink & { got: string[]; flushed: number; closed: number } {
  const sink = {
    got: [] as string[],
    flushed: 0,
    closed: 0,
    write(report: AnomalyReport): void | Promise<void> {
      if (delayMs === 0) {
        sink.got.push(report.id);
        return;
      }
      return new Promise<void>((resolve) =>
        setTimeout(() => {
          sink.got.push(report.id);
          resolve();
        }, delayMs),
      );
    },
    async flush() {
      sink.flushed++;
    },
    async close() {
      sink.closed++;
    },
  };
  return sink;
}

describe('AnomalyFanout', () => {
  it('isolates a sink that throws and one that rejects; the others get every report', async () => {
    const before = recorder();
    const after = recorder(1);
    const throwing: AnomalySink = {
      write() {
        throw new Error('sync boom');
      },
      flush() {
        throw new Error('flush boom');
      },
    };
    const rejecting: AnomalySink = {
      async write() {
        throw new Error('async boom');
      },
      async close() {
        throw new Error('close boom');
      },
    };
    const errors: [string, number, string | undefined, string][] = [];
    const onSinkError: SinkErrorHandler = (err, i, report, phase) => errors.push([(err as Error).message, i, report?.id, phase]);
    const fanout = new AnomalyFanout([before, throwing, rejecting, after], { onSinkError });
    const reports = manyReports(20);
    for (const r of reports) await fanout.write(r);
    const ids = reports.map((r) => r.id);
    expect(before.got).toEqual(ids);
    expect(after.got).toEqual(ids);
    expect(errors.filter(([, i]) => i === 1)).toEqual(ids.map((id) => ['sync boom', 1, id, 'write']));
    expect(errors.filter(([, i]) => i === 2)).toEqual(ids.map((id) => ['async boom', 2, id, 'write']));
    expect(fanout.errorCounts).toEqual([0, 20, 20, 0]);

    await fanout.flush();
    expect(before.flushed).toBe(1);
    expect(after.flushed).toBe(1);
    expect(errors.at(-1)).toEqual(['flush boom', 1, undefined, 'flush']);
    await fanout.close();
    await fanout.close();
    expect(before.closed).toBe(1);
    expect(after.closed).toBe(1);
    expect(errors.at(-1)).toEqual(['close boom', 2, undefined, 'close']);
    expect(() => fanout.write(reports[0]!)).toThrow(AnomalySinkClosedError);
  });

  it('stays synchronous with synchronous sinks and never rejects', async () => {
    const a = recorder();
    const fanout = new AnomalyFanout([a, callbackSink(() => {})], { onSinkError: () => {} });
    expect(fanout.write(manyReports(1)[0]!)).toBeUndefined();
    const failing = new AnomalyFanout([callbackSink(() => Promise.reject(new Error('no')))], { onSinkError: () => {} });
    await expect(failing.write(manyReports(1)[0]!)).resolves.toBeUndefined();
  });

  it('survives an error handler that throws', async () => {
    const a = recorder();
    const fanout = new AnomalyFanout(
      [
        callbackSink(() => {
          throw new Error('x');
        }),
        a,
      ],
      {
        onSinkError: () => {
          throw new Error('handler broke');
        },
      },
    );
    fanout.write(manyReports(1)[0]!);
    expect(a.got).toHaveLength(1);
  });

  it('by default logs the first failure of each sink once to stderr', async () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const bad = callbackSink(() => {
        throw new Error('down');
      });
      const fanout = new AnomalyFanout([bad, recorder(), bad]);
      for (const r of manyReports(5)) fanout.write(r);
      const lines = spy.mock.calls.map(([text]) => String(text));
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/sink 0 failed \(write of report r-000000\).*down/s);
      expect(lines[1]).toMatch(/sink 2 failed/);
      expect(fanout.errorCounts).toEqual([5, 0, 5]);
    } finally {
      spy.mockRestore();
    }
  });

  it('checks its arguments', () => {
    expect(() => new AnomalyFanout([{} as AnomalySink])).toThrow(/sinks\[0\] must have a write/);
    expect(() => new AnomalyFanout([], { onSinkError: 1 as never })).toThrow(/onSinkError must be a function/);
  });
});
