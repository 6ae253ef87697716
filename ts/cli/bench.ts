/**
 * `wfmirror bench`: every comparison backend that runs here, on one fleet size, against the
 * memory-bandwidth roofline and the plain-loop baseline of the same run. Prints a table, writes
 * the report as JSON and as a self-contained HTML page, and with `--save-profile` a hardware
 * profile with the measured backend order (load it with `accelerator.profile` or
 * `wfmirror detect --profile`). The tool a platform team runs on a new node before choosing a profile.
 *
 * Exit codes: 0 when every backend either ran correctly or is not available here; 1 when a backend
 * that should run failed or disagreed with the reference, or none could be measured; 2 on bad usage.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { WorkflowMirrorError } from '../base-error.js';
import { BenchmarkOutputError, BenchmarkPlanError } from '../benchmark/errors.js';
import { formatBenchmarkTable } from '../benchmark/format-table.js';
import { benchmarkHtml } from '../benchmark/html-report.js';
import { type BenchmarkPlan, benchmarkPlan } from '../benchmark/plan.js';
import { type BenchmarkReport, measuredBackends } from '../benchmark/report.js';
import { runBenchmark } from '../benchmark/run-benchmark.js';
import { benchmarkProfile } from '../benchmark/save-profile.js';
import { backendSettingsOf } from '../hardware/profile-use.js';
import { resolveHardwareProfile } from '../hardware/resolve-profile.js';
import type { CommandOutput } from './detect.js';

/** Parsed command line of `bench`. */
export interface BenchArgs {
  readonly plan: BenchmarkPlan;
  readonly outJson: string;
  readonly outHtml: string;
  /** Where to write a hardware profile; none when absent. */
  readonly saveProfile: string | undefined;
  /** Print the report as JSON on stdout instead of the table. */
  readonly json: boolean;
}

export const DEFAULT_BENCH_JSON = '.wfmirror/bench.json';
export const DEFAULT_BENCH_HTML = '.wfmirror/bench.html';

function integerFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1)
    throw new BenchmarkPlanError(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

function shareFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !(n >= 0 && n <= 1))
    throw new BenchmarkPlanError(`--differing must be a share between 0 and 1, got ${JSON.stringify(text)}`);
  return n;
}

/**
 * Parses `bench`'s arguments.
 * @throws TypeError (parseArgs) on unknown or malformed flags; BenchmarkPlanError on a value out of
 *   range; UnknownBackendError on an unknown backend name
 */
export function parseBenchArgs(args: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...args],
    options: {
      rows: { type: 'string' },
      fields: { type: 'string' },
      backends: { type: 'string' },
      'time-ms': { type: 'string' },
      threads: { type: 'string' },
      differing: { type: 'string' },
      'out-json': { type: 'string' },
      'out-html': { type: 'string' },
      'save-profile': { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  const rows = integerFlag('rows', values.rows);
  const fieldCount = integerFlag('fields', values.fields);
  const timeMs = integerFlag('time-ms', values['time-ms']);
  const threads = integerFlag('threads', values.threads);
  const differingRowShare = shareFlag(values.differing);
  const backends = values.backends
    ?.split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  return {
    plan: benchmarkPlan({
      ...(rows !== undefined ? { rows } : {}),
      ...(fieldCount !== undefined ? { fieldCount } : {}),
      ...(timeMs !== undefined ? { timeMs } : {}),
      ...(threads !== undefined ? { threads } : {}),
      ...(differingRowShare !== undefined ? { differingRowShare } : {}),
      ...(backends !== undefined ? { backends } : {}),
    }),
    outJson: values['out-json'] ?? DEFAULT_BENCH_JSON,
    outHtml: values['out-html'] ?? DEFAULT_BENCH_HTML,
    saveProfile: values['save-profile'],
    json: values.json === true,
  };
}

/**
 * Writes `text` to `file`, creating its folder; returns the absolute path.
 * @throws BenchmarkOutputError when it cannot
 */
function writeFile(file: string, text: string): string {
  const path = resolve(file);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  } catch (cause) {
    throw new BenchmarkOutputError(path, { cause });
  }
  return path;
}

/** 1 when a backend that should run did not, or nothing was measured; else 0. */
export function benchExitCode(report: BenchmarkReport): number {
  if (measuredBackends(report).length === 0) return 1;
  return report.backends.some((b) => b.status === 'failed') ? 1 : 0;
}

/** Runs `wfmirror bench ARGS`; returns the exit code. `fail` reports a usage error and does not return. */
export async function runBenchCommand(
  args: readonly string[],
  fail: (message: string) => never,
  io: CommandOutput,
): Promise<number> {
  let parsed: BenchArgs;
  try {
    parsed = parseBenchArgs(args);
  } catch (error) {
    fail((error as Error).message);
  }
  const { plan } = parsed;
  try {
    const { facts, chosen } = await resolveHardwareProfile();
    if (!parsed.json)
      io.stderr(
        `benchmarking ${plan.backends.join(', ')} on ${plan.rows} rows x ${plan.fieldCount} fields, ${plan.threads} thread(s), about ${plan.timeMs} ms per case...\n`,
      );
    const report = await runBenchmark(plan, {
      machine: facts,
      settings: backendSettingsOf(chosen.profile),
      ...(parsed.json ? {} : { onProgress: (line: string) => io.stderr(`  ${line}\n`) }),
    });
    // The result is shown before any file is written, so a file that cannot be written loses nothing.
    io.stdout(parsed.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatBenchmarkTable(report)}\n\n`);
    const note = (line: string) => {
      if (!parsed.json) io.stdout(`${line}\n`);
    };
    note(`wrote ${writeFile(parsed.outJson, `${JSON.stringify(report, null, 2)}\n`)}`);
    note(`wrote ${writeFile(parsed.outHtml, benchmarkHtml(report))}`);
    if (parsed.saveProfile !== undefined) {
      const profile = benchmarkProfile(report, chosen.profile);
      note(`wrote ${writeFile(parsed.saveProfile, `${JSON.stringify(profile, null, 2)}\n`)}`);
      note(
        `  profile ${profile.name}: ${profile.backendOrder.join(' > ')} (load it with accelerator.profile or wfmirror detect --profile)`,
      );
    }
    return benchExitCode(report);
  } catch (error) {
    if (!(error instanceof WorkflowMirrorError)) throw error;
    io.stderr(`wfmirror: ${error.message}\n`);
    return 1;
  }
}
