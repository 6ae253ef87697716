/**
 * `wfmirror calibrate`: times every comparison backend that runs here on growing batches, and
 * writes a hardware profile with the measured backend order and CPU/GPU crossover. Load it with
 * `accelerator: { profile: '<file>' }` or `wfmirror detect --profile <file>`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { WorkflowMirrorError } from '../base-error.js';
import { BACKEND_NAMES, type BackendName } from '../compare/backend.js';
import { BACKENDS } from '../compare/backend-registry.js';
import type { Comparator } from '../compare/comparator.js';
import {
  type CalibrationPlan,
  type CalibrationSubject,
  calibratedProfile,
  crossoverRows,
  DEFAULT_PLAN,
  measureBackends,
} from '../hardware/calibrate.js';
import { backendSettingsOf, isGpuBackend } from '../hardware/profile-use.js';
import { resolveHardwareProfile } from '../hardware/resolve-profile.js';
import { parseProfile } from '../hardware/validate-profile.js';
import type { CommandOutput } from './detect.js';

export interface CalibrateArgs {
  readonly out: string;
  readonly json: boolean;
  readonly plan: CalibrationPlan;
  readonly backends: readonly BackendName[] | undefined;
  readonly userProfiles: readonly string[];
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

/** Parses `calibrate`'s arguments; throws TypeError on unknown or malformed ones. */
export function parseCalibrateArgs(args: readonly string[]): CalibrateArgs {
  const { values } = parseArgs({
    args: [...args],
    options: {
      out: { type: 'string' },
      json: { type: 'boolean' },
      fields: { type: 'string' },
      'max-rows': { type: 'string' },
      samples: { type: 'string' },
      backends: { type: 'string' },
      profile: { type: 'string', multiple: true },
    },
    strict: true,
    allowPositionals: false,
  });
  const maxRows = positive('max-rows', values['max-rows'], DEFAULT_PLAN.rows[DEFAULT_PLAN.rows.length - 1]!);
  // Powers of 8 from 1,024 up to the largest, which is always measured itself.
  const rows: number[] = [];
  for (let r = 1024; r < maxRows; r *= 8) rows.push(r);
  rows.push(maxRows);
  let backends: BackendName[] | undefined;
  if (values.backends !== undefined) {
    backends = values.backends.split(',').map((b) => b.trim()) as BackendName[];
    const unknown = backends.filter((b) => !BACKEND_NAMES.includes(b));
    if (unknown.length > 0) throw new TypeError(`--backends: unknown ${unknown.join(', ')} (known: ${BACKEND_NAMES.join(', ')})`);
  }
  return {
    out: values.out ?? '.wfmirror/hardware-profile.json',
    json: values.json === true,
    plan: {
      rows,
      fieldCount: positive('fields', values.fields, DEFAULT_PLAN.fieldCount),
      samples: positive('samples', values.samples, DEFAULT_PLAN.samples),
    },
    backends,
    userProfiles: values.profile ?? [],
  };
}

/** Runs `wfmirror calibrate ARGS`; returns the exit code. */
export async function runCalibrateCommand(
  args: readonly string[],
  fail: (message: string) => never,
  output: CommandOutput,
): Promise<number> {
  let parsed: CalibrateArgs;
  try {
    parsed = parseCalibrateArgs(args);
  } catch (error) {
    fail((error as Error).message);
  }
  const { facts, chosen } = await resolveHardwareProfile({ userProfiles: parsed.userProfiles });
  const base = chosen.profile;
  const settings = backendSettingsOf(base);
  const subjects: CalibrationSubject[] = [];
  const skipped: { backend: BackendName; reason: string }[] = [];
  try {
    for (const name of parsed.backends ?? BACKEND_NAMES) {
      const probe = await BACKENDS[name].probe();
      if (!probe.available) {
        skipped.push({ backend: name, reason: probe.reason });
        continue;
      }
      try {
        subjects.push({ name, comparator: await BACKENDS[name].create(settings) });
      } catch (error) {
        skipped.push({ backend: name, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    if (!parsed.json)
      output.stderr(
        `calibrating ${subjects.map((s) => s.name).join(', ')} on ${parsed.plan.rows.join(', ')} rows x ${parsed.plan.fieldCount} fields...\n`,
      );
    // Inputs live where the fastest CPU kernel reads them in place (wasm memory), when one is here.
    const storage = subjects.map((s) => s.comparator.storage).find((s) => s !== undefined);
    const { timings, failed } = await measureBackends(subjects, parsed.plan, storage ? (n) => storage.allocate(n) : undefined);
    if (timings.length === 0) {
      output.stderr('wfmirror: no backend could be measured\n');
      return 1;
    }
    const profile = parseProfile(
      JSON.parse(JSON.stringify(calibratedProfile(base, facts, parsed.plan, timings, new Date()))),
      parsed.out,
    );
    const out = resolve(parsed.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(profile, null, 2)}\n`);
    const report = { file: out, base: base.name, profile, skipped: [...skipped, ...failed] };
    if (parsed.json) output.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else
      output.stdout(
        `${formatCalibration(report.file, base.name, profile.backendOrder, timings, crossoverRows(timings), report.skipped)}\n`,
      );
    return 0;
  } catch (error) {
    if (!(error instanceof WorkflowMirrorError)) throw error;
    output.stderr(`wfmirror: ${error.message}\n`);
    return 1;
  } finally {
    for (const s of subjects) disposeQuietly(s.comparator);
  }
}

function disposeQuietly(comparator: Comparator): void {
  try {
    comparator.dispose();
  } catch {
    // Calibration is over; a backend that cannot free itself cleanly changes nothing measured.
  }
}

function formatCalibration(
  file: string,
  base: string,
  order: readonly BackendName[],
  timings: readonly { backend: BackendName; rows: number; medianMs: number }[],
  crossover: number | undefined,
  skipped: readonly { backend: BackendName; reason: string }[],
): string {
  const sizes = [...new Set(timings.map((t) => t.rows))];
  const names = [...new Set(timings.map((t) => t.backend))];
  const header = ['backend'.padEnd(12), ...sizes.map((s) => `${s} rows`.padStart(14))].join('');
  const lines = names.map((n) =>
    [
      `${n}${isGpuBackend(n) ? ' (gpu)' : ''}`.padEnd(12),
      ...sizes.map((s) => {
        const t = timings.find((x) => x.backend === n && x.rows === s);
        return (t === undefined ? '-' : `${t.medianMs.toFixed(3)} ms`).padStart(14);
      }),
    ].join(''),
  );
  return [
    'median time per batch',
    header,
    ...lines,
    '',
    `crossover      ${crossover === undefined ? 'none: no GPU backend beat the CPU at any size measured' : `${crossover} rows`}`,
    `backend order  ${order.join(' > ')}`,
    ...skipped.map((s) => `not measured   ${s.backend}: ${s.reason}`),
    `profile        ${file} (from ${base}; load it with accelerator.profile or wfmirror detect --profile)`,
  ].join('\n');
}
