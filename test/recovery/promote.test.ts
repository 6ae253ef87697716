/**
 * Promotion of a warm mirror after the primary "crashed" mid-run (in-process: the old primary is
 * abandoned with activities in flight whose effects happened but whose outcomes were never
 * logged). The promoted mirror finishes every workflow with the state of an uncrashed run, the
 * log holds each outcome once, no keyed effect runs twice, and the old primary is fenced off.
 */
import { describe, expect, it } from 'vitest';
import { order } from '../../examples/order.js';
import { demoId, demoInput } from '../../ts/cli/demo-faults.js';
import {
  type ActivityInfo,
  EventLogUnavailableError,
  FencedError,
  FleetRegistry,
  type HistoryEvent,
  MemoryEventLog,
  MirrorEngine,
  PrimaryEngine,
  PromotionConflictError,
  PromotionRefusedError,
  promote,
  startMirrorFromCheckpoint,
  VirtualClock,
  type WorkflowMirrorError,
} from '../../ts/index.js';
import { type Deferred, deferred, flush } from '../support/engine-harness.js';

const INSTANCES = 40;

/** Order activities whose effects are kept by idempotency key, as a payment or shipping service would. */
function keyedActivities(effects: Map<string, number>, hang?: (info: ActivityInfo) => Promise<void> | undefined) {
  // `effects` counts calls per key; the service applies the effect on the first call only.
  const effect = <T>(info: ActivityInfo, result: T): T => {
    effects.set(info.idempotencyKey, (effects.get(info.idempotencyKey) ?? 0) + 1);
    return result;
  };
  return {
    reserve: (input: { items: number }, info: ActivityInfo) => effect(info, { reserved: input.items <= 40 }),
    charge: (input: { amount: number }, info: ActivityInfo) => effect(info, { amount: input.amount }),
    ship: async (input: { express: boolean }, info: ActivityInfo) => {
      const result = effect(info, { carrier: input.express ? 'air' : 'ground' });
      await hang?.(info); // the effect happened; the outcome may never reach the log
      return result;
    },
  };
}

async function runToEnd(primary: PrimaryEngine, clock: VirtualClock): Promise<void> {
  await primary.whenIdle();
  while (clock.fireNext()) await primary.whenIdle();
}

/** Final states of an uncrashed run of the same fleet. */
async function referenceStates(): Promise<Map<string, unknown>> {
  const clock = new VirtualClock(0);
  const primary = new PrimaryEngine({
    log: new MemoryEventLog(),
    fleets: new FleetRegistry([order]),
    activities: keyedActivities(new Map()),
    clock,
  });
  for (let i = 0; i < INSTANCES; i++) await primary.start('order', demoId(i), demoInput(i));
  await runToEnd(primary, clock);
  return new Map([...primary.allInstances()].map((i) => [i.workflowId, { ...i.state }]));
}

/** A primary (epoch 0) with its mirror, run until every even instance hangs in `ship` after its effect. */
async function crashedRun() {
  const log = new MemoryEventLog();
  const mirror = new MirrorEngine({ fleets: new FleetRegistry([order]) });
  log.subscribe((events) => mirror.apply(events));
  const effects = new Map<string, number>();
  const hung: Deferred<void>[] = [];
  const oldErrors: WorkflowMirrorError[] = [];
  const oldClock = new VirtualClock(0);
  const old = new PrimaryEngine({
    log,
    fleets: new FleetRegistry([order]),
    activities: keyedActivities(effects, (info) => {
      if (Number(info.workflowId.slice(-1)) % 2 !== 0) return undefined;
      const d = deferred<void>();
      hung.push(d);
      return d.promise;
    }),
    clock: oldClock,
    epoch: 0,
    onError: (e) => oldErrors.push(e),
  });
  for (let i = 0; i < INSTANCES; i++) await old.start('order', demoId(i), demoInput(i));
  await flush(20);
  while (oldClock.fireNext()) await flush(20);
  return { log, mirror, effects, hung, old, oldErrors, now: oldClock.now() };
}

