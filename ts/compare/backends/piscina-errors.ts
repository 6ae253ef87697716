/**
 * Errors of the `piscina` comparison backend. All extend {@link WorkflowMirrorError}; `code` is
 * stable. (The wasm kernel's own errors are in `wasm-errors.ts`.)
 */
import { WorkflowMirrorError } from '../../base-error.js';

/** A worker failed a shard: it threw, or died (exited, crashed) while the shard was in flight. */
export class ComparisonWorkerError extends WorkflowMirrorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('COMPARISON_WORKER_FAILED', message, options);
  }
}

/** The worker script (`piscina-worker.mjs`) is neither beside the backend's module nor in the package's sources. */
export class ComparisonWorkerScriptMissingError extends WorkflowMirrorError {
  constructor(readonly searched: readonly string[]) {
    super('COMPARISON_WORKER_SCRIPT_MISSING', `piscina worker script not found (looked at ${searched.join(', ')})`);
  }
}

/** `workers` or `minRowsPerWorker` is not a positive integer. */
export class InvalidBackendSettingsError extends WorkflowMirrorError {
  constructor(message: string) {
    super('INVALID_BACKEND_SETTINGS', message);
  }
}
