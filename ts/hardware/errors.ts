/**
 * Errors thrown by `ts/hardware`. All extend {@link WorkflowMirrorError}; `code` is stable.
 * Detection itself never throws: a missing GPU or SIMD is a fact, not an error.
 */
import { WorkflowMirrorError } from '../base-error.js';

/** One thing wrong with a profile, at a JSON pointer (`''` is the whole document). */
export interface ProfileProblem {
  readonly path: string;
  readonly message: string;
}

/** A hardware profile file could not be read, is not JSON, or does not satisfy the schema. */
export class InvalidHardwareProfileError extends WorkflowMirrorError {
  constructor(
    /** The file (or other source) the profile came from. */
    readonly file: string,
    /** Every problem found, not just the first. */
    readonly problems: readonly ProfileProblem[],
    options?: { cause?: unknown },
  ) {
    const list = problems.map((p) => `  ${p.path === '' ? '(document)' : p.path}: ${p.message}`).join('\n');
    super('INVALID_HARDWARE_PROFILE', `invalid hardware profile ${file}:\n${list}`, options);
  }
}

/** Two profiles in one set carry the same name (a user profile may replace a built-in one; two files in one folder may not). */
export class DuplicateHardwareProfileError extends WorkflowMirrorError {
  constructor(
    readonly profileName: string,
    readonly files: readonly string[],
  ) {
    super('DUPLICATE_HARDWARE_PROFILE', `hardware profile "${profileName}" is defined twice: ${files.join(', ')}`);
  }
}

/** No profile in the set matches this machine (the built-in `cpu-scalar` matches every machine, so only a custom set can get here). */
export class NoMatchingHardwareProfileError extends WorkflowMirrorError {
  constructor(readonly reasons: readonly string[]) {
    super(
      'NO_MATCHING_HARDWARE_PROFILE',
      `no hardware profile matches this machine:\n${reasons.map((r) => `  ${r}`).join('\n')}`,
    );
  }
}

/**
 * The profile schema uses a keyword the validator does not implement, or uses one wrongly. A packaging
 * or development error: failing loudly keeps the schema and the validator from drifting apart.
 */
export class UnsupportedSchemaError extends WorkflowMirrorError {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super('UNSUPPORTED_SCHEMA', `schema at ${path === '' ? '(root)' : path}: ${message}`);
  }
}

/** `accelerator.profile` named a profile that is neither built in nor a file path. */
export class UnknownHardwareProfileError extends WorkflowMirrorError {
  constructor(
    readonly profileName: string,
    readonly known: readonly string[],
  ) {
    super(
      'UNKNOWN_HARDWARE_PROFILE',
      `unknown hardware profile "${profileName}" (built in: ${known.join(', ')}; or give a path to a profile .json file)`,
    );
  }
}
