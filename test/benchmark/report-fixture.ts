/**
 * A hand-made bench report for the tests of the table, the page, the profile and the exit code:
 * fixed numbers, so what they show can be asserted exactly, and every kind of entry (measured,
 * unavailable, failed) present.
 */
import type { BackendEntry, BenchmarkReport, Measurement } from '../../ts/benchmark/report.js';
import { machines } from '../hardware/machines.js';

const ROWS = 262_144;
const BYTES = 2 * ROWS * 32 * 8;

/** A measurement taking `medianMs` on `threads` threads, with the rates that follow. */
export function timed(medianMs: number, threads = 1): Measurement {
  return {
    threads,
    medianMs,
    minMs: medianMs * 0.9,
    samples: 20,
    rowsPerSecond: ROWS / (medianMs / 1000),
    gigabytesPerSecond: BYTES / (medianMs / 1000) / 1e9,
  };
}

function measured(backend: 'js' | 'wasm-simd' | 'piscina' | 'webgpu', medianMs: number, threads = 1): BackendEntry {
  const roof = threads === 1 ? 10 : 6;
  return {
    backend,
    status: 'measured',
    detail: `${backend} detail`,
    maxRelativeError: 0,
    ...timed(medianMs, threads),
    rooflineThreads: threads,
    percentOfRoofline: (roof / medianMs) * 100,
    speedupOverBaseline: 60 / medianMs,
  };
}

/** Roofline 10 ms (1 thread) and 6 ms (2 threads), baseline 60 ms; js 30, wasm-simd 8, piscina 7 (2 threads), webgpu 200. */
export function fixtureReport(backends?: readonly BackendEntry[]): BenchmarkReport {
  return {
    format: 'wfmirror-bench/1',
    date: '2026-01-02T03:04:05.000Z',
    machine: { cpu: 'Test CPU <model>', ...machines.lavapipe },
    plan: {
      rows: ROWS,
      fieldCount: 32,
      backends: ['js', 'wasm-simd', 'wasm-scalar', 'piscina', 'webgpu', 'gpujs'],
      timeMs: 2000,
      minSamples: 5,
      threads: 2,
      differingRowShare: 0.01,
      stride: 32,
      bytesPerComparison: BYTES,
    },
    roofline: [
      { status: 'measured', ...timed(10, 1) },
      { status: 'measured', ...timed(6, 2) },
    ],
    baseline: {
      status: 'measured',
      name: 'plain typed-array loop',
      ...timed(60),
      rooflineThreads: 1,
      percentOfRoofline: (10 / 60) * 100,
      speedupOverBaseline: 1,
    },
    backends: backends ?? [
      measured('js', 30),
      measured('wasm-simd', 8),
      {
        backend: 'wasm-scalar',
        status: 'failed',
        stage: 'check',
        reason: 'wasm-scalar disagrees with the js reference: row 3 <bad>',
      },
      measured('piscina', 7, 2),
      measured('webgpu', 200),
      { backend: 'gpujs', status: 'unavailable', reason: 'gpu.js is not installed' },
    ],
  };
}
