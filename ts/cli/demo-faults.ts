/**
 * The faults the demo injects: one of each kind, on instances spread over the fleet, so the
 * summary can show each was caught with the right cause and nothing else was flagged.
 */
import { type OrderInput, surchargedOrder } from '../../examples/order.js';
import type { AnomalyCause } from '../anomaly/report.js';
import { EXPECTED_CAUSE, type Fault } from '../engine/faults.js';

/** Where the demo's virtual clock starts (both its runs, and the failover's primary process). */
export const DEMO_START_TIME = Date.UTC(2026, 0, 1);

/** The demo's input for instance i: deterministic, varied. */
export function demoInput(i: number): OrderInput {
  return { amount: 5 + ((i * 7919) % 49_500) / 100, items: 1 + (i % 12), express: i % 3 === 0 };
}

/** Instance i's id. */
export function demoId(i: number): string {
  return `order-${String(i).padStart(6, '0')}`;
}

/** True when instance i gets a discount signal. */
export function getsDiscount(i: number): boolean {
  return i % 10 === 4;
}

/** One injected fault with what the demo expects the mirror to say. */
export interface PlannedFault {
  readonly fault: Fault;
  readonly expectedCause: AnomalyCause;
}

/** Six faults, one per kind, for a fleet of `instances` (none when the fleet is too small). */
export function demoFaults(instances: number): PlannedFault[] {
  if (instances < 60) return [];
  // Indexes spread over the run; each ends in 4 so the discount signal (getsDiscount) exists for drop-delivery.
  const pick = (fraction: number) => {
    const i = Math.floor((instances * fraction) / 10) * 10 + 4;
    return demoId(Math.min(i, instances - 6));
  };
  const faults: Fault[] = [
    { kind: 'corrupt-field', workflowId: pick(0.11), field: 'total', value: 0, afterEvent: 'charge.completed' },
    { kind: 'duplicate-delivery', workflowId: pick(0.27), event: 'charge.completed' },
    { kind: 'drop-delivery', workflowId: pick(0.43), event: 'signal.discount' },
    { kind: 'changed-handler', workflowId: pick(0.59), definition: surchargedOrder },
    {
      kind: 'altered-result',
      workflowId: pick(0.71),
      activity: 'charge',
      alter: (r) => ({ amount: (r as { amount: number }).amount + 5 }),
    },
    { kind: 'swapped-calls', workflowId: pick(0.87) },
  ];
  return faults.map((fault) => ({ fault, expectedCause: EXPECTED_CAUSE[fault.kind] }));
}
