import type { CompiledDefinition } from './compiled-definition.js';

/** Lifecycle of an instance. */
export type InstanceStatus = 'running' | 'completed' | 'failed';

/** What both engines keep per instance. */
export interface InstanceRuntime {
  readonly workflowId: string;
  /** FNV hash of workflowId, the seed base of ctx.random(). */
  readonly idHash: number;
  readonly compiled: CompiledDefinition;
  /** Row in this engine's state matrix (the same row in the primary's and the mirror's). */
  readonly row: number;
  /** The state object handlers read and write. */
  readonly state: Record<string, unknown>;
  /** Seq of the last event applied. */
  seq: number;
  status: InstanceStatus;
  /** Fingerprint recorded when the instance started (the code that started it). */
  startedFingerprint: string;
}
