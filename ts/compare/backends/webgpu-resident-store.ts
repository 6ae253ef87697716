/// <reference types="@webgpu/types" />
/**
 * The device half of a resident fleet: both matrices packed (f32-pair.ts) in device buffers, split
 * into segments when a matrix is larger than one binding may be; deltas applied by
 * shaders/scatter.wgsl.
 *
 * Values the device does not carry (infinities, |x| >= 2^60, 0 < |x| < 2^-70) are written as
 * HOST_MARK and kept, value by value, in a host map (`held`): the shader flags their rows and the
 * recheck takes the real value from here. Only such values are kept, not whole rows: every carried
 * value is exact on the device, so a row to recheck is read back from the device itself.
 */
import type { ComparisonLayout } from '../comparator.js';
import { HOST_MARK, PARTS_PER_VALUE, packRows, packValue } from './f32-pair.js';
import { align, GrowableBuffer } from './webgpu-buffers.js';
import { BUFFER_USAGE } from './webgpu-constants.js';
import type { WebGpuContext } from './webgpu-context.js';
import { bindBuffers, dispatchGrid } from './webgpu-pipelines.js';
import type { ResidentSide } from './webgpu-resident-types.js';

/** Rows `rowStart .. rowStart + rows - 1` of the fleet, in buffers of their own. */
export interface Segment {
  readonly rowStart: number;
  readonly rows: number;
  readonly primary: GPUBuffer;
  readonly mirror: GPUBuffer;
}

export class ResidentStore {
  readonly segments: readonly Segment[];
  /** Host-held values per side, by value index row * fieldCount + field. */
  readonly held: Record<ResidentSide, Map<number, number>> = { primary: new Map(), mirror: new Map() };
  private readonly fieldCount: number;
  private readonly targets: GrowableBuffer;
  private readonly values: GrowableBuffer;
  private readonly scatterParams: GPUBuffer;
  private scatterGroups = new Map<GPUBuffer, GPUBindGroup>();
  private scatterBound: readonly GPUBuffer[] = [];
  private staging = new Float32Array(0);
  /** One bit per value slot, for the duplicate check of applyDeltas (allocated on first use). */
  private seen: Uint32Array | undefined;

  constructor(
    private readonly ctx: WebGpuContext,
    readonly layout: ComparisonLayout,
    readonly capacity: number,
    segmentRows?: number,
  ) {
    const { device, counters, maxBindingBytes } = ctx;
    this.fieldCount = layout.fieldCount;
    const rowBytes = this.fieldCount * PARTS_PER_VALUE * 4;
    const rowsPerSegment = Math.max(1, Math.min(segmentRows ?? Number.POSITIVE_INFINITY, Math.floor(maxBindingBytes / rowBytes)));
    const usage = BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_DST | BUFFER_USAGE.COPY_SRC;
    const segments: Segment[] = [];
    for (let rowStart = 0; rowStart < capacity; rowStart += rowsPerSegment) {
      const rows = Math.min(rowsPerSegment, capacity - rowStart);
      const size = align(rows * rowBytes, 16);
      // Device buffers start zeroed (WebGPU guarantees it): every field 0 on both sides.
      segments.push({
        rowStart,
        rows,
        primary: device.createBuffer({ label: `resident primary ${rowStart}`, size, usage }),
        mirror: device.createBuffer({ label: `resident mirror ${rowStart}`, size, usage }),
      });
      counters.buffersCreated += 2;
    }
    this.segments = segments;
    const storage = BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_DST;
    this.targets = new GrowableBuffer(device, storage, 'delta targets', counters, maxBindingBytes);
    this.values = new GrowableBuffer(device, storage, 'delta values', counters, maxBindingBytes);
    this.scatterParams = device.createBuffer({
      label: 'scatter params',
      size: 16,
      usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST,
    });
    counters.buffersCreated++;
  }

