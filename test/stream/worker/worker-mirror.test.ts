/**
 * WorkerMirror end to end: a primary runs a fleet on the main thread; shard workers mirror it
 * through the rings into shared matrices; an in-process MirrorEngine fed the same log (through an
 * InProcessTee, on the same fleets, so its rows are the primary's rows) is the reference.
 *
 * The workers run built JavaScript: build with `npx tsc -p tsconfig.build.json` first. The
 * definitions come from the built example module, on both threads, so that the primary and the
 * workers run the same code (and compute the same fingerprint).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type * as OrderModule from '../../../examples/order.js';
import type { WorkflowMirrorError } from '../../../ts/base-error.js';
import { demoId, demoInput, getsDiscount } from '../../../ts/cli/demo-faults.js';
import { VirtualClock } from '../../../ts/clock/virtual-clock.js';
import { createJsComparator } from '../../../ts/compare/backends/js.js';
import type { Comparator } from '../../../ts/compare/comparator.js';
import type { Fault } from '../../../ts/engine/faults.js';
import { FaultPlan } from '../../../ts/engine/faults.js';
import { FleetRegistry } from '../../../ts/engine/fleet.js';
import { MirrorEngine } from '../../../ts/engine/mirror-engine.js';
import { PrimaryEngine } from '../../../ts/engine/primary-engine.js';
import type { EventLog } from '../../../ts/history/event-log.js';
import { MemoryEventLog } from '../../../ts/history/memory-event-log.js';
import { SqliteEventLog } from '../../../ts/history/sqlite-event-log.js';
import { InProcessTee } from '../../../ts/stream/in-process-tee.js';
import { compareWithSharedMirror } from '../../../ts/stream/worker/compare-shared.js';
import type { WorkerNonDeterminismFinding } from '../../../ts/stream/worker/shard-protocol.js';
import { WorkerMirror, type WorkerMirrorOptions } from '../../../ts/stream/worker/worker-mirror.js';

const ORDER_MODULE = new URL('../../../dist/examples/order.js', import.meta.url);
const { order, simulatedOrderActivities } = (await import(ORDER_MODULE.href)) as typeof OrderModule;

const open: WorkerMirror[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

interface RunOptions {
  readonly shards: number;
  readonly ringBytes?: number;
  readonly faults?: readonly Fault[];
  /** Instances started before the WorkerMirror (it must replay them from the log). */
  readonly before?: number;
  readonly instances: number;
  /** Extra options for the WorkerMirror. */
  readonly extra?: Partial<WorkerMirrorOptions>;
  /** The log (default: a MemoryEventLog). */
  readonly log?: EventLog;
}

/** Runs `instances` orders on a primary with a WorkerMirror and an in-process reference mirror. */
async function run(options: RunOptions) {
  const log = options.log ?? new MemoryEventLog();
  const fleets = new FleetRegistry([order]);
  const clock = new VirtualClock(0);
  const primary = new PrimaryEngine({
    log,
    fleets,
    activities: simulatedOrderActivities(),
    clock,
    ...(options.faults !== undefined ? { faults: new FaultPlan(options.faults) } : {}),
  });
  const reference = new MirrorEngine({ fleets });
  new InProcessTee(log, [(events) => reference.apply(events)]);
  const findings: WorkerNonDeterminismFinding[] = [];
  const errors: WorkflowMirrorError[] = [];
  const settle = async (): Promise<void> => {
    await primary.whenIdle();
    while (clock.fireNext()) await primary.whenIdle();
  };
  const startOrders = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i++) {
      await primary.start('order', demoId(i), demoInput(i));
      if (getsDiscount(i)) await primary.signal(demoId(i), 'discount', { amount: 2.5 });
    }
  };
  const before = options.before ?? 0;
  await startOrders(0, before);
  await settle();
  const mirror = await WorkerMirror.start({
    log,
    fleets,
    workflows: [{ module: ORDER_MODULE, export: 'order' }],
    shards: options.shards,
    ...(options.ringBytes !== undefined ? { ringBytes: options.ringBytes } : {}),
    onNonDeterminism: (finding) => findings.push(finding),
    onError: (error) => errors.push(error),
    ...options.extra,
  });
  open.push(mirror);
  await startOrders(before, options.instances);
  await settle();
  await mirror.whenCaughtUp();

  return { log, fleets, primary, reference, mirror, findings, errors, fleet: fleets.get('order') };
}

function bytesOf(data: Float64Array, rows: number, stride: number): Buffer {
  return Buffer.from(new Uint8Array(data.buffer, data.byteOffset, rows * stride * 8));
}

