import { describe, expect, it } from 'vitest';
import { decodeReport, encodeReport, parseReport } from '../../ts/anomaly/codec.js';
import { InvalidAnomalyReportError } from '../../ts/anomaly/errors.js';
import { makeReport } from './fixtures.js';

describe('report codec', () => {
  it('round-trips a report', () => {
    const report = makeReport();
    expect(decodeReport(encodeReport(report))).toEqual(report);
  });

  it('keeps infinite numbers that plain JSON would turn into null', () => {
    const report = makeReport({
      deviation: Number.POSITIVE_INFINITY,
      fields: [
        {
          name: 'total',
          primary: Number.POSITIVE_INFINITY,
          mirror: -1,
          contribution: Number.POSITIVE_INFINITY,
          share: Number.NaN,
          reason: 'numeric',
        },
        // A categorical value that happens to read "Infinity" stays a string.
        { name: 'status', primary: 'Infinity', mirror: 'new', contribution: 100, share: 0, reason: 'categorical' },
        { name: 'paid', primary: null, mirror: 3, contribution: 1e6, share: 0, reason: 'missing' },
      ],
    });
    const back = decodeReport(encodeReport(report));
    expect(back.deviation).toBe(Number.POSITIVE_INFINITY);
    expect(back.fields[0]!.primary).toBe(Number.POSITIVE_INFINITY);
    expect(back.fields[0]!.share).toBeNaN();
    expect(back.fields[1]!.primary).toBe('Infinity');
    expect(back.fields[2]!.primary).toBeNull();
  });

  it('names the bad property', () => {
    const bad = (patch: Record<string, unknown>): unknown => ({ ...makeReport(), ...patch });
    const cases: [Record<string, unknown>, string][] = [
      [{ severity: 'fatal' }, 'severity'],
      [{ cause: 'gremlins' }, 'cause'],
      [{ seq: 1.5 }, 'seq'],
      [{ id: '' }, 'id'],
      [{ deviation: 'NaN' }, 'deviation'],
      [{ detectedAt: null }, 'detectedAt'],
      [{ fields: {} }, 'fields'],
      [{ fields: [{ name: 'x', primary: {}, mirror: 1, contribution: 1, share: 1, reason: 'numeric' }] }, 'fields[0].primary'],
      [{ fields: [{ name: 'x', primary: 1, mirror: 1, contribution: 1, share: 1, reason: 'weird' }] }, 'fields[0].reason'],
    ];
    for (const [patch, path] of cases) {
      try {
        parseReport(bad(patch));
        expect.unreachable(`accepted ${JSON.stringify(patch)}`);
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidAnomalyReportError);
        expect((err as InvalidAnomalyReportError).path).toBe(path);
        expect((err as InvalidAnomalyReportError).code).toBe('INVALID_ANOMALY_REPORT');
      }
    }
    expect(() => parseReport([])).toThrow(InvalidAnomalyReportError);
  });
});
