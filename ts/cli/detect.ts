/**
 * `wfmirror detect`: what this machine is, how each hardware profile fares against it, and which
 * one (with which backend order) the comparator would use. Read-only; exits 0 unless a profile
 * file named with `--profile` is unusable.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../assets.js';
import { WorkflowMirrorError } from '../base-error.js';
import type { BackendName, ProbeResult } from '../compare/backend.js';
import { probeBackends } from '../compare/backend-registry.js';
import type { DetectOptions } from '../hardware/detect.js';
import type { RuleOutcome } from '../hardware/match-profile.js';
import { cpuBackendOf, isGpuBackend } from '../hardware/profile-use.js';
import { resolveHardwareProfile } from '../hardware/resolve-profile.js';
import type { GpuPrecision, MachineFacts } from '../hardware/types.js';

/** One profile as `detect` reports it. */
export interface DetectedProfile {
  readonly name: string;
  readonly file: string;
  readonly builtIn: boolean;
  readonly priority: number;
  readonly matched: boolean;
  readonly rules: readonly RuleOutcome[];
}

/** The chosen profile and what it decides. */
export interface ChosenProfile {
  readonly name: string;
  readonly file: string;
  readonly reasons: readonly string[];
  readonly backendOrder: readonly BackendName[];
  /** Where batches below `crossoverRows` go. */
  readonly cpuBackend: BackendName;
  readonly crossoverRows: number;
  readonly precision: GpuPrecision;
  readonly workgroupSize: number;
  /** `null`: one per available core. */
  readonly workers: number | null;
  readonly minRowsPerWorker: number;
  /** When `wfmirror calibrate` measured it; `null` when its choices are expected, not measured. */
  readonly measuredAt: string | null;
}

/** One comparison backend's probe, as `detect` reports it. */
export interface DetectedBackend {
  readonly name: BackendName;
  readonly available: boolean;
  /** What it found (available) or why it cannot run. */
  readonly detail: string;
}

/** Everything `wfmirror detect --json` prints. */
export interface DetectReport {
  readonly machine: MachineFacts;
  /** Every backend of the registry and whether it can run here. */
  readonly backends: readonly DetectedBackend[];
  /** Best first: matching profiles in winning order, then the others by priority. */
  readonly profiles: readonly DetectedProfile[];
  readonly chosen: ChosenProfile;
}

/** Parsed command line of `detect`. */
export interface DetectArgs {
  readonly json: boolean;
  readonly userProfiles: readonly string[];
}

/** Parses `detect`'s arguments; throws (parseArgs' TypeError) on unknown or malformed ones. */
export function parseDetectArgs(args: readonly string[]): DetectArgs {
  const { values } = parseArgs({
    args: [...args],
    options: { json: { type: 'boolean' }, profile: { type: 'string', multiple: true } },
    strict: true,
    allowPositionals: false,
  });
  return { json: values.json === true, userProfiles: values.profile ?? [] };
}

/** Detects the machine, probes the backends, and builds the report. */
export async function runDetect(
  userProfiles: readonly string[] = [],
  detect?: DetectOptions,
  probe: () => Promise<Record<BackendName, ProbeResult>> = probeBackends,
): Promise<DetectReport> {
  const { facts, profiles, choice, chosen } = await resolveHardwareProfile({
    userProfiles,
    ...(detect !== undefined ? { detect } : {}),
  });
  const probes = await probe();
  const backends = (Object.entries(probes) as [BackendName, ProbeResult][]).map(([name, r]) => ({
    name,
    available: r.available,
    detail: r.available ? r.detail : r.reason,
  }));
  const fileOf = new Map(profiles.map((p) => [p.profile, p]));
  const p = chosen.profile;
  return {
    machine: facts,
    backends,
    profiles: choice.ranked.map((e) => {
      const source = fileOf.get(e.profile);
      return {
        name: e.profile.name,
        file: source?.file ?? '',
        builtIn: source?.builtIn ?? false,
        priority: e.profile.priority,
        matched: e.matched,
        rules: e.rules,
      };
    }),
    chosen: {
      name: p.name,
      file: chosen.file,
      reasons: choice.reasons,
      backendOrder: p.backendOrder,
      cpuBackend: cpuBackendOf(p),
      crossoverRows: p.crossoverRows,
      precision: p.precision,
      workgroupSize: p.workgroupSize,
      workers: p.workers ?? null,
      minRowsPerWorker: p.minRowsPerWorker,
      measuredAt: p.measured?.date ?? null,
    },
  };
}

