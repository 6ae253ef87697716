/**
 * The entry of a shard worker thread (run from the build: `dist/ts/stream/worker/shard-worker.js`;
 * worker threads get no TypeScript transform). It imports the workflow definitions from the
 * modules named in workerData, attaches the ring, the status block and the shared matrices, posts
 * `ready`, then reads the ring until the main thread closes it: each record is joined into a
 * message (shard-message.ts), applied by the ShardMirror, and published.
 *
 * The thread blocks in `Atomics.wait` between records: it has nothing else to do, and a blocked
 * thread costs nothing. It naps first (see NAP_MS), then waits in slices so a terminate() never
 * finds it stuck. Any error while
 * mirroring is fatal: it is posted (`failed`) and rethrown, the thread exits with code 1, and the
 * main thread reports MirrorWorkerDiedError (the events are in the log; a restart replays them).
 */
import { getPriority, setPriority } from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { WorkflowMirrorError } from '../../base-error.js';
import type { AnyWorkflowDefinition } from '../../workflow/define.js';
import { EventRing } from '../ring/event-ring.js';
import { ShardMessageReader } from './shard-message.js';
import { ShardMirror } from './shard-mirror.js';
import type { ShardWorkerData, ShardWorkerMessage } from './shard-protocol.js';
import { ShardStatus } from './shard-status.js';
import { SharedStateMatrix } from './shared-state-matrix.js';

const READ_SLICE_MS = 1_000;
/**
 * How long the worker naps (1 ms at a time) on an empty ring before it asks to be woken: while
 * the primary is busy the ring rarely stays empty that long, so its thread pays no wake-ups.
 */
const NAP_MS = 20;

function post(message: ShardWorkerMessage): void {
  parentPort!.postMessage(message);
}

/** Whether `value` has the shape defineWorkflow gives (a name, a version, a state schema, a start handler). */
function isDefinition(value: unknown): value is AnyWorkflowDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { name?: unknown; version?: unknown; state?: unknown; on?: { start?: unknown } };
  return (
    typeof v.name === 'string' &&
    typeof v.version === 'number' &&
    typeof v.state === 'object' &&
    typeof v.on?.start === 'function'
  );
}

async function loadDefinitions(modules: ShardWorkerData['workflows']): Promise<AnyWorkflowDefinition[]> {
  const definitions: AnyWorkflowDefinition[] = [];
  for (const { module, export: name } of modules) {
    const namespace = (await import(module)) as Record<string, unknown>;
    const definition = namespace[name];
    if (!isDefinition(definition)) throw new Error(`export "${name}" of ${module} is not a workflow definition`);
    definitions.push(definition);
  }
  return definitions;
}

/**
 * Gives this thread the nice value asked for and returns what it reads back, or null. Only on
 * Linux, where a nice value belongs to one thread: `setPriority(0, n)` there changes the calling
 * thread alone (the primary's threads keep theirs). Elsewhere the same call would change the whole
 * process, the primary included, so nothing is done. A value below the inherited one needs
 * privileges (CAP_SYS_NICE); without them the thread keeps what it has, and the value read back
 * says so: a tuning knob that cannot be applied is no reason to run without a mirror.
 */
function lowerPriority(niceness: number | undefined): number | null {
  if (niceness === undefined || process.platform !== 'linux') return null;
  try {
    setPriority(0, niceness);
  } catch {
    // EACCES: see above.
  }
  return getPriority(0);
}

async function start(data: ShardWorkerData): Promise<{ mirror: ShardMirror; ring: EventRing } | undefined> {
  try {
    const niceness = lowerPriority(data.niceness);
    const definitions = await loadDefinitions(data.workflows);
    const mirror = new ShardMirror({
      shard: data.shard,
      definitions,
      matrices: data.matrices.map((handle) => SharedStateMatrix.attach(handle)),
      status: ShardStatus.attach(data.status),
      guardDeterminism: data.guardDeterminism,
      post,
    });
    const ring = EventRing.attach(data.ring);
    post({ type: 'ready', workflows: mirror.workflows(), niceness });
    return { mirror, ring };
  } catch (error) {
    post({ type: 'start-failed', message: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

function mirrorUntilClosed(mirror: ShardMirror, ring: EventRing): void {
  // The ring holds only what this process's main thread encoded: no verifier walk (shard-message.ts).
  const reader = new ShardMessageReader({ trusted: true });
  for (;;) {
    const record = ring.readBlocking(READ_SLICE_MS, NAP_MS);
    if (record === undefined) {
      if (ring.ended) return;
      continue;
    }
    const batch = reader.push(record);
    if (batch !== undefined) mirror.apply(batch);
  }
}

if (isMainThread || parentPort === null) {
  throw new Error('shard-worker.js is the entry of a worker thread (WorkerMirror starts it)');
}
const data = workerData as ShardWorkerData;
const started = await start(data);
if (started !== undefined) {
  try {
    mirrorUntilClosed(started.mirror, started.ring);
  } catch (error) {
    post({
      type: 'failed',
      message: error instanceof Error ? error.message : String(error),
      code: error instanceof WorkflowMirrorError ? error.code : undefined,
      stack: error instanceof Error ? error.stack : undefined,
    });
    // The main thread must not wait on a ring nobody reads any more.
    started.ring.abort();
    throw error;
  }
}
