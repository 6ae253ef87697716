/// <reference types="@webgpu/types" />
/**
 * Device buffers that are created once and grow only when a batch needs more: a comparison of the
 * same shape as the last one allocates nothing on the device. Every allocation is counted
 * ({@link GpuCounters.buffersCreated}), which is how the tests see that buffers are reused.
 */

/** What the backend has created and run on its device, for stats and tests. */
export interface GpuCounters {
  pipelinesCreated: number;
  buffersCreated: number;
  dispatches: number;
}

/** Zeroed counters. */
export function emptyGpuCounters(): GpuCounters {
  return { pipelinesCreated: 0, buffersCreated: 0, dispatches: 0 };
}

/** One buffer of a fixed usage that is replaced by a larger one when asked for more than it holds. */
export class GrowableBuffer {
  private current: GPUBuffer | undefined;
  private capacity = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: number,
    private readonly label: string,
    private readonly counters: GpuCounters,
    /** Largest size the device allows for this buffer (binding or buffer limit). */
    private readonly maxBytes: number,
  ) {}

  /**
   * A buffer of at least `bytes`. When it must grow it takes 1.5 times the request (up to the
   * device's limit), so batches that creep upwards do not reallocate every time. The old buffer is
   * destroyed: WebGPU defers that until work already submitted with it has finished.
   */
  ensure(bytes: number): GPUBuffer {
    const needed = Math.max(16, align(bytes, 16));
    if (this.current !== undefined && this.capacity >= needed) return this.current;
    const size = Math.min(this.maxBytes, Math.max(needed, align(Math.floor(needed * 1.5), 16)));
    this.current?.destroy();
    this.current = this.device.createBuffer({ label: this.label, size, usage: this.usage });
    this.capacity = size;
    this.counters.buffersCreated++;
    return this.current;
  }

  /** The buffer now held (after {@link ensure}). */
  get buffer(): GPUBuffer {
    if (this.current === undefined) throw new Error(`${this.label}: ensure() was never called`);
    return this.current;
  }

  destroy(): void {
    this.current?.destroy();
    this.current = undefined;
    this.capacity = 0;
  }
}

/** `n` rounded up to a multiple of `to`. */
export function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
