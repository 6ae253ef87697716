/**
 * `wfmirror report`: turns an anomaly store (the SQLite default or a JSONL file) into one
 * self-contained HTML page (ts/report), or with `--serve` serves it on localhost, rebuilt as the
 * store changes, while a run goes on.
 */
import { parseArgs } from 'node:util';
import { WorkflowMirrorError } from '../base-error.js';
import { writeReport } from '../report/build.js';
import type { ReportInputKind } from '../report/load.js';
import type { SeriesGrouping } from '../report/series.js';
import { type ReportServer, serveReport } from '../report/serve.js';

/** Default input: the demo's and WorkflowMirror's default database, where the store sits beside the log. */
export const DEFAULT_REPORT_INPUT = '.wfmirror/wfmirror.db';
export const DEFAULT_REPORT_OUT = '.wfmirror/report.html';
/** Default port of `--serve`. */
export const DEFAULT_REPORT_PORT = 8477;

/** Options of {@link runReportCommand} for callers other than the CLI (tests). */
export interface ReportCommandOptions {
  /** Stops `--serve` when aborted; by default SIGINT or SIGTERM stops it. */
  readonly signal?: AbortSignal;
  /** Told the server once it listens (before the command waits for the stop). */
  readonly onServing?: (server: ReportServer) => void;
}

/**
 * Runs `wfmirror report`; returns the exit code (0). Bad arguments or input go to `fail` with a
 * clear message; with `--serve` the returned promise settles when the server is stopped.
 */
export async function runReportCommand(
  args: string[],
  fail: (message: string) => never,
  write: (text: string) => void,
  options: ReportCommandOptions = {},
): Promise<number> {
  let values: {
    db?: string;
    jsonl?: string;
    out?: string;
    serve?: boolean;
    port?: string;
    top?: string;
    by?: string;
    shards?: string;
    log?: string[];
  };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        db: { type: 'string' },
        jsonl: { type: 'string' },
        out: { type: 'string' },
        serve: { type: 'boolean' },
        port: { type: 'string' },
        top: { type: 'string' },
        by: { type: 'string' },
        shards: { type: 'string' },
        log: { type: 'string', multiple: true },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.db !== undefined && values.jsonl !== undefined) fail('give --db or --jsonl, not both');
  const integer = (name: string, raw: string | undefined, min: number, max: number): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      fail(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const top = integer('top', values.top, 1, 1_000);
  const shards = integer('shards', values.shards, 1, 4_096);
  const port = integer('port', values.port, 0, 65_535);
  if (values.by !== undefined && values.by !== 'instance' && values.by !== 'shard') {
    fail(`--by must be instance or shard, got ${JSON.stringify(values.by)}`);
  }
  const by = values.by as SeriesGrouping | undefined;
  if (shards !== undefined && by !== 'shard') fail('--shards goes with --by shard');
  if (port !== undefined && values.serve !== true) fail('--port goes with --serve');

  const input = values.db ?? values.jsonl ?? DEFAULT_REPORT_INPUT;
  const kind: ReportInputKind | 'auto' = values.db !== undefined ? 'sqlite' : values.jsonl !== undefined ? 'jsonl' : 'auto';
  const report = {
    input,
    kind,
    ...(values.log !== undefined ? { logs: values.log } : {}),
    ...(top !== undefined ? { top } : {}),
    ...(by !== undefined ? { by } : {}),
    ...(shards !== undefined ? { shards } : {}),
  };

  try {
    if (values.serve !== true || values.out !== undefined) {
      const out = values.out ?? DEFAULT_REPORT_OUT;
      const { data } = writeReport({ ...report, out });
      const s = data.counts.bySeverity;
      write(
        `wrote ${out}: ${data.counts.total} anomalies on ${data.summary.instances} instances (critical ${s.critical}, warning ${s.warning}, info ${s.info}); ${data.recovery.events.length} recovery events from ${data.recovery.logs.length} event logs\n`,
      );
    }
    if (values.serve !== true) return 0;
    const server = await serveReport({
      ...report,
      port: port ?? DEFAULT_REPORT_PORT,
      onError: (error) => write(`report: rebuild failed: ${(error as Error).message}\n`),
    });
    write(`serving the report of ${input} at ${server.url} (reloads as the store changes; Ctrl-C to stop)\n`);
    options.onServing?.(server);
    await stopped(options.signal);
    await server.close();
    return 0;
  } catch (error) {
    if (error instanceof WorkflowMirrorError) fail(error.message);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      fail(`port ${port ?? DEFAULT_REPORT_PORT} is in use (try --port 0 for any free port)`);
    throw error;
  }
}

/** Resolves when `signal` aborts, or without one, on SIGINT or SIGTERM. */
function stopped(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal !== undefined) {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
