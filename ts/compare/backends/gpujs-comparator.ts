/**
 * Comparator.compare on a gpu.js mode: validate, snapshot the compared rows (the contract: inputs are
 * read before compare returns), then per chunk pack them (f32-pair.ts), run the kernel
 * (gpujs-kernel.ts), and take deviations and masks from its flat output; rows it flagged are
 * recomputed on the host by the oracle (gpu-recheck.ts). Same exactness as the webgpu backend: masks
 * exact, deviations within GPU_DEVIATION_RELATIVE_BOUND.
 */
import type { Comparator, CompareOptions, ComparisonLayout, ComparisonResult } from '../comparator.js';
import { PARTS_PER_VALUE, packFieldParams, packRows, packWeight } from './f32-pair.js';
import { GpuJsBackendError } from './gpu-errors.js';
import { FLAG_HOST_VALUE, FLAG_UNCERTAIN, GPU_MAX_FIELDS } from './gpu-precision.js';
import { emptyRecheckCounts, type RecheckCounts, recheckRows } from './gpu-recheck.js';
import { SnapshotPool } from './gpu-snapshot.js';
import { MASK_FIELDS_PER_OUTPUT, outputsPerRow } from './gpujs-kernel.js';
import type { GpuJsMode } from './gpujs-loader.js';
import type { GpuJsRunner } from './gpujs-runner.js';
import { checkComparisonInput, compareRowsSync, resultArrays } from './js.js';

/**
 * Limits of one kernel run. gpu.js's f32 modes compute indices in f32: value indices must stay below
 * 2^24 to be exact, and the row of an output is found by a division that is exact below 2^21
 * outputs (gpujs-kernel.ts); 2^20 leaves a factor of two.
 */
const MAX_VALUES_PER_RUN = 2 ** 24;
const MAX_OUTPUTS_PER_RUN = 2 ** 20;

/** What a gpujs comparator has done, a snapshot. */
export interface GpuJsStats extends RecheckCounts {
  readonly compares: number;
  readonly kernelRuns: number;
}

/** The gpujs comparator: a Comparator, plus which gpu.js mode runs it and stats. */
export interface GpuJsComparator extends Comparator {
  readonly mode: GpuJsMode;
  readonly stats: GpuJsStats;
}

/** A comparator on `runner` (which it owns: dispose destroys it). */
export function createGpuJsComparator(runner: GpuJsRunner): GpuJsComparator {
  const recheck = emptyRecheckCounts();
  let compares = 0;
  let kernelRuns = 0;
  let disposed = false;
  let tail: Promise<unknown> = Promise.resolve();
  let stagingPrimary = new Float32Array(0);
  let stagingMirror = new Float32Array(0);
  const snapshots = new SnapshotPool();

  async function run(
    primary: Float64Array,
    mirror: Float64Array,
    layout: ComparisonLayout,
    missingWeight: number,
    result: ComparisonResult,
  ): Promise<void> {
    const { fieldCount: n, stride } = layout;
    const { rowCount, maskWords, deviation, affected } = result;
    const width = outputsPerRow(n);
    const chunks = width - 2;
    const chunkRows = Math.max(
      1,
      Math.min(rowCount, Math.floor(MAX_OUTPUTS_PER_RUN / width), Math.floor(MAX_VALUES_PER_RUN / (n * PARTS_PER_VALUE))),
    );
    const fields = packFieldParams(layout);
    const missing = packWeight(missingWeight);
    if (stagingPrimary.length < chunkRows * n * PARTS_PER_VALUE) {
      stagingPrimary = new Float32Array(chunkRows * n * PARTS_PER_VALUE);
      stagingMirror = new Float32Array(chunkRows * n * PARTS_PER_VALUE);
    }
    const flagged: number[] = [];
    for (let start = 0; start < rowCount; start += chunkRows) {
      const rows = Math.min(chunkRows, rowCount - start);
      const values = rows * n * PARTS_PER_VALUE;
      packRows(primary, stride, n, start, rows, stagingPrimary, 0);
      packRows(mirror, stride, n, start, rows, stagingMirror, 0);
      const output = await runner.run({
        primary: stagingPrimary.subarray(0, values),
        mirror: stagingMirror.subarray(0, values),
        fields,
        fieldCount: n,
        chunks,
        missingState: missing.state,
        missingHi: missing.hi,
        missingLo: missing.lo,
        outputs: rows * width,
      });
      kernelRuns++;
      takeOutput(output, start, rows, width, result, flagged, recheck);
    }
    recheckRows(primary, mirror, layout, missingWeight, flagged, deviation, affected, maskWords);
  }

  return {
    name: 'gpujs',
    mode: runner.mode,
    get stats(): GpuJsStats {
      return { ...recheck, compares, kernelRuns };
    },
    async compare(primary, mirror, layout, options?: CompareOptions) {
      if (disposed) throw new GpuJsBackendError('GPUJS_DISPOSED', 'the gpujs comparator was disposed');
      const { rowStart, rowCount, missingWeight, maskWords } = checkComparisonInput(primary, mirror, layout, options);
      const result: ComparisonResult = { rowStart, rowCount, ...resultArrays(rowCount, maskWords, options?.output), maskWords };
      if (rowCount === 0) return result;
      // The snapshot (and a copy of the layout): the caller may change both once we return.
      const { stride } = layout;
      const p = snapshots.copy(primary, rowStart * stride, (rowStart + rowCount) * stride);
      const m = snapshots.copy(mirror, rowStart * stride, (rowStart + rowCount) * stride);
      const frozen: ComparisonLayout = {
        fieldCount: layout.fieldCount,
        stride,
        weights: layout.weights.slice(),
        tolerances: layout.tolerances.slice(),
        categorical: layout.categorical.slice(),
      };
      try {
        if (frozen.fieldCount > GPU_MAX_FIELDS) {
          compareRowsSync(p, m, frozen, { missingWeight }, { deviation: result.deviation, affected: result.affected });
          recheck.rangeRows += rowCount;
        } else {
          // One comparison at a time: they share the staging arrays and the kernel's output size.
          const pending = tail.then(() => run(p, m, frozen, missingWeight, result));
          tail = pending.catch(() => undefined);
          await pending;
        }
      } finally {
        snapshots.release(p);
        snapshots.release(m);
      }
      compares++;
      return result;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      snapshots.clear();
      void runner.destroy();
    },
  };
}

/**
 * Takes one run's flat output into the result and notes the flagged rows. Kept out of the async
 * run (see takeChunk in webgpu-comparator.ts: no hot loops in resumed async frames).
 */
function takeOutput(
  output: Float32Array,
  start: number,
  rows: number,
  width: number,
  result: ComparisonResult,
  flagged: number[],
  recheck: RecheckCounts,
): void {
  const chunks = width - 2;
  const { deviation, affected, maskWords } = result;
  for (let i = 0; i < rows; i++) {
    const base = i * width;
    const row = start + i;
    const hi = output[base]!;
    if (hi < 0) {
      const flags = -hi;
      flagged.push(row);
      if (flags & FLAG_HOST_VALUE) recheck.hostValueRows++;
      else if (flags & FLAG_UNCERTAIN) recheck.uncertainRows++;
      else recheck.rangeRows++;
      continue;
    }
    deviation[row] = hi + output[base + 1]!;
    for (let w = 0; w < maskWords; w++) {
      const low = output[base + 2 + w * 2]!;
      const high = w * 2 + 1 < chunks ? output[base + 3 + w * 2]! : 0;
      affected[row * maskWords + w] = low + high * 2 ** MASK_FIELDS_PER_OUTPUT;
    }
  }
}
