/**
 * A primary node and a mirror node in this process against a real redis-server, read by
 * `wfmirror status --redis`: per shard the groups' lag, the primary with its published position,
 * the mirror with its shards and what it applied; `mirrored` (exit 0) while the mirror runs,
 * `unmirrored` (exit 1) once it stopped. The mirror's comparisons, fed by the primary's deltas,
 * find nothing on a clean run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import type { AnomalyReport } from '../../ts/anomaly/report.js';
import { formatNodeStatus, readNodeStatus } from '../../ts/cli/node-status.js';
import { runStatusCommand } from '../../ts/cli/status.js';
import { VirtualClock } from '../../ts/clock/virtual-clock.js';
import { MirrorNode } from '../../ts/node/mirror-node.js';
import { runOrderWorkload } from '../../ts/node/order-workload.js';
import { PrimaryNode } from '../../ts/node/primary-node.js';
import { redisServerMissing, type SharedRedis, sharedRedis } from '../support/redis-server.js';
import { until } from './cluster.js';

const missing = redisServerMissing();

describe.skipIf(missing !== undefined)(`wfmirror status --redis${missing === undefined ? '' : ` (skipped: ${missing})`}`, () => {
  let server: SharedRedis;
  const dir = mkdtempSync(join(tmpdir(), 'wfm-status-'));

  beforeAll(async () => {
    server = await sharedRedis();
  });
  afterAll(async () => {
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const fail = (message: string): never => {
    throw new Error(message);
  };

  it('shows lag per shard, the nodes, and whether every shard is mirrored', async () => {
    const reports: AnomalyReport[] = [];
    const mirror = await MirrorNode.open({
      redisUrl: server.url,
      shards: 3,
      name: 'm1',
      workflows: [order],
      accelerator: { backend: 'js' },
      compareEveryMs: 50,
      reportEveryMs: 100,
      sinks: [{ write: (r) => void reports.push(r) }],
    });
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const primary = await PrimaryNode.open({
      redisUrl: server.url,
      shards: 3,
      name: 'p1',
      dbPath: join(dir, 'p1.db'),
      workflows: [order],
      activities: simulatedOrderActivities(),
      clock,
      deltaIntervalMs: 20,
    });
    await runOrderWorkload(primary, clock, { instances: 90, idPrefix: 'p1-' });
    await primary.drain();
    const total = await primary.log.lastPosition();
    await until('the mirror caught up', async () => {
      const s = await readNodeStatus(server.url, 'wfm', 10_000);
      return (
        s.mirrors[0]?.applied === total &&
        s.shardLag.every((l) => l.mirror?.lag === 0 && l.mirror.pending === 0 && l.deltas?.lag === 0 && l.deltas.pending === 0)
      );
    });
    await mirror.compareNow();

    const status = await readNodeStatus(server.url, 'wfm', 10_000);
    expect(status.shards).toBe(3);
    expect(status.state).toBe('mirrored');
    expect(status.shardLag.map((l) => l.shard)).toEqual([0, 1, 2]);
    expect(status.shardLag.every((l) => l.primary !== undefined && l.deltas?.pending === 0)).toBe(true);
    expect(status.primaries).toEqual([expect.objectContaining({ name: 'p1', logPath: join(dir, 'p1.db'), published: total })]);
    expect(status.mirrors[0]).toMatchObject({ name: 'm1', shards: [0, 1, 2], applied: total, state: 'running', stale: false });
    expect(status.mirrors[0]!.sources['p1']).toEqual({ applied: total, logPosition: total });
    const text = formatNodeStatus(status);
    expect(text).toContain('mirror lag');
    expect(text).toContain('status: mirrored');
    let out = '';
    expect(await runStatusCommand(['--redis', server.url], fail, (t) => (out += t))).toBe(0);
    expect(out).toContain('p1');

    // The deltas reached the mirror's copy of the primary matrices, and the clean run compares clean.
    const stats = mirror.stats();
    expect(stats.replicas.deltasApplied).toBeGreaterThan(0);
    expect(stats.comparisons.rowComparisons).toBeGreaterThan(0);
    expect(reports).toEqual([]);

    await mirror.close();
    await primary.close();
    const after = await readNodeStatus(server.url, 'wfm', 10_000);
    expect(after.state).toBe('unmirrored');
    expect(after.unmirroredShards).toEqual([0, 1, 2]);
    expect(after.mirrors[0]!.state).toBe('stopped');
    out = '';
    expect(await runStatusCommand(['--redis', server.url, '--json'], fail, (t) => (out += t))).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ state: 'unmirrored', shards: 3 });
  });
});
