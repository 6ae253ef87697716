/** Public pieces of `ts/recovery`: heartbeats and failure detection and promotion of a mirror. */
export { HeartbeatFailedError, PromotionConflictError, PromotionIncompleteError, PromotionRefusedError } from './errors.js';
export { FailureDetector, type FailureDetectorOptions, type PrimaryState, type PrimaryStatus } from './failure-detector.js';
export { type FreshMirror, type FreshMirrorOptions, startMirrorFromCheckpoint } from './fresh-mirror.js';
export { type HeartbeatHandle, type HeartbeatOptions, startHeartbeat } from './heartbeat.js';
export {
  type LogFollower,
  type MirrorLag,
  type ProtectionStatus,
  protectionStatus,
  protectionStatusFromLog,
  type StatusFromLogOptions,
} from './mirror-lag.js';
export { type MirrorReportHandle, type MirrorReportOptions, startMirrorReports } from './mirror-reports.js';
export { outstandingFromHistory, type PromoteOptions, type PromotionReport, promote } from './promote.js';
