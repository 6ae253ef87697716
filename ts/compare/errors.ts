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
