/**
 * Fleet-wide what-if: one hypothesis over every instance of a type, compared with the real fleet
 * in one batch; the same deviations on every comparison backend available here; nothing reaches
 * the log, the primary or an activity.
 */
import { describe, expect, it } from 'vitest';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import { demoId, demoInput } from '../../ts/cli/demo-faults.js';
import {
  BACKEND_NAMES,
  BACKENDS,
  FleetRegistry,
  type FleetWhatIfResult,
  fleetWhatIf,
  MemoryEventLog,
  VirtualClock,
  WorkflowMirror,
} from '../../ts/index.js';

const N = Number(process.env.WFMIRROR_FLEET_WHATIF_INSTANCES ?? 100_000);

/** A fleet whose charges never come back (a payment provider down): every instance has charge open. */
async function fleetWaitingOnCharge(instances: number) {
  const sim = simulatedOrderActivities();
  let charges = 0;
  const pending: (() => void)[] = [];
  const log = new MemoryEventLog();
  const wm = await WorkflowMirror.open({
    workflows: [order],
    activities: {
      ...sim,
      charge: (input: { amount: number }) => {
        charges++;
        return new Promise<{ amount: number }>((resolve) => pending.push(() => resolve({ amount: input.amount })));
      },
    },
    log: { kind: 'custom', log },
    clock: new VirtualClock(0),
    accelerator: { backend: 'js' },
    anomalies: { store: false },
  });
  for (let i = 0; i < instances; i++) await wm.start('order', demoId(i), demoInput(i));
  // Not whenIdle: the charges never return. Wait until the reserves are in and the log is still.
  for (let stable = 0; stable < 3; ) {
    const position = await log.lastPosition();
    await new Promise((resolve) => setImmediate(resolve));
    stable = position === (await log.lastPosition()) && wm.mirror.position === position ? stable + 1 : 0;
  }
  /** The provider comes back: every charge returns, and the pair can close. */
  const close = async () => {
    for (const resolve of pending) resolve();
    await wm.close();
  };
  return { wm, log, charges: () => charges, close };
}

/** Every third instance: its open charge fails. */
const everyThirdChargeFails = (i: { workflowId: string; open: readonly { kind: string; name: string }[] }) =>
  Number(i.workflowId.slice(6)) % 3 === 0 && i.open.some((o) => o.kind === 'activity' && o.name === 'charge')
    ? [{ type: 'ActivityFailed' as const, activity: 'charge', error: 'provider down' }]
    : undefined;

describe('fleet what-if', () => {
  it(`applies one hypothesis over ${N.toLocaleString('en-US')} instances and gives the same deviations on every available backend`, async () => {
    const { wm, log, charges, close } = await fleetWaitingOnCharge(N);
    const before = { position: await log.lastPosition(), charges: charges(), stats: { ...wm.primary.stats } };
    const reference = await wm.whatIfFleet('order', everyThirdChargeFails);
    expect(reference.workflowIds).toHaveLength(N);
    expect(reference.changed).toBe(Math.ceil(N / 3));
    expect(reference.refused).toEqual([]);
    const statusBit = 1 << new FleetRegistry([order]).get('order').compiled.layout.names.indexOf('status');
    // A failed charge fails the order: its status changes; the other instances do not move.
    const wrong: number[] = [];
    for (let i = 0; i < N; i++) {
      const failed = i % 3 === 0;
      if (reference.deviation[i]! > 0 !== failed || ((reference.affected[i * reference.maskWords]! & statusBit) !== 0) !== failed)
        wrong.push(i);
    }
    expect(wrong).toEqual([]);
    const seen: string[] = [];
    for (const name of BACKEND_NAMES) {
      if (!(await BACKENDS[name].probe()).available) continue;
      const comparator = await BACKENDS[name].create({});
      try {
        const result: FleetWhatIfResult = await fleetWhatIf({
          mirror: wm.mirror,
          workflowType: 'order',
          hypothesis: everyThirdChargeFails,
          comparator,
        });
        expect(result.backend).toBe(name);
        expect(Array.from(result.affected)).toEqual(Array.from(reference.affected));
        // wasm and piscina are bit-exact; the GPU paths agree within their documented bound.
        const off: number[] = [];
        for (let i = 0; i < N; i++) {
          const e = reference.deviation[i]!;
          if (!(Math.abs(result.deviation[i]! - e) <= 1e-12 * Math.abs(e))) off.push(i);
        }
        expect(off).toEqual([]);
        seen.push(name);
      } finally {
        comparator.dispose();
      }
    }
    expect(seen).toContain('js');
    expect(seen).toContain('wasm-simd');
    // Nothing of it reached the log, the primary or an activity; the real mirror is as it was.
    expect(await log.lastPosition()).toBe(before.position);
    expect(charges()).toBe(before.charges);
    expect({ ...wm.primary.stats }).toEqual(before.stats);
    expect(wm.mirror.instance(demoId(0))?.status).toBe('running');
    await close();
  }, 240_000);

  it('leaves instances without events as they are, and lists those whose events settle nothing', async () => {
    const { wm, close } = await fleetWaitingOnCharge(30);
    const result = await wm.whatIfFleet('order', (i) =>
      Number(i.workflowId.slice(6)) < 2 ? [{ type: 'ActivityCompleted', activity: 'ship', result: { carrier: 'x' } }] : undefined,
    );
    expect(result.changed).toBe(2);
    expect(result.refused.map((r) => r.workflowId)).toEqual([demoId(0), demoId(1)]);
    expect(result.refused[0]!.reason).toMatch(/no ship activity is open on the fork/);
    expect(Array.from(result.deviation).every((d) => d === 0)).toBe(true);
    await close();
  });
});
