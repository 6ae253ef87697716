/// <reference types="@webgpu/types" />
/**
 * compareOverThreshold of a resident fleet: shaders/compact.wgsl evaluates the rows where they
 * live and appends, through two atomic counters, the rows certainly over the threshold (row,
 * deviation, mask) and the rows the host must recompute (row and its packed values). Only those
 * come back. The counters keep counting past the outputs' capacity: when they overflow, the outputs
 * grow and the pass runs again; past what one binding can hold, the range is halved.
 */
import type { ComparisonLayout } from '../comparator.js';
import { FIELD_PARAM_WORDS, HOST_MARK, MISSING_MARK, PARTS_PER_VALUE, packFieldParams } from './f32-pair.js';
import { WebGpuBackendError } from './gpu-errors.js';
import { FLAG_HOST_VALUE, FLAG_RANGE, FLAG_UNCERTAIN, THRESHOLD_MARGIN } from './gpu-precision.js';
import { compareRowsSync } from './js.js';
import { GrowableBuffer } from './webgpu-buffers.js';
import { BUFFER_USAGE, MAP_MODE_READ } from './webgpu-constants.js';
import { encodeRowParams, ROW_PARAMS_BYTES, type WebGpuContext } from './webgpu-context.js';
import { bindBuffers, dispatchGrid } from './webgpu-pipelines.js';
import type { ResidentStore, Segment } from './webgpu-resident-store.js';
import type { OverThresholdResult } from './webgpu-resident-types.js';

/** Thresholds below this are 0 on the device: its non-zero deviations are all >= 2^-70 (CONTRIBUTION_MIN). */
const THRESHOLD_ZERO_BELOW = 2 ** -80;
/** Thresholds are capped here for f32 (device deviations at or above 2^100 are flagged anyway). */
const THRESHOLD_CAP = 2 ** 120;

/** One compaction request. */
interface Pass {
  readonly threshold: number;
  readonly missingWeight: number;
  readonly maskWords: number;
  readonly over: { rows: number[]; deviation: number[]; masks: number[] };
  /** Recheck entries as read back (2 + 6 * fieldCount words each: row, flags, values). */
  readonly recheck: Uint32Array[];
}

export class ResidentCompaction {
  private readonly layout: ComparisonLayout;
  private readonly fields: GPUBuffer;
  private readonly params: GPUBuffer;
  private readonly paramsData = new ArrayBuffer(ROW_PARAMS_BYTES);
  private readonly counters: GPUBuffer;
  private readonly countersRead: GPUBuffer;
  private readonly overOut: GrowableBuffer;
  private readonly recheckOut: GrowableBuffer;
  private readonly overRead: GrowableBuffer;
  private readonly recheckRead: GrowableBuffer;
  private overCapacity = 1024;
  private recheckCapacity = 256;
  private groups = new Map<Segment, GPUBindGroup>();
  private groupOutputs: readonly GPUBuffer[] = [];

  constructor(
    private readonly ctx: WebGpuContext,
    private readonly store: ResidentStore,
  ) {
    const { device, counters, maxBindingBytes } = ctx;
    this.layout = store.layout;
    const fieldParams = packFieldParams(this.layout);
    this.fields = device.createBuffer({
      label: 'resident fields',
      size: Math.max(16, this.layout.fieldCount * FIELD_PARAM_WORDS * 4),
      usage: BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_DST,
    });
    device.queue.writeBuffer(this.fields, 0, fieldParams);
    this.params = device.createBuffer({
      label: 'compact params',
      size: ROW_PARAMS_BYTES,
      usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST,
    });
    this.counters = device.createBuffer({
      label: 'compact counters',
      size: 16,
      usage: BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC | BUFFER_USAGE.COPY_DST,
    });
    this.countersRead = device.createBuffer({
      label: 'compact counters read',
      size: 16,
      usage: BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST,
    });
    counters.buffersCreated += 4;
    const out = BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC;
    const read = BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST;
    this.overOut = new GrowableBuffer(device, out, 'over threshold', counters, maxBindingBytes);
    this.recheckOut = new GrowableBuffer(device, out, 'recheck rows', counters, maxBindingBytes);
    this.overRead = new GrowableBuffer(device, read, 'over threshold read', counters, device.limits.maxBufferSize);
    this.recheckRead = new GrowableBuffer(device, read, 'recheck rows read', counters, device.limits.maxBufferSize);
  }

  /** Rows of [rowStart, rowStart + rowCount) whose deviation exceeds `threshold` (validated by the caller). */
  async run(
    threshold: number,
    rowStart: number,
    rowCount: number,
    missingWeight: number,
    maskWords: number,
  ): Promise<OverThresholdResult> {
    const pass: Pass = { threshold, missingWeight, maskWords, over: { rows: [], deviation: [], masks: [] }, recheck: [] };
    for (const segment of this.store.segments) {
      const from = Math.max(rowStart, segment.rowStart);
      const to = Math.min(rowStart + rowCount, segment.rowStart + segment.rows);
      if (from < to) await this.compactRange(pass, segment, from - segment.rowStart, to - from);
    }
    const rechecked = this.recheck(pass);
    const { over } = pass;
    return {
      rows: Uint32Array.from(over.rows),
      deviation: Float64Array.from(over.deviation),
      affected: Uint32Array.from(over.masks),
      maskWords,
      rechecked,
    };
  }

