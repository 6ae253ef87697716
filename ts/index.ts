/**
 * workflow-mirror's public API. Everything a user imports comes from here; nothing inside the
 * library imports this file.
 */
export { WorkflowMirrorError } from './base-error.js';
export { type FieldKind, type FieldOptions, type FieldSpec, type StateSchema, type StateOf, f64, i32, bool, enumOf, str } from './workflow/fields.js';
export {
  type ActivityDecl,
  type ActivityFailure,
  type AnyWorkflowDefinition,
  type Handlers,
  type RetryPolicy,
  type WorkflowContext,
  type WorkflowDefinition,
  activity,
  defineWorkflow,
} from './workflow/define.js';
export { DefinitionError, DeterminismViolationError, InvalidCommandError, UnknownActivityError } from './workflow/errors.js';
export type { Clock, TimerHandle } from './clock/clock.js';
export { SystemClock } from './clock/system-clock.js';
export { VirtualClock } from './clock/virtual-clock.js';
export * from './history/index.js';
export * from './state/index.js';
export * from './compare/index.js';
export * from './anomaly/index.js';
export type { ActivityImplementation, ActivityImplementations, ActivityInfo } from './engine/activity-runner.js';
export {
  ActivityTimeoutError,
  DuplicateWorkflowError,
  HandlerError,
  InstanceNotRunningError,
  InstanceStalledError,
  MissingActivityImplementationError,
  UnknownInstanceError,
  UnknownWorkflowError,
} from './engine/errors.js';
export { EXPECTED_CAUSE, type Fault, type FiredFault } from './engine/faults.js';
export { MirrorEngine, type MirrorInstance, type NonDeterminismFinding } from './engine/mirror-engine.js';
export { PrimaryEngine, type PrimaryInstance } from './engine/primary-engine.js';
export { FleetRegistry, Fleet } from './engine/fleet.js';
export { InProcessTee } from './stream/in-process-tee.js';
export { type LagReport, type LogOption, type MirrorRunStats, WorkflowMirror, type WorkflowMirrorOptions } from './workflow-mirror.js';
export { AnomalyDetector, type ComparisonRound, type DetectorFleet, type DetectorStats, type Diagnosis } from './anomaly/detector.js';
export { ComparisonPolicy, type ComparisonSchedule } from './anomaly/comparison-policy.js';
export { type BackendChoice, createComparator } from './compare/select-backend.js';
