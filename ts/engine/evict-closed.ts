/** The eviction rule both engines follow: closed instances only, and the row let go on that side. */
import { InstanceStillRunningError } from './errors.js';
import type { Fleet } from './fleet.js';
import type { InstanceRuntime } from './instance.js';

/**
 * Removes `workflowId` from an engine's `instances` and lets go of its row on `side` (see
 * Fleet.release). Returns false when the engine does not hold it.
 * @throws InstanceStillRunningError when it is running (nothing is changed).
 */
export function evictClosed(
  instances: Map<string, InstanceRuntime & { readonly fleet: Fleet }>,
  workflowId: string,
  side: 'primary' | 'mirror',
): boolean {
  const instance = instances.get(workflowId);
  if (instance === undefined) return false;
  if (instance.status === 'running') throw new InstanceStillRunningError(workflowId);
  instances.delete(workflowId);
  instance.fleet.release(workflowId, side);
  return true;
}
