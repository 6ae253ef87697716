import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DetectReport, formatDetectReport, runDetectCommand } from '../../ts/cli/detect.js';
import type { DetectOptions } from '../../ts/hardware/detect.js';
import { resolveHardwareProfile } from '../../ts/hardware/resolve-profile.js';

const dir = mkdtempSync(join(tmpdir(), 'wfmirror-detect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An H100 host as Dawn and node:os would describe it. */
const h100Host: DetectOptions = {
  gpuSource: async () => ({
    info: { vendor: 'nvidia', architecture: '', device: 'nvidia-h100-80gb-hbm3', description: 'NVIDIA H100 80GB HBM3' },
  }),
  validateWasm: () => true,
  system: () => ({ cores: 16, memoryGiB: 128, platform: 'linux', arch: 'x64', nodeVersion: '20.20.2' }),
};

function capture() {
  const out = { stdout: '', stderr: '' };
  const output = {
    stdout: (text: string) => {
      out.stdout += text;
    },
    stderr: (text: string) => {
      out.stderr += text;
    },
  };
  return { out, output };
}

const usageError = (message: string): never => {
  throw new Error(`usage: ${message}`);
};

function userProfile(name: string, body: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      description: 'test',
      match: {},
      priority: 1000,
      backendOrder: ['wasm-scalar', 'js'],
      crossoverRows: 0,
      precision: 'f32',
      workgroupSize: 32,
      minRowsPerWorker: 1,
      ...body,
    }),
  );
  return file;
}

describe('wfmirror detect (in process, with a fake H100 host)', () => {
  it('--json prints the facts, every profile with its rule outcomes, and the choice', async () => {
    const { out, output } = capture();
    expect(await runDetectCommand(['--json'], usageError, output, h100Host)).toBe(0);
    const report = JSON.parse(out.stdout) as DetectReport;
    expect(report.machine).toMatchObject({
      cores: 16,
      wasmSimd: true,
      webgpu: { available: true, adapter: { vendor: 'nvidia', software: false } },
    });
    expect(report.chosen).toMatchObject({
      name: 'nvidia-h100',
      backendOrder: ['piscina', 'wasm-simd', 'webgpu', 'wasm-scalar', 'js'],
      cpuBackend: 'piscina',
      crossoverRows: 0,
      workers: null,
      measuredAt: '2026-11-26T10:38:58.045Z',
    });
    expect(report.chosen.file).toMatch(/hardware-profiles[/\\]nvidia-h100\.json$/);
    expect(report.profiles[0]?.name).toBe('nvidia-h100');
    const h200 = report.profiles.find((p) => p.name === 'nvidia-h200');
    expect(h200?.matched).toBe(false);
    expect(h200?.rules.filter((r) => !r.ok).map((r) => r.detail)).toEqual([
      'GPU "NVIDIA H100 80GB HBM3" does not include "H200"',
    ]);
    expect(out.stderr).toBe('');
  });

  it('prints the same for people without --json', async () => {
    const { out, output } = capture();
    expect(await runDetectCommand([], usageError, output, h100Host)).toBe(0);
    const text = out.stdout;
    expect(text).toContain('WebGPU      nvidia / ?: NVIDIA H100 80GB HBM3 (hardware)');
    expect(text).toMatch(/\* nvidia-h100\s+priority 100\s+matches: GPU vendor is "nvidia"/);
    expect(text).toMatch(/ {3}nvidia-h200\s+priority 100\s+no: GPU "NVIDIA H100 80GB HBM3" does not include "H200"/);
    expect(text).toContain('chosen: nvidia-h100 (hardware-profiles/nvidia-h100.json)');
    expect(text).toContain('backend order  piscina > wasm-simd > webgpu > wasm-scalar > js');
    expect(text).toContain('batches        every batch starts on piscina (the first backend runs on the CPU)');
    expect(text).toContain('piscina        one worker per core (16), at least 32,768 rows per worker');
  });

  it('--profile adds a user profile that can win', async () => {
    const mine = userProfile('my-box', { match: { gpuVendor: 'nvidia' } });
    const { out, output } = capture();
    expect(await runDetectCommand(['--json', '--profile', mine], usageError, output, h100Host)).toBe(0);
    const report = JSON.parse(out.stdout) as DetectReport;
    expect(report.chosen).toMatchObject({ name: 'my-box', file: mine, precision: 'f32' });
    expect(report.profiles.find((p) => p.name === 'my-box')?.builtIn).toBe(false);
  });

  it('reports an unusable --profile file with its problems and exit code 1', async () => {
    const bad = userProfile('bad-box', { priority: -5, backendOrder: ['webgpu'] });
    const { out, output } = capture();
    expect(await runDetectCommand(['--profile', bad], usageError, output, h100Host)).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(`invalid hardware profile ${bad}`);
    expect(out.stderr).toContain('/priority: must be >= 0, got -5');
    expect(out.stderr).toContain('/backendOrder/0: must be "js"');
  });

  it('refuses unknown flags as a usage error', async () => {
    const { output } = capture();
    await expect(runDetectCommand(['--gpu'], usageError, output, h100Host)).rejects.toThrow(/^usage: .*--gpu/);
  });

  it('says when a profile was measured', () => {
    const report = {
      machine: {
        platform: 'linux',
        arch: 'x64',
        nodeVersion: '20',
        cores: 2,
        memoryGiB: 4,
        wasmSimd: false,
        webgpu: { available: false, reason: 'none' },
      },
      backends: [
        { name: 'js', available: true, detail: 'plain TypeScript' },
        { name: 'webgpu', available: false, detail: 'no adapter' },
      ],
      profiles: [{ name: 'p', file: '/x/p.json', builtIn: false, priority: 0, matched: true, rules: [] }],
      chosen: {
        name: 'p',
        file: '/x/p.json',
        reasons: ['no match rules: applies to every machine'],
        backendOrder: ['js'],
        cpuBackend: 'js',
        crossoverRows: 0,
        precision: 'df64',
        workgroupSize: 64,
        workers: null,
        minRowsPerWorker: 1,
        measuredAt: '2025-01-31T12:00:00Z',
      },
    } satisfies DetectReport;
    const text = formatDetectReport(report);
    expect(text).toContain('WebGPU      not available: none');
    expect(text).toContain('+ js');
    expect(text).toContain('- webgpu       not available: no adapter');
    expect(text).toContain('measured       2025-01-31T12:00:00Z');
    expect(text).not.toContain('piscina        ');
  });
});

