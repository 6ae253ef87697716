/// <reference types="@webgpu/types" />
/**
 * Comparator.compare on the device. Per call:
 * 1. validate (checkComparisonInput) and snapshot the compared rows into pooled float64 arrays
 *    (gpu-snapshot.ts): the contract says inputs are read before compare() returns, and the engines
 *    keep writing; the snapshot is also what the host recheck reads, so every answer describes the
 *    values at the call.
 * 2. in chunks (bounded by the binding limit and a staging size): pack the chunk's rows into
 *    hi/lo/tail f32 (f32-pair.ts), queue.writeBuffer them, dispatch shaders/compare.wgsl, copy the
 *    results to a readback buffer. While the device runs chunk k, the host packs chunk k+1 and reads
 *    chunk k-1 back (two slots of buffers alternate, see ChunkSlot).
 * 3. rows the shader flagged are recomputed on the host by the oracle (gpu-recheck.ts).
 * Comparisons of one comparator run one after another (they share buffers); each one's snapshot is
 * taken when it is called.
 */
import type { CompareOptions, ComparisonLayout, ComparisonResult } from '../comparator.js';
import { FIELD_PARAM_WORDS, PARTS_PER_VALUE, packFieldParams, packRows } from './f32-pair.js';
import { FLAG_HOST_VALUE, FLAG_UNCERTAIN, GPU_MAX_FIELDS } from './gpu-precision.js';
import { type RecheckCounts, recheckRows } from './gpu-recheck.js';
import { SnapshotPool } from './gpu-snapshot.js';
import { checkComparisonInput, compareRowsSync, resultArrays } from './js.js';
import { GrowableBuffer } from './webgpu-buffers.js';
import { BUFFER_USAGE, MAP_MODE_READ } from './webgpu-constants.js';
import { encodeRowParams, ROW_PARAMS_BYTES, type WebGpuContext } from './webgpu-context.js';
import { bindBuffers, dispatchGrid } from './webgpu-pipelines.js';

/** Values per side per chunk (2^21: 24 MiB packed), so staging stays bounded and packing overlaps the device. */
const CHUNK_VALUES = 2 ** 21;

/** A comparison as captured at call time. */
interface Job {
  readonly primary: Float64Array;
  readonly mirror: Float64Array;
  readonly layout: ComparisonLayout;
  readonly fieldParams: Float32Array;
  readonly missingWeight: number;
  readonly rowCount: number;
  readonly maskWords: number;
  readonly deviation: Float64Array;
  readonly affected: Uint32Array;
  /** Rows (indices into the snapshot) the shader flagged, ascending. */
  readonly flagged: number[];
}

/**
 * The buffers one chunk uses. Two slots alternate: while the device runs chunk k in one, the host
 * writes chunk k+1 into the other. Writing into buffers the device is still reading is what
 * WebGPU must then stage through fresh memory (measured on lavapipe: about 3 ns a byte, five times
 * the cost of the comparison itself); an idle slot takes the write directly.
 */
class ChunkSlot {
  readonly params: GPUBuffer;
  readonly primary: GrowableBuffer;
  readonly mirror: GrowableBuffer;
  readonly results: GrowableBuffer;
  readonly readback: GrowableBuffer;
  private bindGroup: GPUBindGroup | undefined;
  private bound: readonly GPUBuffer[] = [];

  constructor(
    private readonly ctx: WebGpuContext,
    index: number,
  ) {
    const { device, counters, maxBindingBytes } = ctx;
    const storage = BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_DST;
    this.params = device.createBuffer({
      label: `compare params ${index}`,
      size: ROW_PARAMS_BYTES,
      usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST,
    });
    counters.buffersCreated++;
    this.primary = new GrowableBuffer(device, storage, `primary chunk ${index}`, counters, maxBindingBytes);
    this.mirror = new GrowableBuffer(device, storage, `mirror chunk ${index}`, counters, maxBindingBytes);
    this.results = new GrowableBuffer(
      device,
      BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC,
      `results ${index}`,
      counters,
      maxBindingBytes,
    );
    const read = BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST;
    this.readback = new GrowableBuffer(device, read, `readback ${index}`, counters, device.limits.maxBufferSize);
  }

  /** The slot's bind group over buffers large enough for a chunk (rebuilt only when one grew). */
  bind(fields: GPUBuffer, chunkValues: number, resultWords: number): GPUBindGroup {
    const buffers = [
      this.params,
      fields,
      this.primary.ensure(chunkValues * 4),
      this.mirror.ensure(chunkValues * 4),
      this.results.ensure(resultWords * 4),
    ];
    this.readback.ensure(resultWords * 4);
    if (this.bindGroup === undefined || buffers.some((b, i) => b !== this.bound[i])) {
      this.bindGroup = bindBuffers(this.ctx.device, this.ctx.pipelines.compareLayout, 'compare', buffers);
      this.bound = buffers;
    }
    return this.bindGroup;
  }

