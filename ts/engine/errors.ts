import { WorkflowMirrorError } from '../base-error.js';

/** `start` named a workflow type no definition has. */
export class UnknownWorkflowError extends WorkflowMirrorError {
  constructor(
    readonly workflowType: string,
    known: readonly string[],
  ) {
    super('UNKNOWN_WORKFLOW', `no workflow definition named "${workflowType}" (known: ${known.join(', ') || 'none'})`);
  }
}

/** An operation named an instance the engine does not run. */
export class UnknownInstanceError extends WorkflowMirrorError {
  constructor(readonly workflowId: string) {
    super('UNKNOWN_INSTANCE', `no workflow instance "${workflowId}"`);
  }
}

/** `start` was given an id that already has a history. */
export class DuplicateWorkflowError extends WorkflowMirrorError {
  constructor(
    readonly workflowId: string,
    cause?: unknown,
  ) {
    super('DUPLICATE_WORKFLOW', `workflow instance "${workflowId}" already exists`, { cause });
  }
}

/** A declared activity has no implementation on the primary. */
export class MissingActivityImplementationError extends WorkflowMirrorError {
  constructor(
    readonly workflowType: string,
    readonly activity: string,
  ) {
    super(
      'MISSING_ACTIVITY_IMPLEMENTATION',
      `workflow "${workflowType}" declares activity "${activity}" but no implementation was given`,
    );
  }
}

/** An activity attempt ran past its timeout. */
export class ActivityTimeoutError extends WorkflowMirrorError {
  constructor(
    readonly activity: string,
    readonly timeoutMs: number,
  ) {
    super('ACTIVITY_TIMEOUT', `activity "${activity}" did not finish within ${timeoutMs} ms`);
  }
}

/** A handler threw; the workflow was failed deterministically and this carries the original error. */
export class HandlerError extends WorkflowMirrorError {
  constructor(
    readonly workflowId: string,
    readonly seq: number,
    cause: unknown,
  ) {
    super('HANDLER_THREW', `handler of "${workflowId}" at seq ${seq} threw: ${errorText(cause)}`, { cause });
  }
}

/** An instance stopped because the log refused or failed an append; nothing was lost, it waits for a resume. */
export class InstanceStalledError extends WorkflowMirrorError {
  constructor(
    readonly workflowId: string,
    cause: unknown,
  ) {
    super('INSTANCE_STALLED', `instance "${workflowId}" stopped: ${errorText(cause)}`, { cause });
  }
}

/** Text of any thrown value, with its code when it has one. */
export function errorText(error: unknown): string {
  if (error instanceof WorkflowMirrorError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A signal or command was aimed at an instance that has already ended. */
export class InstanceNotRunningError extends WorkflowMirrorError {
  constructor(
    readonly workflowId: string,
    readonly status: string,
  ) {
    super('INSTANCE_NOT_RUNNING', `workflow instance "${workflowId}" is ${status}, not running`);
  }
}

/** `evict` was asked to forget an instance that is still running (only closed ones can go). */
export class InstanceStillRunningError extends WorkflowMirrorError {
  constructor(readonly workflowId: string) {
    super(
      'INSTANCE_STILL_RUNNING',
      `workflow instance "${workflowId}" is still running: only a completed or failed instance can be evicted`,
    );
  }
}