  /** Writes whole rows (validated by the caller); returns the promise of the writes' validation. */
  upload(side: ResidentSide, rowStart: number, rows: Float64Array): Promise<void> {
    const { stride } = this.layout;
    const n = this.fieldCount;
    const count = rows.length / stride;
    const held = this.held[side];
    if (held.size > 0) this.forgetHeld(held, rowStart * n, (rowStart + count) * n);
    const writes: Promise<void>[] = [];
    for (const segment of this.segments) {
      const from = Math.max(rowStart, segment.rowStart);
      const to = Math.min(rowStart + count, segment.rowStart + segment.rows);
      if (from >= to) continue;
      const values = (to - from) * n * PARTS_PER_VALUE;
      const staging = this.stagingFor(values);
      const hostValues = packRows(rows, stride, n, from - rowStart, to - from, staging, 0);
      if (hostValues > 0) this.rememberHeld(held, rows, stride, rowStart, from, to, staging);
      const buffer = side === 'primary' ? segment.primary : segment.mirror;
      const offset = (from - segment.rowStart) * n * PARTS_PER_VALUE * 4;
      writes.push(
        this.ctx.guard.scoped('resident upload', () => this.ctx.device.queue.writeBuffer(buffer, offset, staging, 0, values)),
      );
    }
    return Promise.all(writes).then(() => undefined);
  }

  /**
   * Writes single fields (validated by the caller). Duplicates within the batch are removed first,
   * the last one kept, so the scatter's invocations never race for one slot. Typed arrays only, no
   * per-delta objects: on an H100 host the per-delta Map and arrays of the first version cost 10 ms
   * for 40,000 deltas, six times the comparison they fed (bench/results/gpu-resident-nvidia-h100.md).
   */
  applyDeltas(side: ResidentSide, rowIndex: Uint32Array, fieldIndex: Uint32Array, values: Float64Array): Promise<void> {
    const n = this.fieldCount;
    this.seen ??= new Uint32Array(Math.ceil((this.capacity * n) / 32));
    const kept = lastWrites(rowIndex, fieldIndex, n, this.seen);
    const held = this.held[side];
    const rowsPerSegment = this.segments[0]!.rows;
    // Deltas per segment, counted first so each segment's arrays are filled in place.
    const perSegment = new Uint32Array(this.segments.length);
    for (let k = 0; k < kept.length; k++) perSegment[Math.floor(rowIndex[kept[k]!]! / rowsPerSegment)]!++;
    const targets = Array.from(perSegment, (c) => new Uint32Array(c));
    const packed = Array.from(perSegment, (c) => new Float32Array(c * PARTS_PER_VALUE));
    const fill = new Uint32Array(this.segments.length);
    for (let k = 0; k < kept.length; k++) {
      const i = kept[k]!;
      const row = rowIndex[i]!;
      const s = Math.floor(row / rowsPerSegment);
      const at = fill[s]!++;
      const slot = row * n + fieldIndex[i]!;
      targets[s]![at] = slot - this.segments[s]!.rowStart * n;
      const value = values[i]!;
      if (packValue(value, packed[s]!, at * PARTS_PER_VALUE) === 2) held.set(slot, value);
      else if (held.size > 0) held.delete(slot);
    }
    const writes: Promise<void>[] = [];
    this.segments.forEach((segment, s) => {
      if (perSegment[s]! > 0) writes.push(this.scatter(segment, side, targets[s]!, packed[s]!));
    });
    return Promise.all(writes).then(() => undefined);
  }

  destroy(): void {
    for (const segment of this.segments) {
      segment.primary.destroy();
      segment.mirror.destroy();
    }
    this.targets.destroy();
    this.values.destroy();
    this.scatterParams.destroy();
  }