  destroy(): void {
    this.params.destroy();
    for (const buffer of [this.primary, this.mirror, this.results, this.readback]) buffer.destroy();
  }
}

/** Runs comparisons on a {@link WebGpuContext}, reusing its buffers from call to call. */
export class DeviceComparison {
  private readonly fields: GrowableBuffer;
  private readonly slots: [ChunkSlot, ChunkSlot];
  private readonly paramsData = new ArrayBuffer(ROW_PARAMS_BYTES);
  private stagingPrimary = new Float32Array(0);
  private stagingMirror = new Float32Array(0);
  private readonly snapshots = new SnapshotPool();
  /** The comparison in flight; the next one starts when it settles. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: WebGpuContext) {
    const { device, counters, maxBindingBytes } = ctx;
    this.fields = new GrowableBuffer(device, BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_DST, 'fields', counters, maxBindingBytes);
    this.slots = [new ChunkSlot(ctx, 0), new ChunkSlot(ctx, 1)];
  }

  /**
   * Comparator.compare: see the module header. Async, so bad input is a rejection; everything up to
   * the first await (validation, snapshot) runs synchronously, in the caller's turn.
   */
  async compare(
    primary: Float64Array,
    mirror: Float64Array,
    layout: ComparisonLayout,
    options?: CompareOptions,
  ): Promise<ComparisonResult> {
    this.ctx.guard.check();
    const { rowStart, rowCount, missingWeight, maskWords } = checkComparisonInput(primary, mirror, layout, options);
    const { deviation, affected } = resultArrays(rowCount, maskWords, options?.output);
    const result: ComparisonResult = { rowStart, rowCount, deviation, affected, maskWords };
    if (rowCount === 0) return result;
    const stride = layout.stride;
    // The snapshot, and a copy of the layout (the caller may change its arrays after we return).
    const job: Job = {
      primary: this.snapshots.copy(primary, rowStart * stride, (rowStart + rowCount) * stride),
      mirror: this.snapshots.copy(mirror, rowStart * stride, (rowStart + rowCount) * stride),
      layout: copyLayout(layout),
      fieldParams: packFieldParams(layout),
      missingWeight,
      rowCount,
      maskWords,
      deviation,
      affected,
      flagged: [],
    };
    if (layout.fieldCount > GPU_MAX_FIELDS) {
      // Beyond the fields the error bound is derived for: the oracle answers (gpu-precision.ts).
      compareRowsSync(job.primary, job.mirror, job.layout, { missingWeight }, { deviation, affected });
      this.ctx.recheck.rangeRows += rowCount;
      this.releaseSnapshot(job);
      return result;
    }
    const run = this.tail.then(() => this.run(job)).finally(() => this.releaseSnapshot(job));
    this.tail = run.catch(() => undefined);
    await run;
    return result;
  }

  /** Destroys the buffers (the device itself belongs to the comparator). */
  destroy(): void {
    this.fields.destroy();
    for (const slot of this.slots) slot.destroy();
    this.snapshots.clear();
  }

  private releaseSnapshot(job: Job): void {
    this.snapshots.release(job.primary);
    this.snapshots.release(job.mirror);
  }

  private async run(job: Job): Promise<void> {
    const { ctx } = this;
    ctx.guard.check();
    const n = job.layout.fieldCount;
    const width = 3 + job.maskWords;
    const chunkRows = Math.max(
      1,
      Math.min(
        job.rowCount,
        Math.floor(CHUNK_VALUES / n),
        Math.floor(ctx.maxBindingBytes / (n * PARTS_PER_VALUE * 4)),
        Math.floor(ctx.maxBindingBytes / (width * 4)),
      ),
    );
    const chunkValues = chunkRows * n * PARTS_PER_VALUE;
    if (this.stagingPrimary.length < chunkValues) {
      this.stagingPrimary = new Float32Array(chunkValues);
      this.stagingMirror = new Float32Array(chunkValues);
    }
    const fields = this.fields.ensure(n * FIELD_PARAM_WORDS * 4);
    ctx.device.queue.writeBuffer(fields, 0, job.fieldParams);

    let previous: Promise<void> | undefined;
    try {
      for (let start = 0, chunk = 0; start < job.rowCount; start += chunkRows, chunk++) {
        const rows = Math.min(chunkRows, job.rowCount - start);
        const slot = this.slots[chunk % 2]!;
        // Chunk k-2 used this slot; it was read back (so finished) before chunk k-1 was submitted.
        const bindGroup = slot.bind(fields, chunkValues, chunkRows * width);
        const submitted = this.submitChunk(job, slot, bindGroup, start, rows, width);
        // Read chunk k-1 while the device runs chunk k.
        if (previous !== undefined) await previous;
        previous = this.readChunk(job, submitted, slot.readback.buffer, start, rows, width);
        // A chunk that failed must not leave an unhandled rejection while we wait on another one.
        previous.catch(() => undefined);
      }
      if (previous !== undefined) await previous;
    } catch (error) {
      if (previous !== undefined) await previous.catch(() => undefined);
      throw error;
    }
    recheckRows(job.primary, job.mirror, job.layout, job.missingWeight, job.flagged, job.deviation, job.affected, job.maskWords);
  }