const n = (x: number): string => x.toLocaleString('en-US');

function describeWebGpu(machine: MachineFacts): string {
  if (!machine.webgpu.available) return `not available: ${machine.webgpu.reason}`;
  const a = machine.webgpu.adapter;
  const kind = a.software ? 'software rasteriser' : 'hardware';
  return `${a.vendor || '?'} / ${a.architecture || '?'}: ${a.description || a.device || '(no description)'} (${kind})`;
}

function shortFile(file: string, builtIn: boolean): string {
  return builtIn ? relative(packageRoot(), file) : file;
}

function describeBatches(c: ChosenProfile): string {
  const first = c.backendOrder[0] ?? 'js';
  if (!isGpuBackend(first)) return `every batch starts on ${first} (the first backend runs on the CPU)`;
  return `below ${n(c.crossoverRows)} rows: ${c.cpuBackend}; from ${n(c.crossoverRows)} rows: ${first}`;
}

/** The report for people. */
export function formatDetectReport(report: DetectReport): string {
  const m = report.machine;
  const c = report.chosen;
  const width = Math.max(...report.profiles.map((p) => p.name.length));
  const lines = [
    'machine',
    `  platform    ${m.platform} ${m.arch}, Node ${m.nodeVersion}`,
    `  cores       ${m.cores}`,
    `  memory      ${m.memoryGiB} GiB`,
    `  wasm SIMD   ${m.wasmSimd ? 'yes' : 'no'}`,
    `  WebGPU      ${describeWebGpu(m)}`,
    '',
    'backends',
    ...report.backends.map(
      (b) => `  ${b.available ? '+' : '-'} ${b.name.padEnd(12)} ${b.available ? b.detail : `not available: ${b.detail}`}`,
    ),
    '',
    'profiles (best first)',
    ...report.profiles.map((p) => {
      const mark = p.name === c.name ? '*' : ' ';
      const why =
        p.rules.length === 0 ? 'no rules' : (p.matched ? p.rules : p.rules.filter((r) => !r.ok)).map((r) => r.detail).join('; ');
      return `  ${mark} ${p.name.padEnd(width)}  priority ${String(p.priority).padEnd(3)}  ${p.matched ? 'matches' : 'no'}: ${why}`;
    }),
    '',
    `chosen: ${c.name} (${shortFile(c.file, report.profiles.find((p) => p.name === c.name)?.builtIn ?? false)})`,
    `  why            ${c.reasons.join('; ')}`,
    `  backend order  ${c.backendOrder.join(' > ')}`,
    `  batches        ${describeBatches(c)}`,
  ];
  // Settings of backends the order does not use would only confuse.
  if (c.backendOrder.some(isGpuBackend)) lines.push(`  GPU            ${c.precision}, workgroup size ${c.workgroupSize}`);
  if (c.backendOrder.includes('piscina')) {
    const workers = c.workers === null ? `one worker per core (${m.cores})` : `${c.workers} workers`;
    lines.push(`  piscina        ${workers}, at least ${n(c.minRowsPerWorker)} rows per worker`);
  }
  lines.push(
    `  measured       ${c.measuredAt ?? 'no: the choices are expected, not measured here (wfmirror calibrate measures them)'}`,
  );
  return lines.join('\n');
}

/** Where the command writes. */
export interface CommandOutput {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processOutput: CommandOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * Runs `wfmirror detect ARGS`; returns the exit code. `fail` reports a usage error (and does not
 * return); an unusable `--profile` file is reported on stderr with exit code 1.
 */
export async function runDetectCommand(
  args: readonly string[],
  fail: (message: string) => never,
  output: CommandOutput = processOutput,
  detect?: DetectOptions,
): Promise<number> {
  let parsed: DetectArgs;
  try {
    parsed = parseDetectArgs(args);
  } catch (error) {
    fail((error as Error).message);
  }
  let report: DetectReport;
  try {
    report = await runDetect(parsed.userProfiles, detect);
  } catch (error) {
    if (!(error instanceof WorkflowMirrorError)) throw error;
    output.stderr(`wfmirror: ${error.message}\n`);
    return 1;
  }
  output.stdout(parsed.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDetectReport(report)}\n`);
  return 0;
}
