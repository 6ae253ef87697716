/**
 * Helpers for the engine tests: a primary/mirror pair wired by hand (so a test can reach the
 * fleets' matrices), a spying / delaying / failing EventLog wrapper, history mutation helpers and
 * an object-graph walker.
 */

import { FaultPlan } from '../../ts/engine/faults.js';
import type {
  ActivityImplementations,
  AnyWorkflowDefinition,
  EventListener,
  EventLog,
  Fault,
  HistoryEvent,
  NewEvent,
  NonDeterminismFinding,
  WorkflowMirrorError,
} from '../../ts/index.js';
import { FleetRegistry, InProcessTee, MemoryEventLog, MirrorEngine, PrimaryEngine, VirtualClock } from '../../ts/index.js';

/** Lets pending promise callbacks and I/O callbacks run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A promise with its resolve and reject handed out. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * An EventLog over a MemoryEventLog that records every append call, can hold back deliveries to
 * subscribers (to make the mirror lag), and can fail chosen appends.
 */
export class SpyLog implements EventLog {
  readonly inner = new MemoryEventLog();
  /** Every successful append, in order. */
  readonly appends: { workflowId: string; expectedSeq: number; events: HistoryEvent[] }[] = [];
  /** Every event stored, in global order (what the log holds right now, synchronously readable). */
  readonly stored: HistoryEvent[] = [];
  /** When true, batches for subscribers are queued until {@link release}. */
  holdDeliveries = false;
  /** Called before each append; throwing from it refuses the append (nothing is stored). */
  beforeAppend: ((workflowId: string, expectedSeq: number, events: readonly NewEvent[]) => void) | undefined;
  private readonly held: HistoryEvent[][] = [];
  private readonly listeners = new Set<EventListener>();

  constructor() {
    this.inner.subscribe((events) => {
      // The inner log calls this once the batch is stored, before append returns.
      this.stored.push(...events);
      if (this.holdDeliveries) this.held.push([...events]);
      else for (const listener of this.listeners) listener(events);
    });
  }

  async append(workflowId: string, expectedSeq: number, events: readonly NewEvent[]): Promise<HistoryEvent[]> {
    this.beforeAppend?.(workflowId, expectedSeq, events);
    const stored = this.inner.appendSync(workflowId, expectedSeq, events);
    this.appends.push({ workflowId, expectedSeq, events: stored });
    return stored;
  }

  /** Events of one instance stored so far (synchronous). */
  historyOf(workflowId: string): HistoryEvent[] {
    return this.stored.filter((e) => e.workflowId === workflowId);
  }

  /** Delivers up to `batches` held batches (all by default); returns how many were delivered. */
  release(batches = Number.POSITIVE_INFINITY): number {
    let n = 0;
    while (n < batches && this.held.length > 0) {
      const batch = this.held.shift()!;
      for (const listener of this.listeners) listener(batch);
      n++;
    }
    return n;
  }

  get heldBatches(): number {
    return this.held.length;
  }

