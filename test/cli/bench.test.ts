/**
 * `wfmirror bench`, in process on a small plan (4,096 x 8, 20 ms per case): the table on stdout,
 * the JSON and HTML files, a saved profile that validates and that `wfmirror detect --profile`
 * chooses, usage errors (an unknown backend first), and the exit code. No assertion is about speed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchmarkReport } from '../../ts/benchmark/report.js';
import { benchExitCode, parseBenchArgs, runBenchCommand } from '../../ts/cli/bench.js';
import { runDetectCommand } from '../../ts/cli/detect.js';
import { BACKEND_NAMES } from '../../ts/compare/backend.js';
import { createComparator } from '../../ts/compare/select-backend.js';
import { loadProfileFile } from '../../ts/hardware/profiles.js';
import { fixtureReport } from '../benchmark/report-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'wfmirror-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: (t: string) => {
        out.stdout += t;
      },
      stderr: (t: string) => {
        out.stderr += t;
      },
    },
  };
}

class UsageError extends Error {}
const fail = (message: string): never => {
  throw new UsageError(message);
};

const CPU_BACKENDS = 'js,wasm-simd,wasm-scalar,piscina';
const SMALL = ['--rows', '4096', '--fields', '8', '--time-ms', '20', '--threads', '2', '--backends', CPU_BACKENDS];

describe('wfmirror bench', () => {
  const files = {
    json: join(dir, 'out', 'bench.json'),
    html: join(dir, 'out', 'bench.html'),
    profile: join(dir, 'profile.json'),
  };
  let code: number;
  let out: { stdout: string; stderr: string };

  beforeAll(async () => {
    const c = capture();
    code = await runBenchCommand(
      [...SMALL, '--out-json', files.json, '--out-html', files.html, '--save-profile', files.profile],
      fail,
      c.io,
    );
    out = c.out;
  });

  it('prints the table, reports progress on stderr, and writes the JSON, the page and the profile', () => {
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/^wfmirror bench \d{4}-\d\d-\d\d: /);
    expect(out.stdout).toMatch(/case +threads +median ms +rows\/s +GB\/s +% of roofline +x vs baseline +samples/);
    for (const name of ['roofline: plain sum', 'baseline: plain typed-array loop', 'js ', 'wasm-simd', 'wasm-scalar', 'piscina'])
      expect(out.stdout).toContain(name);
    expect(out.stdout).toContain(`wrote ${files.json}\nwrote ${files.html}\nwrote ${files.profile}`);
    expect(out.stderr).toMatch(/^benchmarking js, wasm-simd, wasm-scalar, piscina on 4096 rows x 8 fields, 2 thread\(s\)/);
    expect(out.stderr).toContain('  piscina: ');
  });

  it('writes a JSON report of the plan it was given, every asked-for backend in it', () => {
    const report = JSON.parse(readFileSync(files.json, 'utf8')) as BenchmarkReport;
    expect(report.format).toBe('wfmirror-bench/1');
    expect(report.plan).toMatchObject({ rows: 4096, fieldCount: 8, timeMs: 20, threads: 2, backends: CPU_BACKENDS.split(',') });
    expect(report.backends.map((b) => b.backend)).toEqual(CPU_BACKENDS.split(','));
    expect(report.backends.find((b) => b.backend === 'js')).toMatchObject({ status: 'measured' });
  });

  it('writes an HTML page with one bar per measured backend', () => {
    const report = JSON.parse(readFileSync(files.json, 'utf8')) as BenchmarkReport;
    const html = readFileSync(files.html, 'utf8');
    const bars = [...html.matchAll(/<rect class="bar" data-backend="([^"]+)"/g)].map((m) => m[1]);
    expect(bars).toEqual(report.backends.filter((b) => b.status === 'measured').map((b) => b.backend));
    expect(html).not.toMatch(/https?:|src=|href=/);
  });

  it('saves a profile that validates, that detect --profile chooses, and that orders the comparator chain', async () => {
    const profile = loadProfileFile(files.profile); // validates, or throws
    expect(profile.name).toMatch(/^bench-/);
    expect(profile.backendOrder.at(-1)).toBe('js');
    expect(out.stdout).toContain(`profile ${profile.name}: ${profile.backendOrder.join(' > ')}`);
    const detect = capture();
    expect(await runDetectCommand(['--profile', files.profile, '--json'], fail, detect.io)).toBe(0);
    const chosen = (
      JSON.parse(detect.out.stdout) as { chosen: { name: string; backendOrder: string[]; measuredAt: string | null } }
    ).chosen;
    expect(chosen).toMatchObject({ name: profile.name, backendOrder: profile.backendOrder });
    expect(chosen.measuredAt).not.toBeNull();
    const comparator = await createComparator({ profile: files.profile });
    expect(comparator.chain).toEqual(profile.backendOrder);
    comparator.dispose();
  });

  it('prints the report as JSON on stdout with --json, and nothing on stderr', async () => {
    const json = join(dir, 'json-mode.json');
    const c = capture();
    const exit = await runBenchCommand(
      [...SMALL, '--backends', 'js', '--json', '--out-json', json, '--out-html', join(dir, 'json-mode.html')],
      fail,
      c.io,
    );
    expect(exit).toBe(0);
    expect(c.out.stderr).toBe('');
    expect(JSON.parse(c.out.stdout)).toEqual(JSON.parse(readFileSync(json, 'utf8')));
  });
});

describe('wfmirror bench output', () => {
  it('prints the table before writing, so a file it cannot write loses nothing; exits 1 saying which file', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const c = capture();
    const exit = await runBenchCommand([...SMALL, '--backends', 'js', '--out-json', join(blocker, 'bench.json')], fail, c.io);
    expect(exit).toBe(1);
    expect(c.out.stdout).toMatch(/^wfmirror bench .*\n[\s\S]*\njs +1 /);
    expect(c.out.stderr).toContain(`wfmirror: cannot write ${join(blocker, 'bench.json')}: `);
  });
});

describe('wfmirror bench usage', () => {
  it('refuses an unknown backend clearly, naming it and the known ones, before measuring or writing anything', async () => {
    const json = join(dir, 'never.json');
    const c = capture();
    await expect(runBenchCommand(['--backends', 'js,cuda', '--out-json', json], fail, c.io)).rejects.toThrow(
      new UsageError(`unknown comparison backend "cuda" (known: ${BACKEND_NAMES.join(', ')})`),
    );
    expect(existsSync(json)).toBe(false);
    expect(c.out).toEqual({ stdout: '', stderr: '' });
  });

  it.each([
    [['--rows', '0'], /--rows must be a positive integer, got "0"/],
    [['--rows', '1e3'], /--rows must be a positive integer, got "1e3"/],
    [['--time-ms', 'soon'], /--time-ms must be a positive integer/],
    [['--differing', '2'], /--differing must be a share between 0 and 1/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('refuses %o', async (args, message) => {
    await expect(runBenchCommand(args, fail, capture().io)).rejects.toThrow(message);
  });

  it('defaults to 262,144 x 32 on every backend and one thread per core, writing under .wfmirror/', () => {
    const args = parseBenchArgs([]);
    expect(args).toMatchObject({
      outJson: '.wfmirror/bench.json',
      outHtml: '.wfmirror/bench.html',
      saveProfile: undefined,
      json: false,
    });
    expect(args.plan).toMatchObject({
      rows: 262_144,
      fieldCount: 32,
      backends: [...BACKEND_NAMES],
      threads: availableParallelism(),
    });
  });
});

describe('benchExitCode', () => {
  it('is 1 when a backend that should run failed or nothing was measured, 0 when the rest is only unavailable here', () => {
    expect(benchExitCode(fixtureReport())).toBe(1); // wasm-scalar failed its check
    const healthy = fixtureReport().backends.filter((b) => b.status !== 'failed');
    expect(benchExitCode(fixtureReport(healthy))).toBe(0);
    expect(benchExitCode(fixtureReport([{ backend: 'gpujs', status: 'unavailable', reason: 'no' }]))).toBe(1);
  });
});
