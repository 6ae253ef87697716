/**
 * Puts one comparison into the arena for the kernel: the layout (folded by the kernel into its
 * table), the output regions, and the matrices themselves when they are not in the arena already.
 *
 * Zero-copy rule: a matrix that is a view of the arena's memory (allocated from the comparator's
 * `storage`) is read in place; any other matrix has only its compared rows (rowStart ..
 * rowStart + rowCount - 1, padding columns included, one contiguous run) copied into the staging
 * region.
 *
 * Outputs are written by the kernel into a block of their own, and the result's arrays ARE views
 * of that block: nothing is copied out. The block is freed when both arrays have been garbage
 * collected (a FinalizationRegistry). Why: copying a 1,000,000-row result into fresh arrays
 * allocated 12 MB of ArrayBuffers per comparison, and that external-memory pressure made V8 run
 * full collections, which took 1.2 ms at best and 30 ms as the median on the bench machine.
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
  /** Bytes of the output block (deviations, then affected words, 16-byte aligned). */
  readonly outputBytes: number;
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
    outputBytes: align16(rowCount * 8) + rowCount * maskWords * 4,
    primaryCopy,
    mirrorCopy,
  };
}

/**
 * Writes one comparison into the staging region at `region` (16-byte aligned, `plan.bytes` long)
 * and returns the kernel's arguments for all its rows; the outputs go to the block at `outputs`
 * (`plan.outputBytes` long, from {@link WasmArena.allocateBlock}; {@link readResult} hands it over).
 */
export function stageComparison(
  arena: WasmArena,
  kernel: KernelExports,
  region: number,
  outputs: number,
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
    deviation: outputs,
    affected: outputs + align16(rowCount * 8),
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

/** What a result's arrays keep alive: their output block, freed once both are collected. */
interface OutputBlock {
  readonly arena: WasmArena;
  readonly offset: number;
  arraysAlive: number;
}

const outputBlocks = new FinalizationRegistry<OutputBlock>((block) => {
  block.arraysAlive -= 1;
  if (block.arraysAlive === 0) block.arena.freeBlock(block.offset);
});

/**
 * The result of a staged call: views of its output block, which now belongs to them (each call
 * has its own block, so a later call never overwrites an earlier result). The arrays are views of
 * shared memory; `slice()` one to get an ordinary copy.
 */
export function readResult(arena: WasmArena, call: KernelCall, checked: CheckedComparison): ComparisonResult {
  const { rowStart, rowCount, maskWords } = checked;
  const deviation = arena.float64(call.deviation, rowCount);
  const affected = arena.uint32(call.affected, rowCount * maskWords);
  const block: OutputBlock = { arena, offset: call.deviation, arraysAlive: 2 };
  outputBlocks.register(deviation, block);
  outputBlocks.register(affected, block);
  return { rowStart, rowCount, deviation, affected, maskWords };
}
