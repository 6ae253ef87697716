/**
 * WorkerMirror when things go wrong: a worker that dies mid-stream (typed error, nothing lost,
 * restart from the log), workers that cannot start, options that cannot work. Needs the build in
 * dist/ (`npx tsc -p tsconfig.build.json`).
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkflowMirrorError } from '../../../ts/base-error.js';
import { VirtualClock } from '../../../ts/clock/virtual-clock.js';
import { FleetRegistry } from '../../../ts/engine/fleet.js';
import { MirrorEngine } from '../../../ts/engine/mirror-engine.js';
import { PrimaryEngine } from '../../../ts/engine/primary-engine.js';
import { MemoryEventLog } from '../../../ts/history/memory-event-log.js';
import { InProcessTee } from '../../../ts/stream/in-process-tee.js';
import {
  InvalidWorkerMirrorOptionsError,
  MirrorWorkerDiedError,
  MirrorWorkerStartError,
  SharedMatrixFullError,
  WorkerMirrorClosedError,
} from '../../../ts/stream/worker/errors.js';
import { WorkerMirror } from '../../../ts/stream/worker/worker-mirror.js';
import type { AnyWorkflowDefinition } from '../../../ts/workflow/define.js';

const FRAGILE_MODULE = new URL('./fragile-workflow.mjs', import.meta.url);
const ORDER_MODULE = new URL('../../../dist/examples/order.js', import.meta.url);
const { fragile } = (await import(FRAGILE_MODULE.href)) as { fragile: AnyWorkflowDefinition };

const open: WorkerMirror[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

function fragilePair() {
  const log = new MemoryEventLog();
  const fleets = new FleetRegistry([fragile]);
  const primary = new PrimaryEngine({ log, fleets, activities: {}, clock: new VirtualClock(0) });
  const reference = new MirrorEngine({ fleets });
  new InProcessTee(log, [(events) => reference.apply(events)]);
  return { log, fleets, primary, fleet: fleets.get('fragile') };
}

async function eventually(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

describe('WorkerMirror: a worker that dies', () => {
  it('is reported with a typed error; a restart replays the shard from the log and nothing is lost', async () => {
    const { log, fleets, primary, fleet } = fragilePair();
    const marker = join(mkdtempSync(join(tmpdir(), 'wfmirror-crash-')), 'crash-once');
    writeFileSync(marker, '');
    const errors: WorkflowMirrorError[] = [];
    const mirror = await WorkerMirror.start({
      log,
      fleets,
      workflows: [{ module: FRAGILE_MODULE, export: 'fragile' }],
      onError: (error) => errors.push(error),
    });
    open.push(mirror);
    await primary.start('fragile', 'f1', { value: 1 });
    await mirror.whenCaughtUp();
    await primary.start('fragile', 'f2', { value: 2, marker });
    await primary.start('fragile', 'f3', { value: 3 });
    await primary.whenIdle();

    await expect(mirror.whenCaughtUp()).rejects.toBeInstanceOf(MirrorWorkerDiedError);
    await eventually(() => errors.length > 0);
    const died = errors[0] as MirrorWorkerDiedError;
    expect(died).toBeInstanceOf(MirrorWorkerDiedError);
    expect(died).toMatchObject({ code: 'MIRROR_WORKER_DIED', shard: 0, exitCode: 70 });
    // f1's two events were applied before the crash; f2's start killed the worker.
    expect(died.appliedPosition).toBe(2);
    expect(mirror.stats().shards[0]!.alive).toBe(false);
    expect(existsSync(marker)).toBe(false);

    await mirror.restartShard(0);
    await mirror.whenCaughtUp();
    const shared = mirror.matrix('fragile');
    const stride = fleet.compiled.layout.stride;
    expect(shared.rowCount).toBe(3);
    for (const id of ['f1', 'f2', 'f3']) {
      const row = fleet.index.get(id)!;
      expect(shared.seqOf(row)).toBe(fleet.mirror.seqOf(row));
      expect(shared.seqOf(row)).toBe(2);
      expect(Array.from(shared.data.subarray(row * stride, row * stride + stride))).toEqual(
        Array.from(fleet.mirror.data.subarray(row * stride, row * stride + stride)),
      );
    }
    const stats = mirror.stats();
    expect(stats.shards[0]).toMatchObject({ alive: true, restarts: 1, lag: 0, eventsApplied: 6 });
  });
});

describe('WorkerMirror: workers that cannot start', () => {
  it('an export that is no workflow definition', async () => {
    const { log, fleets } = fragilePair();
    const started = WorkerMirror.start({ log, fleets, workflows: [{ module: FRAGILE_MODULE, export: 'nothing' }] });
    await expect(started).rejects.toBeInstanceOf(MirrorWorkerStartError);
    await expect(started).rejects.toMatchObject({ code: 'MIRROR_WORKER_START_FAILED', message: /nothing/ });
  });

  it('a module that does not load', async () => {
    const { log, fleets } = fragilePair();
    const started = WorkerMirror.start({
      log,
      fleets,
      workflows: [{ module: new URL('./no-such-module.mjs', import.meta.url) }],
    });
    await expect(started).rejects.toBeInstanceOf(MirrorWorkerStartError);
  });

  it('definitions that are not the fleets the primary runs', async () => {
    const { log, fleets } = fragilePair();
    const started = WorkerMirror.start({ log, fleets, workflows: [{ module: ORDER_MODULE, export: 'order' }] });
    await expect(started).rejects.toThrow(/fragile|order/);
    await expect(started).rejects.toBeInstanceOf(MirrorWorkerStartError);
  });
});

describe('WorkerMirror: a shared matrix that is full', () => {
  it('is reported once; later instances are mirrored but not published, and counted', async () => {
    const { log, fleets, primary, fleet } = fragilePair();
    const errors: WorkflowMirrorError[] = [];
    const mirror = await WorkerMirror.start({
      log,
      fleets,
      workflows: [{ module: FRAGILE_MODULE, export: 'fragile' }],
      maxRows: 2,
      onError: (error) => errors.push(error),
    });
    open.push(mirror);
    for (let i = 0; i < 5; i++) await primary.start('fragile', `h${i}`, { value: i });
    await primary.whenIdle();
    await mirror.whenCaughtUp();
    expect(errors.map((e) => e.code)).toEqual(['SHARED_MATRIX_FULL']);
    expect(errors[0]).toBeInstanceOf(SharedMatrixFullError);
    const stats = mirror.stats().shards[0]!;
    expect(stats).toMatchObject({ unpublished: 3, eventsApplied: 10, lag: 0 });
    const shared = mirror.matrix('fragile');
    expect(shared.rowCount).toBe(2);
    expect(shared.seqOf(fleet.index.get('h1')!)).toBe(2);
  });
});

describe('WorkerMirror: options and lifecycle', () => {
  it('refuses options that cannot work, before starting anything', async () => {
    const { log, fleets } = fragilePair();
    const base = { log, fleets, workflows: [{ module: FRAGILE_MODULE, export: 'fragile' }] };
    for (const bad of [
      { shards: 0 },
      { shards: 1.5 },
      { ringBytes: 1000 },
      { ringBytes: 512 },
      { catchUpChunk: 0 },
      { niceness: -1 },
      { niceness: 20 },
      { niceness: 2.5 },
    ]) {
      await expect(WorkerMirror.start({ ...base, ...bad })).rejects.toBeInstanceOf(InvalidWorkerMirrorOptionsError);
    }
    await expect(WorkerMirror.start({ ...base, workflows: [{ module: './relative.mjs' }] })).rejects.toMatchObject({
      code: 'INVALID_WORKER_MIRROR_OPTIONS',
    });
    await expect(WorkerMirror.start({ ...base, workflows: [] })).rejects.toBeInstanceOf(InvalidWorkerMirrorOptionsError);
  });

  it('close drains what was sent; afterwards calls are refused and the matrices stay readable', async () => {
    const { log, fleets, primary, fleet } = fragilePair();
    const mirror = await WorkerMirror.start({ log, fleets, workflows: [{ module: FRAGILE_MODULE, export: 'fragile' }] });
    for (let i = 0; i < 50; i++) await primary.start('fragile', `g${i}`, { value: i });
    await primary.whenIdle();
    await mirror.close();
    const shared = mirror.matrix('fragile');
    for (let i = 0; i < 50; i++) expect(shared.seqOf(fleet.index.get(`g${i}`)!)).toBe(2);
    await expect(mirror.whenCaughtUp()).rejects.toBeInstanceOf(WorkerMirrorClosedError);
    await expect(mirror.restartShard(0)).rejects.toBeInstanceOf(WorkerMirrorClosedError);
    // Events after close are no longer mirrored (the subscription ended) and nothing throws.
    await primary.start('fragile', 'late', { value: 1 });
    expect(shared.rowCount).toBe(50);
  });
});