describe('WorkerMirror: the shared mirror matrix equals an in-process mirror fed the same log', () => {
  for (const shards of [1, 3]) {
    it(`bit for bit, values and seqs, with ${shards} shard(s) (history before the start replayed too)`, async () => {
      const { fleet, mirror, reference, findings, errors } = await run({ shards, before: 40, instances: 160 });
      const shared = mirror.matrix('order');
      const rows = fleet.index.size;
      const stride = fleet.compiled.layout.stride;
      expect(rows).toBe(160);
      expect(shared.rowCount).toBe(rows);
      expect(bytesOf(shared.data, rows, stride).equals(bytesOf(fleet.mirror.data, rows, stride))).toBe(true);
      expect(Array.from(shared.seqs.subarray(0, rows))).toEqual(Array.from(fleet.mirror.seqs.subarray(0, rows)));
      // Not trivially equal: every row was written, and rows differ.
      for (let r = 0; r < rows; r++) expect(shared.seqOf(r)).toBeGreaterThan(1);
      expect(bytesOf(shared.data, 1, stride).equals(bytesOf(shared.data.subarray(stride), 1, stride))).toBe(false);
      const stats = mirror.stats();
      expect(stats.applied).toBe(reference.stats.applied);
      expect(stats.lag).toBe(0);
      expect(stats.shards.map((s) => s.alive)).toEqual(new Array(shards).fill(true));
      if (shards === 3) expect(stats.shards.every((s) => s.eventsApplied > 0)).toBe(true);
      expect(findings).toEqual([]);
      expect(errors).toEqual([]);
    });
  }
});

describe('WorkerMirror: on the SQLite log (group commit on its writer thread)', () => {
  for (const shards of [1, 3]) {
    it(`live, with ${shards} shard(s): forwards the log's own encoding of each batch and ends bit-identical`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wfmirror-worker-'));
      const log = SqliteEventLog.open({ path: join(dir, 'log.db') });
      try {
        const { fleet, mirror, reference, errors } = await run({ shards, instances: 150, log });
        const shared = mirror.matrix('order');
        const rows = fleet.index.size;
        const stride = fleet.compiled.layout.stride;
        expect(bytesOf(shared.data, rows, stride).equals(bytesOf(fleet.mirror.data, rows, stride))).toBe(true);
        expect(Array.from(shared.seqs.subarray(0, rows))).toEqual(Array.from(fleet.mirror.seqs.subarray(0, rows)));
        const stats = mirror.stats();
        expect(stats.applied).toBe(reference.stats.applied);
        expect(stats.spills).toBe(0);
        // Every event came live, and every one as the bytes the log stored: none encoded twice.
        const sent = stats.shards.reduce((n, s) => n + s.eventsSent, 0);
        expect(sent).toBe(reference.stats.applied);
        expect(stats.shards.reduce((n, s) => n + s.eventsCopied, 0)).toBe(sent);
        expect(errors).toEqual([]);
      } finally {
        await Promise.all(open.splice(0).map((m) => m.close()));
        await log.close();
      }
    });
  }

  it('catches up from the durable log through a tiny ring and ends bit-identical', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfmirror-worker-'));
    const log = SqliteEventLog.open({ path: join(dir, 'log.db') });
    try {
      const { fleet, mirror, errors } = await run({ shards: 3, ringBytes: 1024, before: 30, instances: 120, log });
      const shared = mirror.matrix('order');
      const rows = fleet.index.size;
      const stride = fleet.compiled.layout.stride;
      expect(rows).toBe(120);
      expect(bytesOf(shared.data, rows, stride).equals(bytesOf(fleet.mirror.data, rows, stride))).toBe(true);
      expect(Array.from(shared.seqs.subarray(0, rows))).toEqual(Array.from(fleet.mirror.seqs.subarray(0, rows)));
      expect(mirror.stats().spills).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      await Promise.all(open.splice(0).map((m) => m.close()));
      await log.close();
    }
  });
});

describe('WorkerMirror: comparison reads the shared rows in place', () => {
  it('the existing comparator gets the shared array itself and finds exactly the corrupted instance', async () => {
    const target = demoId(17);
    const { fleet, mirror } = await run({
      shards: 3,
      instances: 60,
      faults: [{ kind: 'corrupt-field', workflowId: target, field: 'total', value: 0, afterEvent: 'charge.completed' }],
    });
    const shared = mirror.matrix('order');
    const js = createJsComparator();
    const seen: Float64Array[] = [];
    const recording: Comparator = {
      name: 'recording-js',
      compare: (p, m, layout, options) => {
        seen.push(m);
        return js.compare(p, m, layout, options);
      },
      dispose: () => js.dispose(),
    };
    const { result, moved, lagging } = await compareWithSharedMirror(recording, fleet.primary, shared, fleet.compiled.layout);
    // No copy: the comparator read the very view over the memory the workers write.
    expect(seen).toEqual([shared.data]);
    expect(seen[0]).toBe(shared.data);
    expect(seen[0]!.buffer).toBe(shared.handle.values);
    expect(moved).toEqual([]);
    expect(lagging).toEqual([]);
    const targetRow = fleet.index.get(target)!;
    const deviating = Array.from(result.deviation.keys()).filter((i) => result.deviation[i]! > 0);
    expect(deviating).toEqual([targetRow]);
    const totalField = fleet.compiled.layout.index.get('total')!;
    expect(result.affected[targetRow * result.maskWords]! & (1 << totalField)).not.toBe(0);
  });
});