  /** Packs, uploads and dispatches one chunk; the promise settles when WebGPU has validated it. */
  private submitChunk(
    job: Job,
    slot: ChunkSlot,
    bindGroup: GPUBindGroup,
    start: number,
    rows: number,
    width: number,
  ): Promise<void> {
    const { ctx } = this;
    const n = job.layout.fieldCount;
    const stride = job.layout.stride;
    const values = rows * n * PARTS_PER_VALUE;
    packRows(job.primary, stride, n, start, rows, this.stagingPrimary, 0);
    packRows(job.mirror, stride, n, start, rows, this.stagingMirror, 0);
    encodeRowParams(
      {
        rowCount: rows,
        fieldCount: n,
        maskWords: job.maskWords,
        rowOffset: 0,
        globalRowBase: 0,
        missingWeight: job.missingWeight,
        overCapacity: 0,
        recheckCapacity: 0,
        thresholdUp: 0,
        thresholdDown: 0,
      },
      this.paramsData,
    );
    return ctx.guard.scoped('compare', () => {
      const { device } = ctx;
      // writeBuffer copies now, so the staging arrays are free again when this returns.
      device.queue.writeBuffer(slot.params, 0, this.paramsData);
      device.queue.writeBuffer(slot.primary.buffer, 0, this.stagingPrimary, 0, values);
      device.queue.writeBuffer(slot.mirror.buffer, 0, this.stagingMirror, 0, values);
      const encoder = device.createCommandEncoder({ label: 'compare' });
      const pass = encoder.beginComputePass({ label: 'compare' });
      pass.setPipeline(ctx.pipelines.compare);
      pass.setBindGroup(0, bindGroup);
      const [x, y] = dispatchGrid(device, rows, ctx.workgroupSize);
      pass.dispatchWorkgroups(x, y);
      pass.end();
      encoder.copyBufferToBuffer(slot.results.buffer, 0, slot.readback.buffer, 0, rows * width * 4);
      device.queue.submit([encoder.finish()]);
      ctx.counters.dispatches++;
    });
  }

  /** Waits for one chunk, takes its deviations and masks, and notes the rows it flagged. */
  private async readChunk(
    job: Job,
    submitted: Promise<void>,
    readback: GPUBuffer,
    start: number,
    rows: number,
    width: number,
  ): Promise<void> {
    await submitted;
    const bytes = rows * width * 4;
    await this.ctx.guard.wait(readback.mapAsync(MAP_MODE_READ, 0, bytes), 'compare readback');
    try {
      takeChunk(job, new Uint32Array(readback.getMappedRange(0, bytes)), start, rows, width, this.ctx.recheck);
    } finally {
      readback.unmap();
    }
  }
}

/**
 * Copies one chunk's results into the job's arrays and notes the flagged rows. A plain function,
 * not part of the async readChunk: hot loops are kept out of async functions here, because on
 * Node 20 with Dawn a loop optimised on-stack in a resumed async frame crashed the process (seen in
 * benchmark scripts, not in this code; the rule costs nothing).
 */
function takeChunk(job: Job, words: Uint32Array, start: number, rows: number, width: number, recheck: RecheckCounts): void {
  const floats = new Float32Array(words.buffer, words.byteOffset, words.length);
  const { deviation, affected, maskWords, flagged } = job;
  for (let i = 0; i < rows; i++) {
    const base = i * width;
    const flags = words[base + 2]!;
    const row = start + i;
    if (flags !== 0) {
      flagged.push(row);
      if (flags & FLAG_HOST_VALUE) recheck.hostValueRows++;
      else if (flags & FLAG_UNCERTAIN) recheck.uncertainRows++;
      else recheck.rangeRows++;
      continue;
    }
    deviation[row] = floats[base]! + floats[base + 1]!;
    for (let w = 0; w < maskWords; w++) affected[row * maskWords + w] = words[base + 3 + w]!;
  }
}

/** A copy of the layout's arrays: the host recheck runs after compare() returned. */
function copyLayout(layout: ComparisonLayout): ComparisonLayout {
  return {
    fieldCount: layout.fieldCount,
    stride: layout.stride,
    weights: layout.weights.slice(),
    tolerances: layout.tolerances.slice(),
    categorical: layout.categorical.slice(),
  };
}
