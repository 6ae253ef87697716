/** Sends every report to several sinks, so that one broken sink never silences the others. */
import { AnomalySinkClosedError } from './errors.js';
import type { AnomalyReport } from './report.js';
import type { AnomalySink } from './sink.js';

/** Which call of a sink failed. */
export type SinkPhase = 'write' | 'flush' | 'close';

/**
 * Told about each failure of a sink: the error, the sink's index in the list given to
 * {@link AnomalyFanout}, the report being written (`undefined` for `flush` / `close`), and the phase.
 */
export type SinkErrorHandler = (error: unknown, sinkIndex: number, report: AnomalyReport | undefined, phase: SinkPhase) => void;

/** Options of {@link AnomalyFanout}. */
export interface AnomalyFanoutOptions {
  /** Default: one line on stderr for the first failure of each sink; later ones are only counted (see {@link AnomalyFanout.errorCounts}), so a dead sink does not flood the log. */
  readonly onSinkError?: SinkErrorHandler;
}

/**
 * An {@link AnomalySink} that forwards to several sinks. A sink that throws, or whose promise
 * rejects, is reported to `onSinkError` and does not stop the others; `write`, `flush` and
 * `close` of the fan-out itself never fail because of a sink. `write` returns a promise only
 * when some sink returned one, so all-synchronous sinks stay synchronous.
 */
export class AnomalyFanout implements AnomalySink {
  private readonly sinks: readonly AnomalySink[];
  private readonly onSinkError: SinkErrorHandler;
  private readonly errors: number[];
  private closed = false;

  constructor(sinks: readonly AnomalySink[], options: AnomalyFanoutOptions = {}) {
    if (!Array.isArray(sinks)) throw new TypeError('AnomalyFanout sinks must be an array');
    sinks.forEach((sink: unknown, i) => {
      if (typeof (sink as AnomalySink | null)?.write !== 'function') {
        throw new TypeError(`AnomalyFanout sinks[${i}] must have a write(report) method`);
      }
    });
    if (options.onSinkError !== undefined && typeof options.onSinkError !== 'function') {
      throw new TypeError('AnomalyFanout options.onSinkError must be a function');
    }
    this.sinks = [...sinks];
    this.errors = sinks.map(() => 0);
    this.onSinkError = options.onSinkError ?? ((error, i, report, phase) => this.logFirstError(error, i, report, phase));
  }

  /** How many failures each sink has had so far, by index. */
  get errorCounts(): readonly number[] {
    return [...this.errors];
  }

  /** Forwards `report` to every sink, in order. */
  write(report: AnomalyReport): void | Promise<void> {
    if (this.closed) throw new AnomalySinkClosedError('AnomalyFanout');
    const waits: Promise<void>[] = [];
    this.sinks.forEach((sink, i) => {
      const wait = this.guard(i, report, 'write', () => sink.write(report));
      if (wait !== undefined) waits.push(wait);
    });
    if (waits.length > 0) return Promise.all(waits).then(() => undefined);
  }

  /** Flushes every sink that can be flushed, all at once; resolves when all are done. */
  async flush(): Promise<void> {
    await this.all('flush');
  }

  /** Closes every sink that can be closed; later writes throw. Calling it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.all('close');
  }

  private async all(phase: 'flush' | 'close'): Promise<void> {
    await Promise.all(this.sinks.map((sink, i) => this.guard(i, undefined, phase, () => sink[phase]?.())));
  }

  /**
   * Runs one sink call. A synchronous throw is reported at once; a returned promise is given a
   * handler that reports its rejection, so the promise handed back never rejects.
   */
  private guard(
    i: number,
    report: AnomalyReport | undefined,
    phase: SinkPhase,
    call: () => void | Promise<void> | undefined,
  ): Promise<void> | undefined {
    let result: void | Promise<void> | undefined;
    try {
      result = call();
    } catch (err) {
      this.report(err, i, report, phase);
      return undefined;
    }
    if (result === undefined || typeof (result as { then?: unknown }).then !== 'function') return undefined;
    return Promise.resolve(result).then(
      () => undefined,
      (err: unknown) => this.report(err, i, report, phase),
    );
  }

  private report(error: unknown, i: number, report: AnomalyReport | undefined, phase: SinkPhase): void {
    this.errors[i] = (this.errors[i] ?? 0) + 1;
    try {
      this.onSinkError(error, i, report, phase);
    } catch {
      // A failing error handler must not turn into the failure of the other sinks it guards.
    }
  }

  private logFirstError(error: unknown, i: number, report: AnomalyReport | undefined, phase: SinkPhase): void {
    if (this.errors[i] !== 1) return;
    const what = report === undefined ? phase : `${phase} of report ${report.id}`;
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`[anomaly] sink ${i} failed (${what}); later failures of this sink are not logged: ${message}\n`);
  }
}
