/**
 * Puts one comparison into the arena for the kernel: the layout (folded by the kernel into its
 * table), the output regions, and the matrices themselves when they are not in the arena already.
 *
 * Zero-copy rule: a matrix that is a view of the arena's memory (allocated from the comparator's
 * `storage`) is read in place; any other matrix has only its compared rows (rowStart ..
 * rowStart + rowCount - 1, padding columns included, one contiguous run) copied into the staging
 * region. The outputs are copied out into fresh arrays once the kernel has run: they are
 * `rowCount * (8 + 4 * maskWords)` bytes, small next to the inputs' `rowCount * stride * 16`.
 */
import type { ComparisonLayout, ComparisonResult } from '../comparator.js';
import type { CheckedComparison } from './js.js';
import type { KernelExports } from './wasm-kernel.js';
import type { WasmArena } from './wasm-memory.js';

/** The kernel's arguments for one comparison (or one shard of it): numbers only, so they can be posted to a worker. */
export interface KernelCall {
  readonly primary: number;
  readonly mirror: number;
  readonly rowCount: number;
  readonly stride: number;
  readonly fieldCount: number;
  readonly table: number;
  readonly missingWeight: number;
  readonly deviation: number;
  readonly affected: number;
}

/** How one comparison is laid out in its staging region (offsets relative to the region). */
export interface StagingPlan {
  /** Bytes the staging region needs. */
  readonly bytes: number;
  readonly copyPrimary: boolean;
  readonly copyMirror: boolean;
  /** Bytes of matrix values copied into the arena (0 on the zero-copy path). */
  readonly copiedBytes: number;
  readonly weights: number;
  readonly tolerances: number;
  readonly categorical: number;
  readonly table: number;
  readonly deviation: number;
  readonly affected: number;
  readonly primaryCopy: number;
  readonly mirrorCopy: number;
}

/** Counts of how comparisons met their inputs; a test reads them to prove the zero-copy path is taken. */
export interface StagingStats {
  /** Comparisons run. */
  readonly comparisons: number;
  /** Input matrices read in place (a comparison counts 0, 1 or 2). */
  readonly zeroCopyInputs: number;
  /** Input matrices whose compared rows were copied into the arena. */
  readonly copiedInputs: number;
  /** Bytes copied by those. */
  readonly copiedBytes: number;
}

/** A mutable {@link StagingStats}. */
export class StagingCounter implements StagingStats {
  comparisons = 0;
  zeroCopyInputs = 0;
  copiedInputs = 0;
  copiedBytes = 0;

  count(plan: StagingPlan): void {
    this.comparisons += 1;
    this.zeroCopyInputs += (plan.copyPrimary ? 0 : 1) + (plan.copyMirror ? 0 : 1);
    this.copiedInputs += (plan.copyPrimary ? 1 : 0) + (plan.copyMirror ? 1 : 0);
    this.copiedBytes += plan.copiedBytes;
  }

  snapshot(): StagingStats {
    return {
      comparisons: this.comparisons,
      zeroCopyInputs: this.zeroCopyInputs,
      copiedInputs: this.copiedInputs,
      copiedBytes: this.copiedBytes,
    };
  }
}

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** Sizes the staging region of one comparison. */
export function planStaging(
  arena: WasmArena,
  kernel: KernelExports,
  primary: Float64Array,
  mirror: Float64Array,
  layout: ComparisonLayout,
  checked: CheckedComparison,
): StagingPlan {
  const { fieldCount, stride } = layout;
  const { rowCount, maskWords } = checked;
  const matrixBytes = rowCount * stride * 8;
  const copyPrimary = !arena.owns(primary);
  const copyMirror = !arena.owns(mirror);
  let at = 0;
  const take = (bytes: number): number => {
    const offset = at;
    at += align16(bytes);
    return offset;
  };
  const weights = take(fieldCount * 8);
  const tolerances = take(fieldCount * 8);
  const categorical = take(fieldCount);
  const table = take(kernel.layoutTableBytes(fieldCount));
  const deviation = take(rowCount * 8);
  const affected = take(rowCount * maskWords * 4);
  const primaryCopy = copyPrimary ? take(matrixBytes) : -1;
  const mirrorCopy = copyMirror ? take(matrixBytes) : -1;
  return {
    bytes: at,
    copyPrimary,
    copyMirror,
    copiedBytes: (copyPrimary ? matrixBytes : 0) + (copyMirror ? matrixBytes : 0),
    weights,
    tolerances,
    categorical,
    table,
    deviation,
    affected,
    primaryCopy,
    mirrorCopy,
  };
}