  readInstance(workflowId: string, fromSeq?: number, toSeq?: number): Promise<HistoryEvent[]> {
    return this.inner.readInstance(workflowId, fromSeq, toSeq);
  }
  readRange(afterPos: number, limit: number): Promise<HistoryEvent[]> {
    return this.inner.readRange(afterPos, limit);
  }
  head(workflowId: string): Promise<number> {
    return this.inner.head(workflowId);
  }
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Options of {@link enginePair}. */
export interface PairOptions {
  readonly workflows: readonly AnyWorkflowDefinition[];
  readonly activities: ActivityImplementations;
  readonly clock?: VirtualClock;
  readonly log?: EventLog;
  readonly faults?: readonly Fault[];
  /** False: no tee, the mirror is fed by hand. */
  readonly tee?: boolean;
}

/** A primary and a mirror sharing fleets, wired through an InProcessTee like WorkflowMirror does. */
export function enginePair(options: PairOptions) {
  const clock = options.clock ?? new VirtualClock(0);
  const log = options.log ?? new MemoryEventLog();
  const fleets = new FleetRegistry(options.workflows);
  const errors: WorkflowMirrorError[] = [];
  const findings: NonDeterminismFinding[] = [];
  const mirror = new MirrorEngine({ fleets, onNonDeterminism: (f) => findings.push(f) });
  const primary = new PrimaryEngine({
    log,
    fleets,
    activities: options.activities,
    clock,
    ...(options.faults !== undefined ? { faults: new FaultPlan(options.faults) } : {}),
    onError: (e) => errors.push(e),
  });
  const tee = options.tee === false ? undefined : new InProcessTee(log, [(events) => mirror.apply(events)]);
  /** Drains the primary and fires virtual timers until nothing is left. */
  const settle = async (): Promise<void> => {
    await primary.whenIdle();
    while (clock.fireNext()) await primary.whenIdle();
  };
  return { clock, log, fleets, primary, mirror, tee, errors, findings, settle };
}

/** Runs `definition` on a fresh primary (with a memory log) and returns the recorded events, in global order. */
export async function recordHistory(
  workflows: readonly AnyWorkflowDefinition[],
  activities: ActivityImplementations,
  run: (pair: ReturnType<typeof enginePair>) => Promise<void>,
): Promise<HistoryEvent[]> {
  const log = new MemoryEventLog();
  const pair = enginePair({ workflows, activities, log, tee: false });
  await run(pair);
  await pair.settle();
  return log.readRange(0, Number.POSITIVE_INFINITY);
}

/** A mutable copy of one event with new fields. */
export function withChanges(
  event: HistoryEvent,
  changes: Partial<{ seq: number; pos: number; time: number; payload: object }>,
): HistoryEvent {
  return { ...event, ...changes } as HistoryEvent;
}

/** Renumbers one instance's events seq 1..n and pos 1..n, as a log would after an edit. */
export function renumber(events: readonly HistoryEvent[]): HistoryEvent[] {
  return events.map((e, i) => withChanges(e, { seq: i + 1, pos: i + 1 }));
}

/** The byte image of rows [0, rows) of a matrix's data, for bit-identical comparison. */
export function rowBytes(data: Float64Array, stride: number, rows: number): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, rows * stride * 8).slice();
}

/**
 * Walks every value reachable from `root` through own properties (string and symbol keys; getter
 * and setter functions are visited, not invoked), prototypes and Map/Set entries. Variables a
 * closure captured and `#private` fields are invisible to reflection, so they are not walked.
 * Returns the property path to the first value for which `match` is true, or undefined.
 */
export function findReachable(root: unknown, match: (value: unknown) => boolean): string | undefined {
  const seen = new Set<unknown>();
  const queue: { value: unknown; path: string }[] = [{ value: root, path: '<root>' }];
  while (queue.length > 0) {
    const { value, path } = queue.shift()!;
    if (match(value)) return path;
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) continue;
    seen.add(value);
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== null) queue.push({ value: proto, path: `${path}.[[Prototype]]` });
    if (value instanceof Map) {
      let i = 0;
      for (const [k, v] of value) {
        queue.push({ value: k, path: `${path}.<key ${i}>` });
        queue.push({ value: v, path: `${path}.<value ${i}>` });
        i++;
      }
    } else if (value instanceof Set) {
      let i = 0;
      for (const v of value) queue.push({ value: v, path: `${path}.<entry ${i++}>` });
    }
    // Typed arrays: their elements are numbers, and listing them is slow.
    if (ArrayBuffer.isView(value)) continue;
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor === undefined) continue;
      const name = `${path}.${String(key)}`;
      if ('value' in descriptor) queue.push({ value: descriptor.value, path: name });
      else {
        if (descriptor.get) queue.push({ value: descriptor.get, path: `${name}<get>` });
        if (descriptor.set) queue.push({ value: descriptor.set, path: `${name}<set>` });
      }
    }
  }
  return undefined;
}
