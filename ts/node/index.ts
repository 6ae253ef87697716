/**
 * The node roles of a deployment across machines (docs/DEPLOYMENT.md). `order-workload.ts` is
 * left out on purpose: it runs the demo's workflow (examples/), which imports the public API.
 */
export { DeltaChainBrokenError, InvalidNodeOptionError, SourceLogUnavailableError } from './errors.js';
export { type MirroredInstance, MirrorNode, type MirrorNodeOptions, type MirrorNodeStats } from './mirror-node.js';
export {
  type MirrorReport,
  type PrimaryRegistration,
  readMirrorReports,
  readPrimaryRegistrations,
  registerPrimary,
  writeMirrorReport,
} from './node-registry.js';
export { PrimaryNode, type PrimaryNodeOptions, type PrimaryNodeStats } from './primary-node.js';
export { PrimaryReplicas, type ReplicaStats } from './primary-replicas.js';
export { type LogReader, ReadonlySqliteLog } from './readonly-sqlite-log.js';
export { FixedSourceLogs, RegisteredSourceLogs, type SourceLogs } from './source-logs.js';
export { type ApplierStats, MirrorStreamApplier, type StreamApplierOptions } from './stream-applier.js';
