/**
 * A primary that writes with an epoch is fenced off once a newer owner claims the log: its
 * appends are refused, its instances stall (nothing lost, nothing written after the claim).
 */
import { describe, expect, it } from 'vitest';
import {
  activity,
  defineWorkflow,
  FencedError,
  FleetRegistry,
  f64,
  InstanceStalledError,
  MemoryEventLog,
  PrimaryEngine,
  VirtualClock,
  type WorkflowMirrorError,
} from '../../ts/index.js';
import { deferred, flush } from '../support/engine-harness.js';

const slow = defineWorkflow({
  name: 'slow',
  version: 1,
  state: { n: f64() },
  activities: { fetch: activity<null, number>() },
  on: {
    start(_s, _input: null, ctx) {
      ctx.call('fetch', null);
    },
    completed: {
      fetch(s, result, ctx) {
        s.n = result;
        ctx.complete();
      },
    },
  },
});

describe('primary with an epoch', () => {
  it('stalls with FencedError once the log is claimed by a newer epoch, and writes nothing after', async () => {
    const log = new MemoryEventLog();
    const result = deferred<number>();
    const errors: WorkflowMirrorError[] = [];
    const primary = new PrimaryEngine({
      log,
      fleets: new FleetRegistry([slow]),
      activities: { fetch: () => result.promise },
      clock: new VirtualClock(0),
      epoch: 0,
      onError: (e) => errors.push(e),
    });
    await primary.start('slow', 's1', null);
    expect((await log.readInstance('s1')).map((e) => e.type)).toEqual(['WorkflowStarted', 'ActivityScheduled']);

    expect(await log.claimEpoch(0)).toBe(1); // a mirror is promoted
    result.resolve(7); // the old primary's activity finishes late
    await flush();
    await primary.whenIdle();

    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InstanceStalledError);
    expect((errors[0] as Error).cause).toBeInstanceOf(FencedError);
    expect((await log.readInstance('s1')).map((e) => e.type)).toEqual(['WorkflowStarted', 'ActivityScheduled']);
    // The outcome is kept on the instance, not lost: the new owner reads the log, not this queue.
    expect(primary.instance('s1')!.queue.map((q) => q.event.type)).toEqual(['ActivityCompleted']);
    await expect(primary.start('slow', 's2', null)).rejects.toBeInstanceOf(FencedError);
    expect(await log.head('s2')).toBe(0);
  });
});
