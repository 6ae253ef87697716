import { describe, expect, it } from 'vitest';
import { consoleSink, formatReportLine } from '../../ts/anomaly/console-sink.js';
import { makeReport } from './fixtures.js';

function collector(): { lines: string[]; stream: { write(text: string): boolean } } {
  const lines: string[] = [];
  return {
    lines,
    stream: {
      write(text: string) {
        lines.push(text);
        return true;
      },
    },
  };
}

describe('consoleSink', () => {
  it('prints one line with severity, cause, ids, deviation and both values of the top fields', () => {
    const { lines, stream } = collector();
    const sink = consoleSink({ stream });
    sink.write(makeReport());
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(line).toContain('CRITICAL');
    expect(line).toContain('unexpected-activity-result');
    expect(line).toContain('order-42@17');
    expect(line).toContain('(order)');
    expect(line).toContain('deviation=1005');
    expect(line).toContain('threshold=5');
    expect(line).toContain('total 99.5 -> 98.5');
    expect(line).toContain('status "paid" -> "new" (99%)');
    // Largest contribution first.
    expect(line.indexOf('status')).toBeLessThan(line.indexOf('total'));
    expect(line).toContain('| charge returned 98.5, the log holds 99.5');
  });

  it('drops reports below minSeverity', () => {
    const { lines, stream } = collector();
    const sink = consoleSink({ stream, minSeverity: 'warning' });
    sink.write(makeReport({ severity: 'info', id: 'quiet' }));
    sink.write(makeReport({ severity: 'warning', id: 'loud' }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('WARNING');
  });

  it('limits the fields shown, shows missing values, and keeps values apart that rounding would merge', () => {
    const line = formatReportLine(
      makeReport({
        detail: 'two\nlines',
        fields: [
          { name: 'big', primary: 1e12 + 0.01, mirror: 1e12, contribution: 5, share: 0.5, reason: 'numeric' },
          { name: 'gone', primary: null, mirror: true, contribution: 4, share: 0.4, reason: 'missing' },
          { name: 'small', primary: 1, mirror: 2, contribution: 1, share: 0.1, reason: 'numeric' },
        ],
      }),
      2,
    );
    expect(line).toContain('big 1000000000000.01 -> 1000000000000');
    expect(line).toContain('gone missing -> true');
    expect(line).not.toContain('small');
    expect(line).toContain('(+1 more)');
    expect(line).toContain('| two lines');
  });

  it('defaults to process.stderr', () => {
    const original = process.stderr.write;
    const seen: string[] = [];
    process.stderr.write = ((text: string) => {
      seen.push(text);
      return true;
    }) as typeof process.stderr.write;
    try {
      consoleSink().write(makeReport());
    } finally {
      process.stderr.write = original;
    }
    expect(seen.join('')).toContain('order-42@17');
  });
});
