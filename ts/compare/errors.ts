/**
 * Errors thrown by `ts/compare`. All extend {@link WorkflowMirrorError}; `code` is stable.
 */
import { WorkflowMirrorError } from '../base-error.js';

/**
 * The inputs of a comparison are inconsistent: matrices of the wrong length, a malformed layout,
 * a row range outside the matrices or a bad option. The message says exactly which and why.
 */
export class ComparisonInputError extends WorkflowMirrorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_COMPARISON_INPUT', message, options);
  }
}

/** `accelerator.backend` named a backend that does not exist. */
export class UnknownBackendError extends WorkflowMirrorError {
  constructor(
    readonly backend: string,
    known: readonly string[],
  ) {
    super('UNKNOWN_BACKEND', `unknown comparison backend "${backend}" (known: ${known.join(', ')})`);
  }
}

/** A backend asked for by name cannot run on this machine (its probe said why). */
export class BackendUnavailableError extends WorkflowMirrorError {
  constructor(
    readonly backend: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('BACKEND_UNAVAILABLE', `comparison backend "${backend}" is not available here: ${reason}`, options);
  }
}

/** Every backend of a fallback chain failed (the last error is the cause). Only possible without `js` in the chain. */
export class AllBackendsFailedError extends WorkflowMirrorError {
  constructor(
    readonly tried: readonly string[],
    options?: { cause?: unknown },
  ) {
    super('ALL_BACKENDS_FAILED', `every comparison backend failed (${tried.join(', ')})`, options);
  }
}
