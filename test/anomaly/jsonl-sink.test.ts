import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AnomalySinkClosedError, InvalidAnomalyReportError, MalformedJsonlLineError } from '../../ts/anomaly/errors.js';
import { JsonlFileSink, readJsonlReports } from '../../ts/anomaly/jsonl-sink.js';
import { makeReport, manyReports, tempDir } from './fixtures.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});
function dir(): string {
  const t = tempDir('jsonl');
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('JsonlFileSink', () => {
  it('round-trips many reports in write order, creating directories, with close and no explicit flush', async () => {
    const path = join(dir(), 'nested', 'deeper', 'anomalies.jsonl');
    const reports = manyReports(5000); // ~2.5 MB: passes the 64 KiB buffer many times
    const sink = new JsonlFileSink(path);
    for (const r of reports) sink.write(r);
    await sink.close();
    expect(readJsonlReports(path)).toEqual(reports);
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(reports.length + 1); // one line each, final newline
  });

  it('buffers until the threshold or a flush', async () => {
    const path = join(dir(), 'a.jsonl');
    const sink = new JsonlFileSink(path, { bufferBytes: 10_000 });
    sink.write(makeReport({ id: 'one' }));
    expect(() => readFileSync(path)).toThrow(); // nothing written yet
    await sink.flush();
    expect(readJsonlReports(path).map((r) => r.id)).toEqual(['one']);
    for (let i = 0; i < 40; i++) sink.write(makeReport({ id: `b${i}` }));
    expect(readJsonlReports(path).length).toBeGreaterThan(1); // passed 10 000 bytes: written without a flush
    await sink.close();
    expect(readJsonlReports(path)).toHaveLength(41);
  });

  it('appends to an existing file and filters by severity', async () => {
    const path = join(dir(), 'a.jsonl');
    const first = new JsonlFileSink(path);
    first.write(makeReport({ id: 'x' }));
    await first.close();
    const second = new JsonlFileSink(path, { minSeverity: 'warning' });
    second.write(makeReport({ id: 'info', severity: 'info' }));
    second.write(makeReport({ id: 'warn', severity: 'warning' }));
    await second.close();
    expect(readJsonlReports(path).map((r) => r.id)).toEqual(['x', 'warn']);
  });

  it('refuses writes after close and invalid reports, and close twice is harmless', async () => {
    const sink = new JsonlFileSink(join(dir(), 'a.jsonl'));
    expect(() => sink.write({ ...makeReport(), deviation: Number.NaN })).toThrow(InvalidAnomalyReportError);
    await sink.close();
    await sink.close();
    expect(() => sink.write(makeReport())).toThrow(AnomalySinkClosedError);
  });

  it('checks its options', () => {
    expect(() => new JsonlFileSink(join(dir(), 'a'), { bufferBytes: -1 })).toThrow(/options\.bufferBytes/);
    expect(() => new JsonlFileSink(join(dir(), 'a'), { minSeverity: 'loud' as never })).toThrow(/options\.minSeverity/);
  });
});

describe('readJsonlReports', () => {
  it('names the line of a malformed report', async () => {
    const path = join(dir(), 'a.jsonl');
    const sink = new JsonlFileSink(path);
    for (const r of manyReports(3)) sink.write(r);
    await sink.close();
    appendFileSync(path, '\n{"id": "torn", "workflowId"\n');
    try {
      readJsonlReports(path);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MalformedJsonlLineError);
      const e = err as MalformedJsonlLineError;
      expect(e.line).toBe(5); // 3 reports, a blank line, then the torn one
      expect(e.code).toBe('MALFORMED_JSONL_LINE');
      expect(e.message).toContain(`${path}:5:`);
      expect(e.cause).toBeInstanceOf(SyntaxError);
    }
  });

  it('names the line of valid JSON that is not a report', () => {
    const path = join(dir(), 'a.jsonl');
    writeFileSync(path, `${JSON.stringify(makeReport())}\r\n${JSON.stringify({ ...makeReport(), severity: 'fatal' })}\n`);
    expect(() => readJsonlReports(path)).toThrow(MalformedJsonlLineError);
    try {
      readJsonlReports(path);
    } catch (err) {
      expect((err as MalformedJsonlLineError).line).toBe(2);
      expect((err as Error).message).toMatch(/severity is not a known severity/);
      expect((err as Error).cause).toBeInstanceOf(InvalidAnomalyReportError);
    }
  });
});
