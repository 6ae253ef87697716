/**
 * The one base class of every error this library throws on purpose. Each module has its own
 * `errors.ts` with named subclasses; `code` is stable and meant for programs, `message` for people.
 */
export class WorkflowMirrorError extends Error {
  /** A stable, machine-readable identifier such as `WRONG_EXPECTED_SEQ`. */
  code;
  constructor(code, message, options) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