/**
 * Writes one comparison into the staging region at `region` (16-byte aligned, `plan.bytes` long)
 * and returns the kernel's arguments for all its rows.
 */
export function stageComparison(
  arena: WasmArena,
  kernel: KernelExports,
  region: number,
  plan: StagingPlan,
  primary: Float64Array,
  mirror: Float64Array,
  layout: ComparisonLayout,
  checked: CheckedComparison,
): KernelCall {
  const { fieldCount, stride } = layout;
  const { rowStart, rowCount } = checked;
  arena.float64(region + plan.weights, fieldCount).set(layout.weights);
  arena.float64(region + plan.tolerances, fieldCount).set(layout.tolerances);
  arena.uint8(region + plan.categorical, fieldCount).set(layout.categorical);
  kernel.prepareLayout(
    region + plan.weights,
    region + plan.tolerances,
    region + plan.categorical,
    fieldCount,
    region + plan.table,
  );
  return {
    primary: placeMatrix(arena, primary, plan.copyPrimary, region + plan.primaryCopy, rowStart, rowCount, stride),
    mirror: placeMatrix(arena, mirror, plan.copyMirror, region + plan.mirrorCopy, rowStart, rowCount, stride),
    rowCount,
    stride,
    fieldCount,
    table: region + plan.table,
    missingWeight: checked.missingWeight,
    deviation: region + plan.deviation,
    affected: region + plan.affected,
  };
}

/** The byte offset of the matrix's first compared row: in place, or in the copy made here. */
function placeMatrix(
  arena: WasmArena,
  matrix: Float64Array,
  copy: boolean,
  copyAt: number,
  rowStart: number,
  rowCount: number,
  stride: number,
): number {
  const first = rowStart * stride;
  if (!copy) return matrix.byteOffset + first * 8;
  arena.float64(copyAt, rowCount * stride).set(matrix.subarray(first, first + rowCount * stride));
  return copyAt;
}

/** The rows `shardStart .. shardStart + shardRows - 1` (relative to the comparison) of a staged call. */
export function shardOf(call: KernelCall, maskWords: number, shardStart: number, shardRows: number): KernelCall {
  const rowBytes = call.stride * 8;
  return {
    ...call,
    primary: call.primary + shardStart * rowBytes,
    mirror: call.mirror + shardStart * rowBytes,
    rowCount: shardRows,
    deviation: call.deviation + shardStart * 8,
    affected: call.affected + shardStart * maskWords * 4,
  };
}

/** Runs the kernel on the calling thread. */
export function runKernel(kernel: KernelExports, call: KernelCall): void {
  kernel.compareRows(
    call.primary,
    call.mirror,
    call.rowCount,
    call.stride,
    call.fieldCount,
    call.table,
    call.missingWeight,
    call.deviation,
    call.affected,
  );
}

/** A comparison's result arrays in the caller's output, already checked by `resultArrays`. */
export interface OutputTarget {
  readonly deviation: Float64Array;
  readonly affected: Uint32Array;
}

/**
 * Where the kernel should write a comparison's outputs: straight into `target` when both of its
 * arrays live in the arena (no copy at all), else into the staging region (then copied out).
 */
export function directOutputs(arena: WasmArena, call: KernelCall, target: OutputTarget | undefined): KernelCall {
  if (target === undefined || !arena.owns(target.deviation) || !arena.owns(target.affected)) return call;
  return { ...call, deviation: target.deviation.byteOffset, affected: target.affected.byteOffset };
}

/**
 * The result of a staged call: the caller's `target` (written in place by the kernel, or filled
 * from the staging region), else fresh arrays copied out of the arena, which the caller owns
 * (later calls do not touch them).
 */
export function readResult(
  arena: WasmArena,
  call: KernelCall,
  checked: CheckedComparison,
  target?: OutputTarget,
): ComparisonResult {
  const { rowStart, rowCount, maskWords } = checked;
  const staged = {
    deviation: arena.float64(call.deviation, rowCount),
    affected: arena.uint32(call.affected, rowCount * maskWords),
  };
  if (target === undefined) {
    // slice() of a view over shared memory makes an ordinary (unshared) array.
    return { rowStart, rowCount, deviation: staged.deviation.slice(), affected: staged.affected.slice(), maskWords };
  }
  const { deviation, affected } = target;
  if (deviation.byteOffset !== call.deviation || !arena.owns(deviation)) deviation.set(staged.deviation);
  if (affected.byteOffset !== call.affected || !arena.owns(affected)) affected.set(staged.affected);
  return { rowStart, rowCount, deviation, affected, maskWords };
}
