/**
 * The traffic a `wfmirror primary-node` serves when it has no other: the demo's order workflow,
 * on a virtual clock, in windows (as the demo's failover primary runs it). Each node gets an id
 * prefix of its own, so several primary nodes never start the same instance. Deterministic: the
 * same options give every instance the same history (events, payloads and times), whatever the
 * log, the sharding or the broker did, which is what lets a test compare a disturbed run with an
 * undisturbed one.
 *
 * Faults (`corrupt-field@12` = fault kind at this node's instance 12) are the engine's own
 * (ts/engine/faults.ts), with the demo's parameters.
 */
import { type OrderInput, order, surchargedOrder } from '../../examples/order.js';
import type { VirtualClock } from '../clock/virtual-clock.js';
import type { Fault } from '../engine/faults.js';
import { InvalidNodeOptionError } from './errors.js';

/** What the workload drives: a primary engine, or a primary node's shard engines. */
export interface WorkloadTarget {
  start(workflowType: string, workflowId: string, input: unknown): Promise<void>;
  signal(workflowId: string, name: string, payload: unknown): Promise<void>;
  whenIdle(): Promise<void>;
}

/** Options of {@link runOrderWorkload}. */
export interface OrderWorkloadOptions {
  readonly instances: number;
  /** Prefix of this node's instance ids (`p1-` gives `p1-order-000000`...). */
  readonly idPrefix: string;
  /** Instances started together between two one-minute steps of the clock. Default 50. */
  readonly window?: number;
  /** Real time to wait after each step (ms), to spread a run out. Default 0. */
  readonly paceMs?: number;
  /** Told after each window with the instances started so far. */
  readonly onProgress?: (started: number) => void;
  /** Checked between steps: stop early (a node told to shut down). */
  readonly stopRequested?: () => boolean;
}

/** The workload's instance ids: `<prefix>order-000042`. */
export function orderId(idPrefix: string, i: number): string {
  return `${idPrefix}order-${String(i).padStart(6, '0')}`;
}

/** Instance i's input (the demo's formula): deterministic and varied. */
export function orderInput(i: number): OrderInput {
  return { amount: 5 + ((i * 7919) % 49_500) / 100, items: 1 + (i % 12), express: i % 3 === 0 };
}

/** True when instance i gets a discount signal (every tenth, index ending in 4). */
export function getsDiscount(i: number): boolean {
  return i % 10 === 4;
}

const FAULT_KINDS = [
  'corrupt-field',
  'duplicate-delivery',
  'drop-delivery',
  'changed-handler',
  'altered-result',
  'swapped-calls',
];

/**
 * One engine fault from `kind@index`, aimed at instance `index` of the workload with prefix `idPrefix`.
 * @throws InvalidNodeOptionError
 */
export function parseWorkloadFault(spec: string, idPrefix: string): Fault {
  const match = /^([a-z-]+)@(\d{1,9})$/.exec(spec);
  if (match === null || !FAULT_KINDS.includes(match[1]!)) {
    throw new InvalidNodeOptionError(
      '--fault',
      `must be KIND@INDEX with KIND one of ${FAULT_KINDS.join(', ')}, got ${JSON.stringify(spec)}`,
    );
  }
  const workflowId = orderId(idPrefix, Number(match[2]));
  switch (match[1]) {
    case 'corrupt-field':
      return { kind: 'corrupt-field', workflowId, field: 'total', value: 0, afterEvent: 'charge.completed' };
    case 'duplicate-delivery':
      return { kind: 'duplicate-delivery', workflowId, event: 'charge.completed' };
    case 'drop-delivery':
      // Only instances that get a discount (index ending in 4) have this signal.
      return { kind: 'drop-delivery', workflowId, event: 'signal.discount' };
    case 'changed-handler':
      return { kind: 'changed-handler', workflowId, definition: surchargedOrder };
    case 'altered-result':
      return {
        kind: 'altered-result',
        workflowId,
        activity: 'charge',
        alter: (r) => ({ amount: (r as { amount: number }).amount + 5 }),
      };
    default:
      return { kind: 'swapped-calls', workflowId };
  }
}

const pause = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

/**
 * Runs the workload to the end: windows of starts (with a discount signal for every tenth
 * instance), the clock moved one minute after each, then one-minute steps until no timer is left.
 * Returns the instances started.
 */
export async function runOrderWorkload(
  target: WorkloadTarget,
  clock: VirtualClock,
  options: OrderWorkloadOptions,
): Promise<number> {
  const window = options.window ?? 50;
  const paceMs = options.paceMs ?? 0;
  const stop = options.stopRequested ?? (() => false);
  const run = async (i: number) => {
    const id = orderId(options.idPrefix, i);
    await target.start(order.name, id, orderInput(i));
    if (getsDiscount(i)) await target.signal(id, 'discount', { amount: 2.5 });
  };
  let started = 0;
  for (let first = 0; first < options.instances && !stop(); first += window) {
    const count = Math.min(window, options.instances - first);
    await Promise.all(Array.from({ length: count }, (_, k) => run(first + k)));
    started += count;
    await target.whenIdle();
    clock.advanceBy(60_000);
    await target.whenIdle();
    options.onProgress?.(started);
    await pause(paceMs);
  }
  while (clock.pendingTimers > 0 && !stop()) {
    clock.advanceBy(60_000);
    await target.whenIdle();
    await pause(paceMs);
  }
  return started;
}
