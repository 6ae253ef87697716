#!/usr/bin/env node
/** The `wfmirror` command. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { InvalidAlertOptionsError } from '../alert/errors.js';
import { isSeverity } from '../anomaly/severity.js';
import { MetricsServerError } from '../observe/errors.js';
import { createLogger, isLogLevel, LOG_LEVELS } from '../observe/logger.js';
import { runBenchCommand } from './bench.js';
import { runCalibrateCommand } from './calibrate.js';
import { type DemoOptions, type DemoProgress, runDemo } from './demo.js';
import { runFailoverDemo } from './demo-failover.js';
import { runDetectCommand } from './detect.js';
import { failoverHeld, formatFailover } from './format-failover.js';
import { formatSummary } from './format-summary.js';
import { MIRROR_NODE_HELP, PRIMARY_NODE_HELP, runMirrorNodeCommand, runPrimaryNodeCommand } from './node-roles.js';
import { runReportCommand } from './report.js';
import { runStatusCommand } from './status.js';
import { runWhatIfCommand } from './whatif.js';

const HELP = `wfmirror: adaptive workflow state mirroring

usage:
  wfmirror demo [--instances N] [--dir DIR] [--no-faults] [--no-failover] [--concurrency N] [--json]
                [--metrics-port PORT] [--alert-url URL] [--alert-min-severity info|warning|critical]
                [--log-level LEVEL]
      Runs N order workflows (default 10,000) on the embedded SQLite log under DIR
      (default ./.wfmirror) with a mirror beside the primary, injects one fault of each
      kind, and prints a summary (--json: the summary as JSON on stdout). Then a failover:
      the same fleet's primary runs in a child process and is killed mid-run, its mirror
      is promoted and finishes the run; shows recovery time vs a full replay and the lag
      per mirror (--no-failover: skip it).
      --metrics-port serves Prometheus metrics at http://127.0.0.1:PORT/metrics while the demo
      runs (0: any free port). --alert-url POSTs anomaly reports at or above
      --alert-min-severity (default warning) to an Alertmanager v2 URL (e.g.
      http://localhost:9093/api/v2/alerts); undelivered ones wait in DIR/alerts.db and are
      resent. --log-level trace|debug|info|warn|error|fatal|silent: structured logs on stderr
      (JSON lines, or readable lines on a terminal).
${PRIMARY_NODE_HELP}${MIRROR_NODE_HELP}  wfmirror status --redis URL [--prefix P] [--stale-ms N] [--json]
      A deployment of primary and mirror nodes (docs/DEPLOYMENT.md), read from Redis: per
      shard, the stream's length, the mirror and primary groups' lag (not delivered) and
      pending (not acknowledged), and the nodes. Exits 1 when a shard has no running mirror node.
  wfmirror status [--db FILE] [--json] [--stale-ms N] [--dead-after-ms N]
                  [--predict [--limit N] | --instance ID]
      Reads an event log (default .wfmirror/wfmirror.db; the demo's failover writes
      .wfmirror/failover.db): its epoch and last position, the primary's last heartbeat,
      and each mirror's last reported position and lag in events. Exits 1 when no mirror
      reported within --stale-ms (default 10,000): the fleet runs unmirrored.
      --predict replays the log with lead mode (the demo's order workflow) and shows, for
      the first --limit (default 10) running instances or for --instance ID, what each
      waits for, the predicted results with how sure they are, and the predicted changes.
  wfmirror report [--db FILE | --jsonl FILE] [--out FILE] [--top N] [--by instance|shard [--shards N]]
                  [--log FILE]... [--serve [--port N]]
      Turns an anomaly store (default .wfmirror/wfmirror.db; --jsonl: a JSONL file of reports)
      into one self-contained HTML page (default .wfmirror/report.html): deviation over time per
      instance or shard, affected fields by instance, counts by severity and cause, the top N
      (default 10) divergent instances field by field, and recovery events from the event logs
      (the input and failover.db beside it; --log: these instead). --serve serves it at
      http://127.0.0.1:PORT/ (default 8477, 0: any free port), reloading as the store changes.
  wfmirror whatif --hypothesis FILE [--db FILE] [--backend NAME] [--json]
      Replays an event log of the demo's order workflow (default .wfmirror/wfmirror.db) into
      a mirror and runs the hypothesis in FILE on a fork: one instance ({"workflowType":
      "order", "instance": "order-000042", "fromSeq": 3, "events": [...]}) or every instance
      with an activity or timer open ({"workflowType": "order", "whenOpen": "dispatch",
      "events": [{"type": "TimerFired", "timer": "dispatch"}]}). Events: ActivityCompleted
      {activity, result}, ActivityFailed {activity, error}, TimerFired {timer}, SignalReceived
      {name, payload}. Prints the steps or the deviating instances; nothing is written.
  wfmirror detect [--json] [--profile FILE]...
      Reads this machine (WebAssembly SIMD, WebGPU adapter, cores, memory), says which
      hardware profiles match and why, and which one is chosen with its backend order
      (--json: the same as JSON; --profile: also consider this profile file).
  wfmirror calibrate [--out FILE] [--fields N] [--max-rows N] [--samples N] [--backends a,b] [--json]
      Times every comparison backend that runs here on batches up to N rows (default
      1,048,576) of 32 fields, finds the batch size from which a GPU backend beats the CPU,
      and writes a hardware profile (default .wfmirror/hardware-profile.json) to load with
      accelerator.profile or wfmirror detect --profile.
  wfmirror bench [--rows N] [--fields N] [--backends a,b] [--time-ms N] [--threads N] [--differing SHARE]
                 [--out-json FILE] [--out-html FILE] [--save-profile FILE] [--json]
      Times every comparison backend that runs here (default 262,144 rows x 32 fields, about
      2 s per case) against the memory-bandwidth roofline and a plain-loop baseline of the same
      run; prints rows/s, GB/s, % of roofline and x vs baseline; writes .wfmirror/bench.json and
      a self-contained .wfmirror/bench.html; --save-profile writes a hardware profile with the
      measured backend order. Exits 1 when a backend fails or disagrees with the reference.
  wfmirror --version
  wfmirror --help
`;

function fail(message: string): never {
  process.stderr.write(`wfmirror: ${message}\n\n${HELP}`);
  process.exit(2);
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

async function demo(args: string[]): Promise<void> {
  let parsed: ReturnType<typeof parseDemoArgs>;
  try {
    parsed = parseDemoArgs(args);
  } catch (error) {
    fail((error as Error).message);
  }
  const { values } = parsed;
  const json = values.json === true;
  const showProgress = !json || process.stderr.isTTY;
  const onProgress = showProgress
    ? (p: DemoProgress) => {
        const metrics = p.metricsUrl === undefined ? '' : `  metrics ${p.metricsUrl}`;
        const line = `started ${p.started.toLocaleString('en-US')}/${p.instances.toLocaleString('en-US')}  events ${p.events.toLocaleString('en-US')}  anomalies ${p.anomalies}${metrics}`;
        if (process.stderr.isTTY) process.stderr.write(`\r${line}\x1b[K`);
        else process.stderr.write(`${line}\n`);
      }
    : undefined;
  const instances = positiveInt('instances', values.instances, 10_000);
  const dir = values.dir ?? '.wfmirror';
  const observe = demoObserveOptions(values);
  let summary: Awaited<ReturnType<typeof runDemo>>;
  try {
    summary = await runDemo({
      instances,
      dir,
      faults: values['no-faults'] !== true,
      concurrency: positiveInt('concurrency', values.concurrency, 1_000),
      ...(onProgress !== undefined ? { onProgress } : {}),
      ...observe,
    });
  } catch (error) {
    // Options only the run itself can check (a port in use, an alert URL it cannot use): usage errors.
    if (error instanceof InvalidAlertOptionsError || error instanceof MetricsServerError) fail(error.message);
    throw error;
  }
  if (process.stderr.isTTY && showProgress) process.stderr.write('\n');
  const failover =
    values['no-failover'] === true
      ? undefined
      : await runFailoverDemo({
          instances,
          dir,
          ...(showProgress ? { onStep: (line: string) => process.stderr.write(`failover: ${line}\n`) } : {}),
        });
  if (json) process.stdout.write(`${JSON.stringify({ ...summary, failover }, null, 2)}\n`);
  else process.stdout.write(`${formatSummary(summary)}\n${failover === undefined ? '' : `\n${formatFailover(failover)}\n`}`);
  const missed = summary.faults.filter((f) => !f.detected).length;
  if (missed > 0 || summary.falseAlarms > 0 || (failover !== undefined && !failoverHeld(failover))) process.exitCode = 1;
}

/** The demo's metrics, alert and log options from its flags (usage errors end the command). */
function demoObserveOptions(values: ReturnType<typeof parseDemoArgs>['values']): Partial<DemoOptions> {
  const options: { -readonly [K in keyof DemoOptions]?: DemoOptions[K] } = {};
  const port = values['metrics-port'];
  if (port !== undefined) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 0 || n > 65_535)
      fail(`--metrics-port must be an integer from 0 to 65535, got ${JSON.stringify(port)}`);
    options.metricsPort = n;
  }
  if (values['alert-url'] !== undefined) options.alertUrl = values['alert-url'];
  const severity = values['alert-min-severity'];
  if (severity !== undefined) {
    if (!isSeverity(severity)) fail(`--alert-min-severity must be info, warning or critical, got ${JSON.stringify(severity)}`);
    options.alertMinSeverity = severity;
  }
  const level = values['log-level'];
  if (level !== undefined) {
    if (!isLogLevel(level)) fail(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
    // Only when asked: log lines would break up the progress line on a terminal.
    options.logger = createLogger({ level });
  }
  return options;
}

