/**
 * A resident fleet (webgpu-resident-types.ts) on a comparator's device: input checks here, device
 * matrices and deltas in webgpu-resident-store.ts, compaction in webgpu-resident-compact.ts.
 */
import { type ComparisonLayout, DEFAULT_MISSING_WEIGHT, maskWordsFor } from '../comparator.js';
import { ComparisonInputError } from '../errors.js';
import { WebGpuBackendError } from './gpu-errors.js';
import { GPU_MAX_FIELDS } from './gpu-precision.js';
import { checkComparisonInput } from './js.js';
import type { WebGpuContext } from './webgpu-context.js';
import { ResidentCompaction } from './webgpu-resident-compact.js';
import { ResidentStore } from './webgpu-resident-store.js';
import type {
  OverThresholdOptions,
  OverThresholdResult,
  ResidentFleet,
  ResidentFleetOptions,
  ResidentSide,
} from './webgpu-resident-types.js';

/** Creates a fleet of `capacity` rows in `layout` on the context's device. */
export function createResidentFleet(
  ctx: WebGpuContext,
  layout: ComparisonLayout,
  capacity: number,
  options: ResidentFleetOptions = {},
): ResidentFleet {
  ctx.guard.check();
  // The shared validation checks the layout (one empty row stands in for the matrices).
  checkComparisonInput(new Float64Array(layout.stride), new Float64Array(layout.stride), layout);
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new ComparisonInputError(`capacity must be an integer >= 1, got ${String(capacity)}`);
  }
  if (layout.fieldCount > GPU_MAX_FIELDS) {
    throw new WebGpuBackendError(
      'WEBGPU_INVALID_SETTINGS',
      `resident fleets take at most ${GPU_MAX_FIELDS} fields (the error bound's limit), got ${layout.fieldCount}`,
    );
  }
  const frozen: ComparisonLayout = {
    fieldCount: layout.fieldCount,
    stride: layout.stride,
    weights: layout.weights.slice(),
    tolerances: layout.tolerances.slice(),
    categorical: layout.categorical.slice(),
  };
  const { segmentRows } = options;
  if (segmentRows !== undefined && (!Number.isSafeInteger(segmentRows) || segmentRows < 1)) {
    throw new ComparisonInputError(`options.segmentRows must be an integer >= 1, got ${String(segmentRows)}`);
  }
  const store = new ResidentStore(ctx, frozen, capacity, segmentRows);
  const compaction = new ResidentCompaction(ctx, store);
  const maskWords = maskWordsFor(frozen.fieldCount);
  let disposed = false;
  // Writes are validated asynchronously; the first failure rejects the next compareOverThreshold.
  let writes: Promise<void> = Promise.resolve();
  const track = (write: Promise<void>): void => {
    const chained = writes.then(() => write);
    chained.catch(() => undefined);
    writes = chained;
  };
  // Compactions share their output buffers, so they run one after another.
  let tail: Promise<unknown> = Promise.resolve();
  const checkUsable = (): void => {
    if (disposed) throw new WebGpuBackendError('WEBGPU_DISPOSED', 'the resident fleet was disposed');
    ctx.guard.check();
  };

  return {
    capacity,
    layout: frozen,
    upload(side, rowStart, rows) {
      checkUsable();
      checkSide(side);
      if (!(rows instanceof Float64Array)) throw new ComparisonInputError('rows must be a Float64Array');
      if (rows.length % frozen.stride !== 0) {
        throw new ComparisonInputError(`rows.length (${rows.length}) is not a multiple of layout.stride (${frozen.stride})`);
      }
      const count = rows.length / frozen.stride;
      checkRange(rowStart, count, capacity);
      if (count > 0) track(store.upload(side, rowStart, rows));
    },
    applyDeltas(side, rowIndex, fieldIndex, values) {
      checkUsable();
      checkSide(side);
      if (!(rowIndex instanceof Uint32Array) || !(fieldIndex instanceof Uint32Array) || !(values instanceof Float64Array)) {
        throw new ComparisonInputError('rowIndex and fieldIndex must be Uint32Arrays and values a Float64Array');
      }
      if (rowIndex.length !== fieldIndex.length || rowIndex.length !== values.length) {
        throw new ComparisonInputError(
          `rowIndex, fieldIndex and values must have one length, got ${rowIndex.length}, ${fieldIndex.length}, ${values.length}`,
        );
      }
      for (let i = 0; i < rowIndex.length; i++) {
        if (rowIndex[i]! >= capacity)
          throw new ComparisonInputError(`rowIndex[${i}] (${rowIndex[i]}) is not below capacity ${capacity}`);
        if (fieldIndex[i]! >= frozen.fieldCount) {
          throw new ComparisonInputError(`fieldIndex[${i}] (${fieldIndex[i]}) is not below fieldCount ${frozen.fieldCount}`);
        }
      }
      if (rowIndex.length > 0) track(store.applyDeltas(side, rowIndex, fieldIndex, values));
    },
    async compareOverThreshold(threshold, options: OverThresholdOptions = {}): Promise<OverThresholdResult> {
      checkUsable();
      if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0) {
        throw new ComparisonInputError(`threshold must be a finite number >= 0, got ${String(threshold)}`);
      }
      const rowStart = options.rowStart ?? 0;
      const rowCount = options.rowCount ?? capacity - rowStart;
      checkRange(rowStart, rowCount, capacity);
      const missingWeight = options.missingWeight ?? DEFAULT_MISSING_WEIGHT;
      if (typeof missingWeight !== 'number' || !Number.isFinite(missingWeight) || missingWeight < 0) {
        throw new ComparisonInputError(`options.missingWeight must be a finite number >= 0, got ${String(missingWeight)}`);
      }
      const pending = writes;
      const run = tail.then(async () => {
        await ctx.guard.wait(pending, 'resident writes');
        return compaction.run(threshold, rowStart, rowCount, missingWeight, maskWords);
      });
      tail = run.catch(() => undefined);
      return run;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      store.destroy();
      compaction.destroy();
    },
  };
}

function checkSide(side: ResidentSide): void {
  if (side !== 'primary' && side !== 'mirror')
    throw new ComparisonInputError(`side must be 'primary' or 'mirror', got ${String(side)}`);
}

function checkRange(rowStart: number, rowCount: number, capacity: number): void {
  if (!Number.isSafeInteger(rowStart) || rowStart < 0) {
    throw new ComparisonInputError(`rowStart must be a non-negative integer, got ${String(rowStart)}`);
  }
  if (!Number.isSafeInteger(rowCount) || rowCount < 0) {
    throw new ComparisonInputError(`rowCount must be a non-negative integer, got ${String(rowCount)}`);
  }
  if (rowStart + rowCount > capacity) {
    throw new ComparisonInputError(`rows ${rowStart}..${rowStart + rowCount - 1} are past the fleet's capacity (${capacity})`);
  }
}