  destroy(): void {
    for (const buffer of [this.fields, this.params, this.counters, this.countersRead]) buffer.destroy();
    for (const buffer of [this.overOut, this.recheckOut, this.overRead, this.recheckRead]) buffer.destroy();
  }

  private overWidth(pass: Pass): number {
    return 3 + pass.maskWords;
  }

  private recheckWidth(): number {
    return 2 + 2 * this.layout.fieldCount * PARTS_PER_VALUE;
  }

  /** Compacts segment rows [from, from + count), growing the outputs or halving the range as needed. */
  private async compactRange(pass: Pass, segment: Segment, from: number, count: number): Promise<void> {
    const maxBinding = this.ctx.maxBindingBytes;
    for (;;) {
      const counts = await this.dispatch(pass, segment, from, count);
      if (counts.over <= this.overCapacity && counts.recheck <= this.recheckCapacity) {
        await this.readEntries(pass, counts.over, counts.recheck);
        return;
      }
      const fitsOver = counts.over * this.overWidth(pass) * 4 <= maxBinding;
      const fitsRecheck = counts.recheck * this.recheckWidth() * 4 <= maxBinding;
      if (fitsOver && fitsRecheck) {
        this.overCapacity = Math.max(this.overCapacity, counts.over);
        this.recheckCapacity = Math.max(this.recheckCapacity, counts.recheck);
        continue;
      }
      if (count === 1) {
        throw new WebGpuBackendError('WEBGPU_OPERATION_FAILED', 'resident compaction: one row does not fit one binding');
      }
      const half = Math.floor(count / 2);
      await this.compactRange(pass, segment, from, half);
      await this.compactRange(pass, segment, from + half, count - half);
      return;
    }
  }

  /** One compaction pass over segment rows [from, from + count); resolves with the counters. */
  private async dispatch(pass: Pass, segment: Segment, from: number, count: number): Promise<{ over: number; recheck: number }> {
    const { ctx } = this;
    const { threshold } = pass;
    const small = threshold < THRESHOLD_ZERO_BELOW;
    encodeRowParams(
      {
        rowCount: count,
        fieldCount: this.layout.fieldCount,
        maskWords: pass.maskWords,
        rowOffset: from,
        globalRowBase: segment.rowStart,
        missingWeight: pass.missingWeight,
        overCapacity: this.overCapacity,
        recheckCapacity: this.recheckCapacity,
        thresholdUp: small ? 0 : Math.min(THRESHOLD_CAP, threshold * (1 + THRESHOLD_MARGIN)),
        thresholdDown: small ? 0 : Math.min(THRESHOLD_CAP, threshold * (1 - THRESHOLD_MARGIN)),
      },
      this.paramsData,
    );
    const bindGroup = this.bindGroupFor(pass, segment);
    await ctx.guard.scoped('resident compaction', () => {
      const { device } = ctx;
      device.queue.writeBuffer(this.params, 0, this.paramsData);
      device.queue.writeBuffer(this.counters, 0, new Uint32Array(4));
      const encoder = device.createCommandEncoder({ label: 'compact' });
      const computePass = encoder.beginComputePass({ label: 'compact' });
      computePass.setPipeline(ctx.pipelines.compact);
      computePass.setBindGroup(0, bindGroup);
      const [x, y] = dispatchGrid(device, count, ctx.workgroupSize);
      computePass.dispatchWorkgroups(x, y);
      computePass.end();
      encoder.copyBufferToBuffer(this.counters, 0, this.countersRead, 0, 16);
      device.queue.submit([encoder.finish()]);
      ctx.counters.dispatches++;
    });
    await ctx.guard.wait(this.countersRead.mapAsync(MAP_MODE_READ), 'compaction counters');
    const words = new Uint32Array(this.countersRead.getMappedRange().slice(0));
    this.countersRead.unmap();
    return { over: words[0]!, recheck: words[1]! };
  }

  /** The bind group of `segment` over the outputs at their current capacities. */
  private bindGroupFor(pass: Pass, segment: Segment): GPUBindGroup {
    const outputs = [
      this.overOut.ensure(this.overCapacity * this.overWidth(pass) * 4),
      this.recheckOut.ensure(this.recheckCapacity * this.recheckWidth() * 4),
    ];
    if (outputs.some((b, i) => b !== this.groupOutputs[i])) {
      this.groups = new Map();
      this.groupOutputs = outputs;
    }
    let group = this.groups.get(segment);
    if (group === undefined) {
      group = bindBuffers(this.ctx.device, this.ctx.pipelines.compactLayout, 'compact', [
        this.params,
        this.fields,
        segment.primary,
        segment.mirror,
        outputs[0]!,
        this.counters,
        outputs[1]!,
      ]);
      this.groups.set(segment, group);
    }
    return group;
  }