const cli = new URL('../../dist/ts/cli/main.js', import.meta.url);
const builtDetect = new URL('../../dist/ts/cli/detect.js', import.meta.url);

// The built command exists after `npm install` / `npm ci` (the prepare script builds it), as in CI.
describe.skipIf(!existsSync(cli) || !existsSync(builtDetect))(
  'the built wfmirror detect (skipped only when dist/ was not built)',
  () => {
    it('--json on this machine prints parseable facts and names the profile the library would choose', async () => {
      const out = execFileSync(process.execPath, [cli.pathname, 'detect', '--json'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const report = JSON.parse(out) as DetectReport;
      const expected = await resolveHardwareProfile();
      expect(report.machine).toEqual(expected.facts);
      expect(report.chosen.name).toBe(expected.choice.profile.name);
      expect(report.profiles.map((p) => p.name)).toContain(report.chosen.name);
      expect(report.chosen.backendOrder.at(-1)).toBe('js');
      // Every backend of the registry is probed; the reference and the wasm kernels run everywhere Node 20 does.
      expect(report.backends.map((b) => b.name)).toEqual(['js', 'wasm-simd', 'wasm-scalar', 'piscina', 'webgpu', 'gpujs']);
      expect(report.backends.filter((b) => b.available).map((b) => b.name)).toEqual(
        expect.arrayContaining(['js', 'wasm-simd', 'wasm-scalar', 'piscina']),
      );
    });

    it('prints the report for people, adds --profile files, and exits 2 on a bad flag', () => {
      const mine = userProfile('cli-box', {});
      const text = execFileSync(process.execPath, [cli.pathname, 'detect', '--profile', mine], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(text).toContain(`chosen: cli-box (${mine})`);
      expect(text).toMatch(/^machine\n {2}platform/);
      let failure: { status?: number; stderr?: string } = {};
      try {
        execFileSync(process.execPath, [cli.pathname, 'detect', '--nope'], { encoding: 'utf8', stdio: 'pipe' });
      } catch (error) {
        failure = error as { status?: number; stderr?: string };
      }
      expect(failure.status).toBe(2);
      expect(failure.stderr).toContain("Unknown option '--nope'");
    });
  },
);
