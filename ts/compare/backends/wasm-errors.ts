/**
 * Errors of the wasm backends (`wasm-simd`, `wasm-scalar`) and of their memory arena. All extend
 * {@link WorkflowMirrorError}; `code` is stable.
 */
import { WorkflowMirrorError } from '../../base-error.js';

/** The built kernel (`build/wasm/*.wasm`) is not there: the package was not built (`npm run build:wasm`). */
export class WasmKernelMissingError extends WorkflowMirrorError {
  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super('WASM_KERNEL_MISSING', `WebAssembly kernel not found at ${path}: run \`npm run build:wasm\``, options);
  }
}

/** The kernel file exists but does not compile, or lacks the exports the backend calls. */
export class WasmKernelInvalidError extends WorkflowMirrorError {
  constructor(
    readonly path: string,
    why: string,
    options?: { cause?: unknown },
  ) {
    super('WASM_KERNEL_INVALID', `WebAssembly kernel ${path} is unusable: ${why}`, options);
  }
}

/** This engine lacks something the backend needs (WebAssembly, SIMD, shared memory). */
export class WasmUnsupportedError extends WorkflowMirrorError {
  constructor(message: string) {
    super('WASM_UNSUPPORTED', message);
  }
}

/** The arena's memory cannot grow enough for an allocation (past its maximum, or the engine refused). */
export class WasmMemoryExhaustedError extends WorkflowMirrorError {
  constructor(
    readonly requestedBytes: number,
    readonly memoryBytes: number,
    options?: { cause?: unknown },
  ) {
    super(
      'WASM_MEMORY_EXHAUSTED',
      `cannot allocate ${requestedBytes} bytes in WebAssembly memory (now ${memoryBytes} bytes, at most 4 GiB)`,
      options,
    );
  }
}

/** `release` was given an array this storage did not allocate, or one already released, or a part of one. */
export class StorageReleaseError extends WorkflowMirrorError {
  constructor(message: string) {
    super('INVALID_STORAGE_RELEASE', message);
  }
}

/** A comparator was used after `dispose()`. */
export class ComparatorDisposedError extends WorkflowMirrorError {
  constructor(readonly backend: string) {
    super('COMPARATOR_DISPOSED', `the ${backend} comparator was disposed`);
  }
}

/** `allocate` was asked for a length that is not a non-negative safe integer. */
export class StorageAllocationError extends WorkflowMirrorError {
  constructor(message: string) {
    super('INVALID_STORAGE_ALLOCATION', message);
  }
}
