/**
 * Test fixture: a workflow whose start handler kills the thread it runs on, once, when it runs in
 * a worker thread and the marker file named in its input exists (it removes the marker first).
 * It stands for a mirror worker dying mid-stream (a native fault, out of memory). On the main
 * thread (the primary) it never does anything of the sort. Plain JavaScript over the build, so
 * the worker can import it.
 */
import { existsSync, rmSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { defineWorkflow, f64 } from '../../../dist/ts/index.js';

export const fragile = defineWorkflow({
  name: 'fragile',
  version: 1,
  state: { value: f64({ weight: 1 }) },
  on: {
    start(s, input, ctx) {
      s.value = input.value;
      if (!isMainThread && typeof input.marker === 'string' && existsSync(input.marker)) {
        rmSync(input.marker);
        process.exit(70);
      }
      ctx.complete({ value: s.value });
    },
  },
});
