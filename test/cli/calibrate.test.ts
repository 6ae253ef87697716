/**
 * `wfmirror calibrate`, in process on a small plan: it measures the backends asked for, writes a
 * profile that validates, and that profile, loaded back, drives the comparator's backend order.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCalibrateArgs, runCalibrateCommand } from '../../ts/cli/calibrate.js';
import { createComparator } from '../../ts/compare/select-backend.js';
import { parseProfile } from '../../ts/hardware/validate-profile.js';

const dir = mkdtempSync(join(tmpdir(), 'wfmirror-calibrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    output: {
      stdout: (t: string) => {
        out.stdout += t;
      },
      stderr: (t: string) => {
        out.stderr += t;
      },
    },
  };
}

const fail = (message: string): never => {
  throw new Error(`usage: ${message}`);
};

describe('wfmirror calibrate', () => {
  it('measures the backends asked for and writes a profile that loads and orders them by speed', async () => {
    const file = join(dir, 'calibrated.json');
    const { out, output } = capture();
    const code = await runCalibrateCommand(
      [
        '--out',
        file,
        '--max-rows',
        '4096',
        '--fields',
        '8',
        '--samples',
        '2',
        '--backends',
        'js,wasm-scalar,wasm-simd',
        '--json',
      ],
      fail,
      output,
    );
    expect(code).toBe(0);
    const report = JSON.parse(out.stdout) as {
      file: string;
      profile: { backendOrder: string[]; measured: { timings: unknown[] } };
    };
    expect(report.file).toBe(file);
    // 1024 and 4096 rows, three backends each.
    expect(report.profile.measured.timings).toHaveLength(6);
    const written = parseProfile(JSON.parse(readFileSync(file, 'utf8')), file);
    expect([...written.backendOrder].sort()).toEqual(['js', 'wasm-scalar', 'wasm-simd']);
    expect(written.backendOrder[written.backendOrder.length - 1]).toBe('js');
    const comparator = await createComparator({ profile: file });
    expect(comparator.chain).toEqual(written.backendOrder);
    comparator.dispose();
  });

  it('parses its flags into a plan of powers of 8 up to the largest size', () => {
    const args = parseCalibrateArgs(['--max-rows', '100000', '--fields', '16', '--samples', '3']);
    expect(args.plan).toEqual({ rows: [1024, 8192, 65536, 100000], fieldCount: 16, samples: 3 });
    expect(args.out).toBe('.wfmirror/hardware-profile.json');
    expect(() => parseCalibrateArgs(['--fields', '0'])).toThrow(/--fields must be a positive integer/);
    expect(() => parseCalibrateArgs(['--backends', 'js,cuda'])).toThrow(/unknown cuda/);
    expect(() => parseCalibrateArgs(['--bogus'])).toThrow();
  });
});