describe('promote', () => {
  it('finishes every workflow as an uncrashed run would, each outcome logged once, no keyed effect twice, the old primary fenced', async () => {
    const reference = await referenceStates();
    const { log, mirror, effects, hung, old, oldErrors, now } = await crashedRun();
    expect(hung.length).toBe(INSTANCES / 2);

    const clock = new VirtualClock(now);
    const report = await promote({
      log,
      mirror,
      fleets: new FleetRegistry([order]),
      activities: keyedActivities(effects),
      clock,
      expectedEpoch: 0,
    });
    expect(report).toMatchObject({ epoch: 1, instances: INSTANCES, resumedActivities: INSTANCES / 2, unissuedCommands: 0 });
    await runToEnd(report.primary, clock);

    for (const instance of report.primary.allInstances()) {
      expect(instance.status).toBe('completed');
      expect(instance.state).toEqual(reference.get(instance.workflowId));
    }
    // Each activity scheduled once and settled once; every keyed effect ran once.
    const all: HistoryEvent[] = await log.readRange(0, Number.POSITIVE_INFINITY);
    for (const id of reference.keys()) {
      const history = all.filter((e) => e.workflowId === id);
      const scheduled = history.filter((e) => e.type === 'ActivityScheduled').map((e) => e.seq);
      const settled = history
        .filter((e) => e.type === 'ActivityCompleted' || e.type === 'ActivityFailed')
        .map((e) => (e.payload as { scheduledSeq: number }).scheduledSeq);
      expect(settled.sort((a, b) => a - b)).toEqual(scheduled);
      expect(history.filter((e) => e.type === 'WorkflowCompleted')).toHaveLength(1);
    }
    // Every scheduled activity has one key; the resumed ships were called again with the same key
    // (so the service did not ship twice), every other activity exactly once.
    const keys = all.filter((e) => e.type === 'ActivityScheduled').map((e) => `${e.workflowId}:${e.seq}`);
    expect(new Set(effects.keys())).toEqual(new Set(keys));
    const calledTwice = [...effects].filter(([, n]) => n === 2).map(([key]) => key);
    expect(calledTwice).toHaveLength(INSTANCES / 2);
    expect([...effects.values()].every((n) => n <= 2)).toBe(true);
    for (const key of calledTwice)
      expect(all.find((e) => `${e.workflowId}:${e.seq}` === key)?.payload).toMatchObject({ name: 'ship' });

    // The old primary was only slow: its late outcomes are refused, nothing more is written.
    const size = log.size;
    for (const d of hung) d.resolve();
    await flush(20);
    expect(log.size).toBe(size);
    expect(oldErrors.length).toBeGreaterThan(0);
    expect(oldErrors.every((e) => e.cause instanceof FencedError)).toBe(true);
    expect(old.stats.stalled).toBe(INSTANCES / 2);
    // The mirror, still subscribed, followed the new primary to the end.
    expect([...mirror.allInstances()].every((i) => i.status === 'completed')).toBe(true);
  });

  it('promotes a mirror restored from a checkpoint (its outstanding commands read from the log)', async () => {
    const reference = await referenceStates();
    const { log, mirror, effects, now } = await crashedRun();
    const fleets = new FleetRegistry([order]);
    const restored = MirrorEngine.restore(mirror.checkpoint(), { fleets });
    const clock = new VirtualClock(now);
    const report = await promote({
      log,
      mirror: restored,
      fleets,
      activities: keyedActivities(effects),
      clock,
      expectedEpoch: 0,
    });
    expect(report).toMatchObject({ resumedActivities: INSTANCES / 2, outstandingReadFromLog: INSTANCES / 2, tailEvents: 0 });
    await runToEnd(report.primary, clock);
    for (const instance of report.primary.allInstances()) expect(instance.state).toEqual(reference.get(instance.workflowId));
  });

  it("is protected again by a fresh mirror started from the promoted side's checkpoint, without replay", async () => {
    const { log, mirror, effects, now } = await crashedRun();
    const clock = new VirtualClock(now);
    const fleets = new FleetRegistry([order]);
    const report = await promote({ log, mirror, fleets, activities: keyedActivities(effects), clock, expectedEpoch: 0 });
    const checkpoint = mirror.checkpoint(); // taken by the promoted side, shipped to the new mirror
    await report.primary.start('order', 'late-1', demoInput(7)); // the log moves on meanwhile
    const findings: string[] = [];
    const fresh = await startMirrorFromCheckpoint({
      log,
      checkpoints: checkpoint,
      fleets: new FleetRegistry([order]),
      onNonDeterminism: (f) => findings.push(f.workflowId),
    });
    expect(fresh.restoredAt).toBe(mirror.position - fresh.caughtUp);
    expect(fresh.caughtUp).toBeGreaterThan(0);
    await runToEnd(report.primary, clock);
    for (const instance of report.primary.allInstances()) {
      const twin = fresh.mirror.instance(instance.workflowId)!;
      expect([twin.seq, twin.status, twin.state]).toEqual([instance.seq, 'completed', instance.state]);
    }
    expect(findings).toEqual([]);
    fresh.stop();
  });

  it('refuses a mirror that found non-determinism (nothing done), unless forced', async () => {
    const { log, mirror, effects } = await crashedRun();
    const suspect = mirror.instance(demoId(2))!;
    suspect.nonDeterministic = true;
    const options = {
      log,
      mirror,
      fleets: new FleetRegistry([order]),
      activities: keyedActivities(effects),
      clock: new VirtualClock(0),
      expectedEpoch: 0,
    };
    const refused = await promote(options).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PromotionRefusedError);
    expect((refused as PromotionRefusedError).workflowIds).toEqual([demoId(2)]);
    expect(await log.epoch()).toBe(0);
    expect((await promote({ ...options, force: true })).epoch).toBe(1);
  });

  it('of two racing promotions exactly one wins; the other changes nothing', async () => {
    const { log, mirror, effects } = await crashedRun();
    const twin = new MirrorEngine({ fleets: new FleetRegistry([order]) });
    twin.apply(await log.readRange(0, Number.POSITIVE_INFINITY));
    const attempt = (m: MirrorEngine) =>
      promote({
        log,
        mirror: m,
        fleets: new FleetRegistry([order]),
        activities: keyedActivities(effects),
        clock: new VirtualClock(0),
        expectedEpoch: 0,
      });
    const results = await Promise.allSettled([attempt(mirror), attempt(twin)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(PromotionConflictError);
    expect(await log.epoch()).toBe(1);
  });

  it('with the log unreachable, fails clearly and changes nothing; a retry later succeeds', async () => {
    const { log, mirror, effects } = await crashedRun();
    let down = true;
    const flaky = new Proxy(log, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (typeof value !== 'function') return value;
        if (down && (key === 'readRange' || key === 'claimEpoch')) {
          return () => Promise.reject(new EventLogUnavailableError('cannot read event log', new Error('disk gone')));
        }
        return (value as (...args: unknown[]) => unknown).bind(target);
      },
    });
    const options = {
      log: flaky,
      mirror,
      fleets: new FleetRegistry([order]),
      activities: keyedActivities(effects),
      clock: new VirtualClock(0),
      expectedEpoch: 0,
    };
    await expect(promote(options)).rejects.toBeInstanceOf(EventLogUnavailableError);
    expect(await log.epoch()).toBe(0);
    down = false;
    const report = await promote(options);
    expect(report.epoch).toBe(1);
  });

  it("checks a shard's outstanding commands against the log: agreeing, nothing changes; differing, the log's are resumed and the instance named", async () => {
    const { log, mirror, effects, hung } = await crashedRun();
    const hanging = demoId(0); // even: hung in ship, its outcome never logged
    const tampered = demoId(2);
    // The mirror forgets the ship it saw scheduled for one instance: its own set no longer matches the log.
    const instance = mirror.instance(tampered)!;
    expect(instance.outstanding?.map((e) => e.type)).toEqual(['ActivityScheduled']);
    instance.outstanding = undefined;

    const clock = new VirtualClock(0);
    const report = await promote({
      log,
      mirror,
      fleets: new FleetRegistry([order]),
      activities: keyedActivities(effects),
      clock,
      expectedEpoch: 0,
      workflowIds: [hanging, tampered, demoId(1)],
    });
    // demoId(1) completed before the crash: nothing outstanding to verify.
    expect(report.outstandingVerified).toBe(2);
    expect(report.outstandingMismatches).toEqual([tampered]);
    // The log's set was resumed for the tampered instance too.
    expect(report.resumedActivities).toBe(2);
    await report.primary.whenIdle();
    expect(report.primary.instance(tampered)?.status).toBe('completed');
    expect(report.primary.instance(hanging)?.status).toBe('completed');
    for (const d of hung) d.resolve();
  });

  it('leaves the check off for a whole primary unless asked', async () => {
    const { log, mirror, effects, hung } = await crashedRun();
    const base = {
      log,
      mirror,
      fleets: new FleetRegistry([order]),
      activities: keyedActivities(effects),
      clock: new VirtualClock(0),
    };
    const report = await promote({ ...base, expectedEpoch: 0 });
    expect(report.outstandingVerified).toBe(0);
    const again = await promote({ ...base, expectedEpoch: 1, verifyOutstanding: true });
    expect(again.outstandingVerified).toBeGreaterThan(0);
    expect(again.outstandingMismatches).toEqual([]);
    for (const d of hung) d.resolve();
  });

  it("applies a lagging mirror's tail before taking over and reports the drift it closed (in the mirror's own fleets by default)", async () => {
    const { log, effects, hung } = await crashedRun();
    const all = await log.readRange(0, Number.POSITIVE_INFINITY);
    const lagging = new MirrorEngine({ fleets: new FleetRegistry([order]) });
    lagging.apply(all.slice(0, all.length - 30));
    const { mirror } = lagging.fleets.get('order');
    const report = await promote({
      log,
      mirror: lagging,
      activities: keyedActivities(effects),
      clock: new VirtualClock(0),
      expectedEpoch: 0,
    });
    expect(report.tailEvents).toBe(30);
    expect(report.fieldsChanged).toBeGreaterThan(0);
    expect(lagging.position).toBe(all.length);
    // The new primary writes the primary side of the same fleets: both sides agree on every row.
    const fleet = lagging.fleets.get('order');
    expect(fleet.mirror).toBe(mirror);
    for (const instance of report.primary.allInstances()) {
      const row = fleet.index.get(instance.workflowId)!;
      expect(fleet.primary.seqOf(row)).toBe(fleet.mirror.seqOf(row));
    }
    for (const d of hung) d.resolve();
  });
});
