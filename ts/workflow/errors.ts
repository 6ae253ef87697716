import { WorkflowMirrorError } from '../base-error.js';

/** A workflow definition is not valid (bad name, version, handler table...). */
export class DefinitionError extends WorkflowMirrorError {
  constructor(message: string) {
    super('INVALID_DEFINITION', message);
  }
}

/** A handler called an activity the definition does not declare. */
export class UnknownActivityError extends WorkflowMirrorError {
  constructor(
    readonly workflowType: string,
    readonly activity: string,
  ) {
    super('UNKNOWN_ACTIVITY', `workflow "${workflowType}" declares no activity "${activity}"`);
  }
}

/** A handler reached for the wall clock or Math.random: replay would not reproduce it. */
export class DeterminismViolationError extends WorkflowMirrorError {
  constructor(what: string) {
    super(
      'DETERMINISM_VIOLATION',
      `${what} was called inside a workflow handler; use ctx.now() / ctx.random() so that replay gives the same result`,
    );
  }
}

/** A handler issued a command with bad arguments (negative sleep, non-string reason...). */
export class InvalidCommandError extends WorkflowMirrorError {
  constructor(message: string) {
    super('INVALID_COMMAND', message);
  }
}
