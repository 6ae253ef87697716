/// <reference types="@webgpu/types" />
/**
 * Turns WebGPU's ways of failing into typed rejections, so no operation of the backend hangs or
 * crashes: a lost device rejects every wait in flight and every later call (`WEBGPU_DEVICE_LOST`,
 * or `WEBGPU_DISPOSED` after dispose), and validation / out-of-memory / internal errors of an
 * operation, which WebGPU reports asynchronously through error scopes, reject that operation
 * (`WEBGPU_OPERATION_FAILED`).
 */
import { WebGpuBackendError } from './gpu-errors.js';
import { describe } from './webgpu-device.js';

export class DeviceGuard {
  private lostMessage: string | undefined;
  private disposed = false;
  private readonly lost: Promise<never>;

  constructor(
    readonly device: GPUDevice,
    private readonly owner: string,
  ) {
    this.lost = device.lost.then((info) => {
      this.lostMessage = `${info.reason}: ${info.message}`;
      throw this.unusableError();
    });
    // Nobody may be waiting when the device goes; the rejection is reported to the next caller.
    this.lost.catch(() => undefined);
  }

  /** Marks the device as given back on purpose (errors then say "disposed", not "lost") and destroys it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.device.destroy();
  }

  /** Whether the device can still be used. */
  get usable(): boolean {
    return !this.disposed && this.lostMessage === undefined;
  }

  /** Throws the typed error when the device was disposed or lost. */
  check(): void {
    if (!this.usable) throw this.unusableError();
  }

  /**
   * `promise`, or a rejection as soon as the device is lost (mapAsync may otherwise never settle).
   * A rejection of `promise` itself (mapAsync refused, a scope that failed) becomes typed too.
   */
  wait<T>(promise: Promise<T>, label = 'device operation'): Promise<T> {
    const typed = promise.catch(async (error: unknown): Promise<never> => {
      // A destroyed device rejects pending maps in the same turn as it reports the loss, or just
      // before: one turn later the guard knows which of the two it was.
      await new Promise((resolve) => setImmediate(resolve));
      throw this.operationError(label, error);
    });
    return Promise.race([typed, this.lost]);
  }

  /**
   * Runs `work` (encoding, writes, submits) inside error scopes. The returned promise settles once
   * WebGPU has validated the work: it rejects with the first error reported, or with what `work`
   * threw (the scopes are popped either way, so they never leak).
   */
  scoped(label: string, work: () => void): Promise<void> {
    this.check();
    const device = this.device;
    device.pushErrorScope('internal');
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let thrown: unknown;
    let threw = false;
    try {
      work();
    } catch (error) {
      threw = true;
      thrown = error;
    }
    const scopes = [device.popErrorScope(), device.popErrorScope(), device.popErrorScope()];
    const settled = Promise.all(scopes).then((errors) => {
      if (threw) throw this.operationError(label, thrown);
      const error = errors.find((e) => e !== null && e !== undefined);
      if (error !== undefined && error !== null) throw this.operationError(label, error.message);
    });
    return this.wait(settled, label);
  }

  private operationError(label: string, cause: unknown): Error {
    if (cause instanceof WebGpuBackendError) return cause;
    if (!this.usable) return this.unusableError();
    return new WebGpuBackendError('WEBGPU_OPERATION_FAILED', `${this.owner}: ${label} failed: ${describe(cause)}`, { cause });
  }

  private unusableError(): WebGpuBackendError {
    if (this.disposed) return new WebGpuBackendError('WEBGPU_DISPOSED', `${this.owner} was disposed`);
    return new WebGpuBackendError(
      'WEBGPU_DEVICE_LOST',
      `${this.owner}: the WebGPU device was lost (${this.lostMessage ?? 'unknown'})`,
    );
  }
}