function parseDemoArgs(args: string[]) {
  return parseArgs({
    args,
    options: {
      instances: { type: 'string' },
      dir: { type: 'string' },
      'no-faults': { type: 'boolean' },
      'no-failover': { type: 'boolean' },
      concurrency: { type: 'string' },
      json: { type: 'boolean' },
      'metrics-port': { type: 'string' },
      'alert-url': { type: 'string' },
      'alert-min-severity': { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      return demo(rest);
    case 'status':
      process.exitCode = await runStatusCommand(rest, fail, (text) => process.stdout.write(text));
      return;
    case 'primary-node':
    case 'mirror-node':
      // A node closes its connections, timers and workers before it returns: exit rather than
      // wait on a stray handle (the exit code says how the node ended).
      return process.exit(await (command === 'primary-node' ? runPrimaryNodeCommand : runMirrorNodeCommand)(rest, fail));
    case 'report':
      process.exitCode = await runReportCommand(rest, fail, (text) => process.stdout.write(text));
      return;
    case 'whatif':
      process.exitCode = await runWhatIfCommand(rest, fail, (text) => process.stdout.write(text));
      return;
    case 'detect':
      process.exitCode = await runDetectCommand(rest, fail);
      return;
    case 'bench':
      process.exitCode = await runBenchCommand(rest, fail, {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      });
      return;
    case 'calibrate':
      process.exitCode = await runCalibrateCommand(rest, fail, {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      });
      return;
    case '--version':
    case '-v':
      process.stdout.write(`${version()}\n`);
      return;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(HELP);
      return;
    default:
      fail(`unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`wfmirror: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