describe('WorkerMirror: back-pressure', () => {
  it('a tiny ring forces spills and waits, and nothing is lost', async () => {
    const { fleet, mirror, errors } = await run({ shards: 3, ringBytes: 1024, instances: 300 });
    const stats = mirror.stats();
    expect(stats.spills).toBeGreaterThan(0);
    expect(stats.ringFullWaits).toBeGreaterThan(0);
    const shared = mirror.matrix('order');
    const rows = fleet.index.size;
    const stride = fleet.compiled.layout.stride;
    expect(bytesOf(shared.data, rows, stride).equals(bytesOf(fleet.mirror.data, rows, stride))).toBe(true);
    for (let r = 0; r < rows; r++) expect(shared.seqOf(r)).toBe(fleet.primary.seqOf(r));
    expect(stats.shards.every((s) => !s.spilling && s.lag === 0)).toBe(true);
    expect(errors).toEqual([]);
  });

  it('an event larger than the ring travels in fragments', async () => {
    const { fleet, mirror, primary, log } = await run({ shards: 1, ringBytes: 1024, instances: 3 });
    // A WorkflowStarted event of over 20 kB (its input): twenty times the ring.
    await primary.start('order', 'big-order', { ...demoInput(1), note: 'n'.repeat(20_000) });
    await primary.whenIdle();
    await mirror.whenCaughtUp();
    // It cannot go live (its fragments exceed the ring together): the shard fell back to the log.
    expect(mirror.stats().spills).toBeGreaterThan(0);
    const row = fleet.index.get('big-order')!;
    const stride = fleet.compiled.layout.stride;
    expect(mirror.matrix('order').seqOf(row)).toBe(await log.head('big-order'));
    expect(mirror.matrix('order').seqOf(row)).toBe(fleet.mirror.seqOf(row));
    expect(bytesOf(mirror.matrix('order').data.subarray(row * stride), 1, stride)).toEqual(
      bytesOf(fleet.mirror.data.subarray(row * stride), 1, stride),
    );
  });
});

describe('WorkerMirror: findings reach the main thread', () => {
  it('non-determinism found in a worker is posted with its instance, seq and shard', async () => {
    const target = demoId(8);
    const { mirror, findings, reference } = await run({
      shards: 3,
      instances: 30,
      faults: [{ kind: 'swapped-calls', workflowId: target }],
    });
    // The reference found it too, at the same seq.
    const expected = reference.instance(target)!;
    expect(expected.nonDeterministic).toBe(true);
    expect(findings.length).toBe(1);
    expect(findings[0]).toMatchObject({ workflowId: target, workflowType: 'order', shard: mirror.shardOf(target) });
    // Version skew is flagged exactly when the two threads' code differs. Under vitest it does:
    // the test runner's transform of the module changes a handler's source text, which the
    // fingerprint hashes (plain Node loads the same text on both threads).
    expect(findings[0]!.versionSkew).toBe(!mirror.definitions.find((d) => d.name === 'order')!.matchesPrimary);
    expect(findings[0]!.detail).toMatch(/charge|reserve/);
    expect(mirror.stats().shards[mirror.shardOf(target)]!.nonDeterminism).toBe(1);
  });
});

/** Nice value of every thread of this process, from /proc (field 19 of a thread's stat line). */
function threadNiceness(): Map<string, number> {
  const nice = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    nice.set(tid, Number(fields[16]));
  }
  return nice;
}

describe('WorkerMirror: the priority of the worker threads', () => {
  it.skipIf(process.platform !== 'linux')(
    'niceness lowers each worker thread, and only those: the primary keeps its priority, the mirror stays exact (Linux: per-thread nice values)',
    async () => {
      const before = threadNiceness();
      const { fleet, mirror, reference } = await run({ shards: 2, instances: 40, extra: { niceness: 15 } });
      const after = threadNiceness();
      const lowered = [...after].filter(([tid, nice]) => nice === 15 && !before.has(tid));
      // One thread per shard, and nothing else, least of all the main thread.
      expect(lowered).toHaveLength(2);
      const inherited = before.get(String(process.pid));
      expect(after.get(String(process.pid))).toBe(inherited);
      const others = [...after].filter(([, nice]) => nice !== 15).map(([, nice]) => nice);
      expect(new Set(others)).toEqual(new Set([inherited]));
      expect(mirror.stats().shards.map((s) => s.niceness)).toEqual([15, 15]);
      const shared = mirror.matrix('order');
      const rows = fleet.index.size;
      const stride = fleet.compiled.layout.stride;
      expect(bytesOf(shared.data, rows, stride).equals(bytesOf(fleet.mirror.data, rows, stride))).toBe(true);
      expect(mirror.stats().applied).toBe(reference.stats.applied);
    },
  );

  it('without the option the workers keep the inherited priority and say so (null)', async () => {
    const { mirror } = await run({ shards: 1, instances: 5 });
    expect(mirror.stats().shards.map((s) => s.niceness)).toEqual([null]);
  });
});
