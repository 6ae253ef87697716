import { describe, expect, it } from 'vitest';
import { callbackSink } from '../../ts/anomaly/callback-sink.js';
import type { AnomalyReport } from '../../ts/anomaly/report.js';
import { makeReport } from './fixtures.js';

describe('callbackSink', () => {
  it('calls the function with reports of at least minSeverity', async () => {
    const seen: AnomalyReport[] = [];
    const sink = callbackSink((r) => void seen.push(r), { minSeverity: 'warning' });
    sink.write(makeReport({ id: 'i', severity: 'info' }));
    sink.write(makeReport({ id: 'w', severity: 'warning' }));
    sink.write(makeReport({ id: 'c', severity: 'critical' }));
    expect(seen.map((r) => r.id)).toEqual(['w', 'c']);
  });

  it('hands back the promise of an async callback', async () => {
    const sink = callbackSink(async () => {
      throw new Error('boom');
    });
    await expect(sink.write(makeReport())).rejects.toThrow('boom');
  });

  it('checks its arguments', () => {
    expect(() => callbackSink(42 as never)).toThrow(TypeError);
    expect(() => callbackSink(() => {}, { minSeverity: 'loud' as never })).toThrow(
      /minSeverity must be one of info, warning, critical/,
    );
  });
});