  private scatter(segment: Segment, side: ResidentSide, targets: Uint32Array, packed: Float32Array): Promise<void> {
    const { ctx } = this;
    const sideBuffer = side === 'primary' ? segment.primary : segment.mirror;
    const targetBuffer = this.targets.ensure(targets.byteLength);
    const valueBuffer = this.values.ensure(packed.byteLength);
    if (this.scatterBound[0] !== targetBuffer || this.scatterBound[1] !== valueBuffer) {
      this.scatterGroups = new Map();
      this.scatterBound = [targetBuffer, valueBuffer];
    }
    let group = this.scatterGroups.get(sideBuffer);
    if (group === undefined) {
      group = bindBuffers(ctx.device, ctx.pipelines.scatterLayout, 'scatter', [
        this.scatterParams,
        targetBuffer,
        valueBuffer,
        sideBuffer,
      ]);
      this.scatterGroups.set(sideBuffer, group);
    }
    const bindGroup = group;
    return ctx.guard.scoped('resident deltas', () => {
      const { device } = ctx;
      // The queue orders these writes after earlier submits, so one set of buffers serves every segment.
      device.queue.writeBuffer(this.scatterParams, 0, Uint32Array.of(targets.length, 0, 0, 0));
      device.queue.writeBuffer(targetBuffer, 0, targets);
      device.queue.writeBuffer(valueBuffer, 0, packed);
      const encoder = device.createCommandEncoder({ label: 'scatter' });
      const pass = encoder.beginComputePass({ label: 'scatter' });
      pass.setPipeline(ctx.pipelines.scatter);
      pass.setBindGroup(0, bindGroup);
      const [x, y] = dispatchGrid(device, targets.length, ctx.workgroupSize);
      pass.dispatchWorkgroups(x, y);
      pass.end();
      device.queue.submit([encoder.finish()]);
      ctx.counters.dispatches++;
    });
  }

  private stagingFor(values: number): Float32Array {
    if (this.staging.length < values) this.staging = new Float32Array(values);
    return this.staging;
  }

  /** Drops held values in value slots [from, to) (they are being overwritten). */
  private forgetHeld(held: Map<number, number>, from: number, to: number): void {
    for (const slot of held.keys()) if (slot >= from && slot < to) held.delete(slot);
  }

  /** Records the values of rows [from, to) that were packed as HOST_MARK. */
  private rememberHeld(
    held: Map<number, number>,
    rows: Float64Array,
    stride: number,
    rowStart: number,
    from: number,
    to: number,
    staging: Float32Array,
  ): void {
    const n = this.fieldCount;
    for (let r = from; r < to; r++) {
      for (let j = 0; j < n; j++) {
        if (staging[((r - from) * n + j) * PARTS_PER_VALUE] === HOST_MARK)
          held.set(r * n + j, rows[(r - rowStart) * stride + j]!);
      }
    }
  }
}

/**
 * The deltas to apply, as indices into the batch in batch order: every delta when no field is
 * written twice, else the last delta of each field. The check marks each delta's slot in `seen`
 * (one bit per value slot of the fleet, all clear between calls) and clears the marks again: linear
 * in the batch, where sorting a copy of the slots cost 15 ms for 160,000 deltas.
 */
function lastWrites(rowIndex: Uint32Array, fieldIndex: Uint32Array, fieldCount: number, seen: Uint32Array): Uint32Array {
  const count = rowIndex.length;
  let duplicates = false;
  for (let i = 0; i < count; i++) {
    const slot = rowIndex[i]! * fieldCount + fieldIndex[i]!;
    const word = Math.floor(slot / 32);
    const bit = 1 << (slot - word * 32);
    if ((seen[word]! & bit) !== 0) duplicates = true;
    seen[word]! |= bit;
  }
  for (let i = 0; i < count; i++) seen[Math.floor((rowIndex[i]! * fieldCount + fieldIndex[i]!) / 32)] = 0;
  if (!duplicates) {
    const all = new Uint32Array(count);
    for (let i = 0; i < count; i++) all[i] = i;
    return all;
  }
  const last = new Map<number, number>();
  for (let i = 0; i < count; i++) last.set(rowIndex[i]! * fieldCount + fieldIndex[i]!, i);
  return Uint32Array.from([...last.values()].sort((a, b) => a - b));
}
