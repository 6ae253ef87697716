/**
 * Errors of the GPU backends (`webgpu`, `gpujs`). All extend {@link WorkflowMirrorError}; `code` is
 * stable. Invalid comparison inputs are not here: they are the shared `ComparisonInputError`.
 */
import { WorkflowMirrorError } from '../../base-error.js';

/** Stable codes of {@link WebGpuBackendError}. */
export type WebGpuErrorCode =
  /** The `webgpu` package (Dawn) could not be loaded. */
  | 'WEBGPU_UNAVAILABLE'
  /** Dawn found no adapter (no GPU, no software Vulkan driver). */
  | 'WEBGPU_NO_ADAPTER'
  /** The adapter refused a device, or a shader or pipeline failed to build. */
  | 'WEBGPU_SETUP_FAILED'
  /** The df64 primitives gave wrong answers on this device (see webgpu-self-test.ts). */
  | 'WEBGPU_ARITHMETIC_UNSOUND'
  /** The device was lost (driver reset, out of memory, destroyed) before or during the operation. */
  | 'WEBGPU_DEVICE_LOST'
  /** WebGPU reported a validation, out-of-memory or internal error for the operation. */
  | 'WEBGPU_OPERATION_FAILED'
  /** The comparator (or resident fleet) was used after dispose(). */
  | 'WEBGPU_DISPOSED'
  /** A setting is out of range (e.g. workgroupSize above the adapter's limit). */
  | 'WEBGPU_INVALID_SETTINGS';

/** A failure of the `webgpu` backend; `code` says which. */
export class WebGpuBackendError extends WorkflowMirrorError {
  declare readonly code: WebGpuErrorCode;

  constructor(code: WebGpuErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Stable codes of {@link GpuJsBackendError}. */
export type GpuJsErrorCode =
  /** gpu.js could not be loaded. */
  | 'GPUJS_UNAVAILABLE'
  /** The requested gpu.js mode does not work here (its probe failed). */
  | 'GPUJS_MODE_UNAVAILABLE'
  /** A kernel run failed or returned something other than the expected output. */
  | 'GPUJS_KERNEL_FAILED'
  /** The comparator was used after dispose(). */
  | 'GPUJS_DISPOSED';

/** A failure of the `gpujs` backend; `code` says which. */
export class GpuJsBackendError extends WorkflowMirrorError {
  declare readonly code: GpuJsErrorCode;

  constructor(code: GpuJsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
