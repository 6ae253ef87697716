/**
 * workflow-mirror's public API. Everything a user imports comes from here; nothing inside the
 * library imports this file.
 */

export * from './alert/index.js';
export { ComparisonPolicy, type ComparisonSchedule } from './anomaly/comparison-policy.js';
export {
  AnomalyDetector,
  type ComparisonRound,
  type DetectorFleet,
  type DetectorStats,
  type Diagnosis,
} from './anomaly/detector.js';
export * from './anomaly/index.js';
export { WorkflowMirrorError } from './base-error.js';
export {
  type BackendEntry,
  BENCH_REPORT_FORMAT,
  BenchmarkOutputError,
  type BenchmarkPlan,
  BenchmarkPlanError,
  type BenchmarkReport,
  BenchmarkResultMismatchError,
  benchmarkHtml,
  benchmarkPlan,
  benchmarkProfile,
  formatBenchmarkTable,
  NothingMeasuredError,
  RooflineUnavailableError,
  runBenchmark,
} from './benchmark/index.js';
export type { Clock, TimerHandle } from './clock/clock.js';
export { SystemClock } from './clock/system-clock.js';
export { VirtualClock } from './clock/virtual-clock.js';
export * from './compare/index.js';
export type { ActivityImplementation, ActivityImplementations, ActivityInfo } from './engine/activity-runner.js';
export { CATCH_UP_CHUNK, catchUp } from './engine/catch-up.js';
export { type RestoredCheckpoints, restoreCheckpoints } from './engine/checkpoint.js';
export { CheckpointOrderError, RestoreTargetError } from './engine/checkpoint-errors.js';
export {
  ActivityTimeoutError,
  DuplicateWorkflowError,
  HandlerError,
  InstanceNotRunningError,
  InstanceStalledError,
  InstanceStillRunningError,
  MissingActivityImplementationError,
  UnknownInstanceError,
  UnknownWorkflowError,
} from './engine/errors.js';
export { EXPECTED_CAUSE, type Fault, type FiredFault } from './engine/faults.js';
export { Fleet, FleetRegistry } from './engine/fleet.js';
export { MirrorEngine, type MirrorInstance, type NonDeterminismFinding } from './engine/mirror-engine.js';
export { PrimaryEngine, type PrimaryInstance } from './engine/primary-engine.js';
export * from './hardware/index.js';
export * from './history/index.js';
export * from './node/index.js';
export * from './observe/index.js';
export * from './predict/index.js';
export * from './recovery/index.js';
export {
  buildReport,
  buildReportData,
  InvalidReportOptionError,
  loadAnomalies,
  loadReportData,
  NoAnomalyTableError,
  NotAnEventLogError,
  type ReportData,
  ReportInputFormatError,
  ReportInputNotFoundError,
  type ReportOptions,
  type ReportServer,
  type ReportServerOptions,
  renderReportHtml,
  serveReport,
  UnreadableReportInputError,
  writeReport,
} from './report/index.js';
export * from './serialization/index.js';
export * from './state/index.js';
export { InProcessTee } from './stream/in-process-tee.js';
export * from './stream/redis/index.js';
export * from './stream/transport.js';
export * from './stream/worker/index.js';
export {
  type ActivityDecl,
  type ActivityFailure,
  type AnyWorkflowDefinition,
  activity,
  defineWorkflow,
  type Handlers,
  type RetryPolicy,
  type WorkflowContext,
  type WorkflowDefinition,
} from './workflow/define.js';
export { DefinitionError, DeterminismViolationError, InvalidCommandError, UnknownActivityError } from './workflow/errors.js';
export {
  bool,
  enumOf,
  type FieldKind,
  type FieldOptions,
  type FieldSpec,
  f64,
  i32,
  type StateOf,
  type StateSchema,
  str,
} from './workflow/fields.js';
export {
  IN_PROCESS_MIRROR,
  type LagReport,
  type LogOption,
  type MirrorRunStats,
  WorkflowMirror,
  type WorkflowMirrorOptions,
} from './workflow-mirror.js';
