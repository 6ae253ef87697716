/**
 * The order workflow used by the demo, the docs and the benchmarks: reserve stock and charge the
 * card in parallel, wait for dispatch, ship, done. Discounts arrive as signals.
 */

import type { StateOf, WorkflowContext } from '../ts/index.js';
import { activity, bool, defineWorkflow, enumOf, f64, i32, str } from '../ts/index.js';

/** What starts an order. */
export interface OrderInput {
  readonly amount: number;
  readonly items: number;
  readonly express?: boolean;
}

const state = {
  total: f64({ weight: 10, tolerance: 0.01, critical: true }),
  paid: f64({ weight: 10, tolerance: 0.01 }),
  discount: f64({ weight: 5, tolerance: 0.01 }),
  items: i32({ weight: 1 }),
  reserved: bool({ weight: 50 }),
  express: bool({ weight: 5 }),
  status: enumOf(['new', 'reserving', 'shipping', 'shipped', 'failed'], { weight: 100 }),
  carrier: str({ weight: 20 }),
  note: str({ weight: 0 }),
};

const activities = {
  reserve: activity<{ items: number }, { reserved: boolean }>({ retry: { attempts: 3, backoffMs: 50 } }),
  charge: activity<{ amount: number }, { amount: number }>({
    predict: (input) => ({ amount: input.amount }),
    retry: { attempts: 4, backoffMs: 100 },
    timeoutMs: 5_000,
  }),
  ship: activity<{ express: boolean }, { carrier: string }>(),
};

type OrderState = StateOf<typeof state>;
type OrderContext = WorkflowContext<typeof activities>;

/** Dispatch waits one minute for express orders, an hour otherwise. */
function dispatchWhenReady(s: OrderState, ctx: OrderContext): void {
  if (s.status === 'reserving' && s.reserved && s.paid > 0) {
    s.status = 'shipping';
    ctx.sleep(s.express ? 60_000 : 3_600_000, 'dispatch');
  }
}

/** The handlers, exported so the demo can build a changed copy (its version-skew fault). */
export const orderHandlers = {
  start(s: OrderState, input: OrderInput, ctx: OrderContext) {
    s.total = input.amount;
    s.items = input.items;
    s.express = input.express ?? false;
    s.status = 'reserving';
    ctx.call('reserve', { items: input.items });
    ctx.call('charge', { amount: input.amount });
  },
  completed: {
    reserve(s: OrderState, result: { reserved: boolean }, ctx: OrderContext) {
      s.reserved = result.reserved;
      if (!result.reserved) {
        s.status = 'failed';
        ctx.fail('out of stock');
        return;
      }
      dispatchWhenReady(s, ctx);
    },
    charge(s: OrderState, result: { amount: number }, ctx: OrderContext) {
      s.paid += result.amount;
      dispatchWhenReady(s, ctx);
    },
    ship(s: OrderState, result: { carrier: string }, ctx: OrderContext) {
      s.carrier = result.carrier;
      s.status = 'shipped';
      ctx.complete({ paid: s.paid, carrier: s.carrier });
    },
  },
  failed: {
    charge(s: OrderState, failure: { error: string }, ctx: OrderContext) {
      s.status = 'failed';
      s.note = failure.error;
      ctx.fail(`payment failed: ${failure.error}`);
    },
  },
  timer: {
    dispatch(s: OrderState, ctx: OrderContext) {
      ctx.call('ship', { express: s.express });
    },
  },
  signal: {
    discount(s: OrderState, payload: unknown) {
      const amount = (payload as { amount?: unknown } | null)?.amount;
      if (typeof amount === 'number' && amount > 0) s.discount += amount;
    },
  },
};

/** The order workflow. */
export const order = defineWorkflow({
  name: 'order',
  version: 1,
  state,
  activities,
  on: orderHandlers,
  significant: ['charge.completed', 'completed', 'failed'],
});

/**
 * A changed deployment of the same workflow (same name and version): its charge handler adds a 2%
 * surcharge. Run on a primary whose mirror has `order`, it is version skew; the demo and the
 * tests inject it that way.
 */
export const surchargedOrder = defineWorkflow({
  name: order.name,
  version: order.version,
  state,
  activities,
  on: {
    ...orderHandlers,
    completed: {
      ...orderHandlers.completed,
      charge(s, result, ctx) {
        s.paid += Math.round(result.amount * 102) / 100;
        dispatchWhenReady(s, ctx);
      },
    },
  },
  significant: order.significant,
});

/** Activity implementations for simulations: instant, with a transient charge failure on some orders. */
export function simulatedOrderActivities(): {
  reserve: (input: { items: number }) => { reserved: boolean };
  charge: (input: { amount: number }, info: { attempt: number; idempotencyKey: string }) => { amount: number };
  ship: (input: { express: boolean }) => Promise<{ carrier: string }>;
} {
  return {
    reserve: (input) => ({ reserved: input.items <= 40 }),
    charge: (input, info) => {
      // Every 97th cent amount fails its first attempt: retries are part of the demo.
      if (info.attempt === 1 && Math.round(input.amount * 100) % 97 === 0) throw new Error('card network timeout');
      return { amount: input.amount };
    },
    ship: async (input) => ({ carrier: input.express ? 'air' : 'ground' }),
  };
}
