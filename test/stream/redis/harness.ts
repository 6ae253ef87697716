/**
 * Helpers of the Redis transport tests: the demo's order workload on a memory log (the source of
 * truth the stream is checked against), the replay that says what a mirror must end with, and
 * waiting for a condition.
 */
import { order, simulatedOrderActivities } from '../../../examples/order.js';
import { VirtualClock } from '../../../ts/clock/virtual-clock.js';
import { FleetRegistry } from '../../../ts/engine/fleet.js';
import { MirrorEngine } from '../../../ts/engine/mirror-engine.js';
import { PrimaryEngine } from '../../../ts/engine/primary-engine.js';
import type { HistoryEvent } from '../../../ts/history/events.js';
import { MemoryEventLog } from '../../../ts/history/memory-event-log.js';
import { type OrderWorkloadOptions, runOrderWorkload } from '../../../ts/node/order-workload.js';

/** A primary on a memory log, with the workload's clock. */
export interface OrderPrimary {
  readonly log: MemoryEventLog;
  readonly primary: PrimaryEngine;
  readonly fleets: FleetRegistry;
  readonly clock: VirtualClock;
  run(options: OrderWorkloadOptions): Promise<number>;
}

export function orderPrimary(log = new MemoryEventLog()): OrderPrimary {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const fleets = new FleetRegistry([order]);
  const primary = new PrimaryEngine({ log, fleets, activities: simulatedOrderActivities(), clock });
  return { log, primary, fleets, clock, run: (options) => runOrderWorkload(primary, clock, options) };
}

/** Every event of a memory log, in pos order. */
export async function allEvents(log: MemoryEventLog): Promise<HistoryEvent[]> {
  return log.readRange(0, Number.POSITIVE_INFINITY);
}

/** What a mirror holds per instance, comparable with toEqual. */
export function statesOf(mirror: MirrorEngine): Record<string, { seq: number; status: string; state: unknown }> {
  const out: Record<string, { seq: number; status: string; state: unknown }> = {};
  for (const i of mirror.allInstances()) out[i.workflowId] = { seq: i.seq, status: i.status, state: { ...i.state } };
  return out;
}

/** The states a fresh mirror reaches replaying `events` in log order: the undisturbed result. */
export function replayed(events: readonly HistoryEvent[]): Record<string, { seq: number; status: string; state: unknown }> {
  const mirror = new MirrorEngine({ fleets: new FleetRegistry([order]) });
  mirror.apply(events);
  return statesOf(mirror);
}

/** Polls `check` until it returns true (or throws after `timeoutMs`, naming `what`). */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A key prefix of its own per test, so tests share one server without seeing each other. */
let counter = 0;
export function uniquePrefix(): string {
  counter++;
  return `t${process.pid}x${counter}`;
}
