// The README's library example, kept compiling and running: test/readme.test.ts checks that this
// file and the README's code block are the same (but for the import path) and runs it.
import { activity, defineWorkflow, enumOf, f64, i32, str, WorkflowMirror } from '../ts/index.js';

export const order = defineWorkflow({
  name: 'order',
  version: 1,
  state: {
    total: f64({ weight: 10, tolerance: 0.01, critical: true }),
    paid: f64({ weight: 10, tolerance: 0.01 }),
    items: i32({ weight: 1 }),
    status: enumOf(['new', 'charging', 'paid', 'failed'], { weight: 100 }),
    note: str({ weight: 0 }),
  },
  activities: {
    charge: activity<{ amount: number }, { amount: number }>({ retry: { attempts: 3, backoffMs: 100 }, timeoutMs: 5_000 }),
  },
  on: {
    start(s, input: { amount: number; items: number }, ctx) {
      s.total = input.amount;
      s.items = input.items;
      s.status = 'charging'; // s.status = 'bogus' does not compile
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

const wm = await WorkflowMirror.open({
  workflows: [order],
  activities: { charge: async (input: { amount: number }) => ({ amount: input.amount }) }, // primary only
  log: { kind: 'sqlite', path: './wfmirror.db' }, // default; or { kind: 'memory' }
  compare: { every: { events: 1000, ms: 250 }, threshold: 0.5 },
  onAnomaly: (report) => console.log(report.severity, report.cause, report.workflowId, report.fields),
});
await wm.start('order', 'order-42', { amount: 99.5, items: 3 });
await wm.drain();
await wm.compareAll();
await wm.close();
