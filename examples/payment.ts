/**
 * The smallest useful workflow: charge once, then done. Used where many short-lived instances
 * are the point (retention tests, bench/retention.bench.ts).
 */
import { activity, defineWorkflow, enumOf, f64 } from '../ts/index.js';

export const payment = defineWorkflow({
  name: 'payment',
  version: 1,
  state: {
    amount: f64({ weight: 1 }),
    paid: f64({ weight: 1 }),
    status: enumOf(['new', 'charging', 'paid'], { weight: 10 }),
  },
  activities: { charge: activity<{ amount: number }, { amount: number }>() },
  on: {
    start(s, input: { amount: number }, ctx) {
      s.amount = input.amount;
      s.status = 'charging';
      ctx.call('charge', { amount: input.amount });
    },
    completed: {
      charge(s, result, ctx) {
        s.paid = result.amount;
        s.status = 'paid';
        ctx.complete();
      },
    },
  },
});

/** The charge activity of {@link payment}: succeeds with the amount asked. */
export const charge = async (input: { amount: number }): Promise<{ amount: number }> => ({ amount: input.amount });
