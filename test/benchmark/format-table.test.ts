/** The text table: the columns the issue names, one line per measured case, what was not measured and why. */
import { describe, expect, it } from 'vitest';
import { formatBenchmarkTable } from '../../ts/benchmark/format-table.js';
import { fixtureReport } from './report-fixture.js';

describe('formatBenchmarkTable', () => {
  const text = formatBenchmarkTable(fixtureReport());
  const lines = text.split('\n');

  it('heads the table with the machine and the plan', () => {
    expect(lines[0]).toBe(
      'wfmirror bench 2026-01-02: Test CPU <model>, 2 cores, 23.5 GiB, linux x64, Node 20.20.2, WebGPU llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1 (software)',
    );
    expect(lines[1]).toBe(
      '262,144 rows x 32 fields (134.2 MB read per comparison), 1% of rows differ; medians of at least 5 samples over 2,000 ms per case',
    );
  });

  it('shows rows/s, GB/s, % of roofline and x vs baseline for each case, aligned in columns', () => {
    const header = lines.find((l) => l.startsWith('case'))!;
    expect(header.split(/\s{2,}/)).toEqual([
      'case',
      'threads',
      'median ms',
      'rows/s',
      'GB/s',
      '% of roofline',
      'x vs baseline',
      'samples',
    ]);
    const row = (name: string) => lines.find((l) => l.startsWith(name))!.split(/\s{2,}/);
    // 134.2 MB in 8 ms: 16.78 GB/s; 10 ms roofline / 8 ms: 125%; 60 ms baseline / 8 ms: 7.5x; 262,144 rows / 8 ms.
    expect(row('wasm-simd')).toEqual(['wasm-simd', '1', '8.00', '32.8 M', '16.78', '125.0', '7.50x', '20']);
    expect(row('piscina')).toEqual(['piscina', '2', '7.00', '37.4 M', '19.17', '85.7', '8.57x', '20']);
    expect(row('webgpu (gpu)')).toEqual(['webgpu (gpu)', '1', '200', '1.31 M', '0.67', '5.0', '0.30x', '20']);
    expect(row('roofline: plain sum')).toEqual(['roofline: plain sum', '1', '10.00', '26.2 M', '13.42', '-', '-', '20']);
    expect(row('baseline: plain typed-array loop')).toEqual([
      'baseline: plain typed-array loop',
      '1',
      '60.00',
      '4.37 M',
      '2.24',
      '16.7',
      '1.00x',
      '20',
    ]);
    const widths = new Set(lines.slice(3, 10).map((l) => l.length));
    expect(widths.size).toBe(1);
  });

  it('lists what was not measured, with the stage and the reason', () => {
    expect(text).toContain(
      'not measured\n  wasm-scalar: failed (check): wasm-scalar disagrees with the js reference: row 3 <bad>',
    );
    expect(text).toContain('  gpujs: not available here: gpu.js is not installed');
    expect(lines.filter((l) => /^(roofline|baseline|js|wasm|piscina|webgpu|gpujs)/.test(l))).toHaveLength(7);
  });
});
