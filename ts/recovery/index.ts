/** Public pieces of `ts/recovery`: heartbeats and failure detection (promotion is being built: issue 5). */
export { HeartbeatFailedError } from './errors.js';
export { FailureDetector, type FailureDetectorOptions, type PrimaryState, type PrimaryStatus } from './failure-detector.js';
export { type HeartbeatHandle, type HeartbeatOptions, startHeartbeat } from './heartbeat.js';
