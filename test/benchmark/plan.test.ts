/** The bench plan: defaults, the backend list, and out-of-range values refused with the setting named. */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BenchmarkPlanError } from '../../ts/benchmark/errors.js';
import { benchmarkPlan, bytesPerComparison, effectiveThreads, strideFor } from '../../ts/benchmark/plan.js';
import { BACKEND_NAMES } from '../../ts/compare/backend.js';
import { UnknownBackendError } from '../../ts/compare/errors.js';

describe('benchmarkPlan', () => {
  it('defaults to 262,144 x 32, every backend, one thread per core, a healthy fleet', () => {
    expect(benchmarkPlan()).toEqual({
      rows: 262_144,
      fieldCount: 32,
      backends: [...BACKEND_NAMES],
      timeMs: 2000,
      minSamples: 5,
      threads: availableParallelism(),
      differingRowShare: 0.01,
    });
  });

  it('keeps the registry order and each backend once, whatever order they are named in', () => {
    expect(benchmarkPlan({ backends: ['piscina', 'js', 'piscina', 'wasm-simd'] }).backends).toEqual([
      'js',
      'wasm-simd',
      'piscina',
    ]);
  });

  it('refuses an unknown backend with the registry error, naming it and the known ones', () => {
    const attempt = () => benchmarkPlan({ backends: ['js', 'cuda'] });
    expect(attempt).toThrow(UnknownBackendError);
    expect(attempt).toThrow(/unknown comparison backend "cuda" \(known: js, wasm-simd, wasm-scalar, piscina, webgpu, gpujs\)/);
    expect(() => benchmarkPlan({ backends: [] })).toThrow(BenchmarkPlanError);
  });

  it.each([
    [{ rows: 0 }, /rows must be an integer >= 1, got 0/],
    [{ fieldCount: 2.5 }, /fields must be an integer >= 1/],
    [{ timeMs: -1 }, /time-ms must be an integer >= 1/],
    [{ threads: 0 }, /threads must be an integer >= 1/],
    [{ differingRowShare: 1.5 }, /differingRowShare must be between 0 and 1/],
    [{ rows: 16_000_000, fieldCount: 32 }, /GiB of input; at most 3 GiB/],
  ])('refuses %o', (options, message) => {
    const attempt = () => benchmarkPlan(options);
    expect(attempt).toThrow(BenchmarkPlanError);
    expect(attempt).toThrow(message);
  });

  it('counts the padded row stride in the bytes a comparison reads, and never more threads than rows', () => {
    expect(strideFor(5)).toBe(8);
    expect(bytesPerComparison({ rows: 10, fieldCount: 5 })).toBe(2 * 10 * 8 * 8);
    expect(effectiveThreads({ rows: 3, threads: 8 })).toBe(3);
    expect(effectiveThreads({ rows: 4096, threads: 2 })).toBe(2);
  });
});