  /** Reads back the entries the last pass wrote. */
  private async readEntries(pass: Pass, overCount: number, recheckCount: number): Promise<void> {
    if (overCount === 0 && recheckCount === 0) return;
    const { ctx } = this;
    const overBytes = overCount * this.overWidth(pass) * 4;
    const recheckBytes = recheckCount * this.recheckWidth() * 4;
    const overRead = overBytes > 0 ? this.overRead.ensure(overBytes) : undefined;
    const recheckRead = recheckBytes > 0 ? this.recheckRead.ensure(recheckBytes) : undefined;
    await ctx.guard.scoped('resident readback', () => {
      const encoder = ctx.device.createCommandEncoder({ label: 'compact readback' });
      if (overRead !== undefined) encoder.copyBufferToBuffer(this.overOut.buffer, 0, overRead, 0, overBytes);
      if (recheckRead !== undefined) encoder.copyBufferToBuffer(this.recheckOut.buffer, 0, recheckRead, 0, recheckBytes);
      ctx.device.queue.submit([encoder.finish()]);
    });
    if (overRead !== undefined) {
      await ctx.guard.wait(overRead.mapAsync(MAP_MODE_READ, 0, overBytes), 'compaction readback');
      takeOverEntries(new Uint32Array(overRead.getMappedRange(0, overBytes)), overCount, this.overWidth(pass), pass);
      overRead.unmap();
    }
    if (recheckRead !== undefined) {
      await ctx.guard.wait(recheckRead.mapAsync(MAP_MODE_READ, 0, recheckBytes), 'compaction readback');
      pass.recheck.push(new Uint32Array(recheckRead.getMappedRange(0, recheckBytes).slice(0)));
      recheckRead.unmap();
    }
  }

  /**
   * Recomputes the rows to recheck with the oracle, from their values as read back (exact: the
   * device holds hi + lo + tail) and the host-held values, and adds those over the threshold.
   * Returns how many rows were rechecked.
   */
  private recheck(pass: Pass): number {
    const { layout } = this;
    const { fieldCount: n, stride } = layout;
    const width = this.recheckWidth();
    const values = n * PARTS_PER_VALUE;
    let total = 0;
    for (const entries of pass.recheck) total += entries.length / width;
    if (total === 0) return 0;
    const primary = new Float64Array(total * stride);
    const mirror = new Float64Array(total * stride);
    const rows = new Uint32Array(total);
    let k = 0;
    for (const entries of pass.recheck) {
      const floats = new Float32Array(entries.buffer, entries.byteOffset, entries.length);
      for (let base = 0; base < entries.length; base += width, k++) {
        const row = entries[base]!;
        const flags = entries[base + 1]!;
        rows[k] = row;
        if (flags & FLAG_HOST_VALUE) this.ctx.recheck.hostValueRows++;
        else if (flags & FLAG_RANGE && !(flags & FLAG_UNCERTAIN)) this.ctx.recheck.rangeRows++;
        else this.ctx.recheck.uncertainRows++;
        for (let j = 0; j < n; j++) {
          primary[k * stride + j] = this.valueOf('primary', row, j, floats, base + 2 + j * PARTS_PER_VALUE);
          mirror[k * stride + j] = this.valueOf('mirror', row, j, floats, base + 2 + values + j * PARTS_PER_VALUE);
        }
      }
    }
    const result = compareRowsSync(primary, mirror, layout, { missingWeight: pass.missingWeight });
    const { over } = pass;
    for (let i = 0; i < total; i++) {
      const deviation = result.deviation[i]!;
      if (!(deviation > pass.threshold)) continue;
      over.rows.push(rows[i]!);
      over.deviation.push(deviation);
      for (let w = 0; w < pass.maskWords; w++) over.masks.push(result.affected[i * pass.maskWords + w]!);
    }
    return total;
  }

  /** The exact value of a field of a rechecked row: from its packed parts, or the host-held value. */
  private valueOf(side: 'primary' | 'mirror', row: number, field: number, floats: Float32Array, at: number): number {
    const hi = floats[at]!;
    if (hi === MISSING_MARK) return Number.NaN;
    if (hi === HOST_MARK) {
      const held = this.store.held[side].get(row * this.layout.fieldCount + field);
      if (held === undefined) {
        throw new WebGpuBackendError(
          'WEBGPU_OPERATION_FAILED',
          `resident ${side} row ${row} field ${field}: host-held value missing`,
        );
      }
      return held;
    }
    return hi + floats[at + 1]! + floats[at + 2]!;
  }
}

/**
 * Appends over-threshold entries as read back to the pass. A plain function: hot loops stay out
 * of async frames (see takeChunk in webgpu-comparator.ts).
 */
function takeOverEntries(words: Uint32Array, count: number, width: number, pass: Pass): void {
  const floats = new Float32Array(words.buffer, words.byteOffset, words.length);
  const { over } = pass;
  for (let k = 0; k < count; k++) {
    const base = k * width;
    over.rows.push(words[base]!);
    over.deviation.push(floats[base + 1]! + floats[base + 2]!);
    for (let w = 0; w < pass.maskWords; w++) over.masks.push(words[base + 3 + w]!);
  }
}
