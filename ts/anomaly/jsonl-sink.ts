/**
 * Anomaly reports as a JSON Lines file: one report per line, appended, in write order. Easy to
 * tail, grep, ship to a log pipeline, and read back with {@link readJsonlReports}.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeReport, encodeReport, parseReport } from './codec.js';
import { AnomalySinkClosedError, InvalidAnomalyReportError, MalformedJsonlLineError } from './errors.js';
import type { AnomalyReport, Severity } from './report.js';
import { atLeast } from './severity.js';
import { type AnomalySink, resolveMinSeverity, type SeverityFilterOptions } from './sink.js';

/** Options of {@link JsonlFileSink}. */
export interface JsonlFileSinkOptions extends SeverityFilterOptions {
  /** The buffer is written out once it holds more than this many bytes (UTF-16 length, close enough); default 64 KiB. 0 writes every report at once. */
  readonly bufferBytes?: number;
}

/** Default buffer size: large enough that one write covers hundreds of reports, small enough to bound loss on a crash. */
const DEFAULT_BUFFER_BYTES = 64 * 1024;

/**
 * Sinks with unwritten lines. One `exit` listener for all of them (not one per sink, which
 * would trip Node's listener-leak warning) writes out what a program forgot to flush or close:
 * `appendFileSync` still works inside an `exit` handler.
 */
const unflushed = new Set<JsonlFileSink>();
let exitHookInstalled = false;

function flushAllOnExit(): void {
  for (const sink of unflushed) {
    try {
      sink.flushSync();
    } catch {
      // Nowhere left to report it; the other sinks still get their chance.
    }
  }
}

/**
 * Appends one JSON line per report to `path` (parent directories are created). Lines are
 * buffered and written with `appendFileSync` when the buffer passes `bufferBytes`, on
 * `flush()`, on `close()`, and at process exit; being synchronous, the writes keep their order
 * and a resolved `close()` means every report is in the file.
 */
export class JsonlFileSink implements AnomalySink {
  /** The file written to. */
  readonly path: string;
  private readonly bufferBytes: number;
  private readonly min: Severity;
  private buffer: string[] = [];
  private bufferedChars = 0;
  private closed = false;

  constructor(path: string, options: JsonlFileSinkOptions = {}) {
    if (typeof path !== 'string' || path === '') throw new TypeError('JsonlFileSink path must be a non-empty string');
    const bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
    if (!Number.isInteger(bufferBytes) || bufferBytes < 0) {
      throw new TypeError(`JsonlFileSink options.bufferBytes must be an integer >= 0 (got ${String(bufferBytes)})`);
    }
    this.path = path;
    this.bufferBytes = bufferBytes;
    this.min = resolveMinSeverity(options, 'JsonlFileSink options.minSeverity');
    // Create the directory now, so a bad path fails at construction rather than at the first flush.
    mkdirSync(dirname(path), { recursive: true });
  }

  /**
   * Buffers one report. It is checked first, so the file never holds a line that
   * {@link readJsonlReports} would refuse; an invalid report throws {@link InvalidAnomalyReportError}.
   */
  write(report: AnomalyReport): void {
    if (this.closed) throw new AnomalySinkClosedError(`JsonlFileSink(${this.path})`);
    if (!atLeast(report.severity, this.min)) return;
    const line = `${encodeReport(parseReport(report))}\n`;
    this.buffer.push(line);
    this.bufferedChars += line.length;
    unflushed.add(this);
    if (!exitHookInstalled) {
      process.once('exit', flushAllOnExit);
      exitHookInstalled = true;
    }
    if (this.bufferedChars > this.bufferBytes) this.flushSync();
  }

  /** Writes out the buffer now, synchronously. If the write fails the lines stay buffered and the error is thrown. */
  flushSync(): void {
    if (this.buffer.length === 0) return;
    appendFileSync(this.path, this.buffer.join(''));
    this.buffer = [];
    this.bufferedChars = 0;
    unflushed.delete(this);
  }

  /** Writes out the buffer; resolves once the lines are in the file. */
  async flush(): Promise<void> {
    this.flushSync();
  }

  /** Flushes and refuses further writes. Calling it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flushSync();
    this.closed = true;
  }
}

/**
 * Reads every report of a JSONL file, checking each. Blank lines are skipped. A line that is
 * not JSON or not a valid report throws {@link MalformedJsonlLineError} with its 1-based line
 * number (the underlying `SyntaxError` or {@link InvalidAnomalyReportError} is its `cause`).
 */
export function readJsonlReports(path: string): AnomalyReport[] {
  const text = readFileSync(path, 'utf8');
  const reports: AnomalyReport[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim(); // trim also drops the '\r' of a file edited on Windows
    if (line === '') continue;
    try {
      reports.push(decodeReport(line));
    } catch (err) {
      const problem =
        err instanceof SyntaxError
          ? `not valid JSON (${err.message})`
          : err instanceof InvalidAnomalyReportError
            ? err.message
            : String(err);
      throw new MalformedJsonlLineError(path, i + 1, problem, { cause: err });
    }
  }
  return reports;
}
