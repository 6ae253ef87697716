/**
 * Redis stopped and restarted in the middle of a run, across processes: two primary nodes keep
 * appending to their logs while Redis is away and publish what queued up once it is back; the
 * mirror node reconnects and resumes from its last acknowledged entries. Nothing is lost: every
 * event is applied exactly once and the final states are an undisturbed run's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisServerMissing, TestRedisServer } from '../support/redis-server.js';
import {
  builtRolesMissing,
  loggedEvents,
  mirrorGroupDrained,
  mirrorNodeArgs,
  NodeProcess,
  type PrimarySpec,
  primaryNodeArgs,
  readMirrorSummary,
  reportedApplied,
  sleep,
  summaryStates,
  undisturbedStates,
  until,
} from './cluster.js';

const missing = redisServerMissing() ?? builtRolesMissing();
const SHARDS = 4;
const PREFIX = 'wfm';

describe.skipIf(missing !== undefined)(
  `node roles across processes: Redis restarted${missing === undefined ? '' : ` (skipped: ${missing})`}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfm-nodes-'));
    const processes: NodeProcess[] = [];
    let server: TestRedisServer | undefined;
    let redis: Redis | undefined;

    afterAll(async () => {
      for (const p of processes) await p.stop('SIGKILL');
      redis?.disconnect();
      await server?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('reconnects, resumes from the last acknowledged entry and loses nothing', async () => {
      server = await TestRedisServer.start();
      redis = new Redis(server.url, { maxRetriesPerRequest: null });
      redis.on('error', () => undefined);
      const specs: PrimarySpec[] = [
        { name: 'p1', instances: 200, faults: ['swapped-calls@13'] },
        { name: 'p2', instances: 200 },
      ];
      const mirror = new NodeProcess('m1', mirrorNodeArgs(server.url, 'm1', join(dir, 'm1.json'), { shards: SHARDS }));
      processes.push(mirror);
      await mirror.waitFor('ready');
      const primaries = specs.map((spec) => {
        const p = new NodeProcess(
          spec.name,
          primaryNodeArgs(server!.url, dir, spec, { shards: SHARDS, extra: ['--window', '10', '--pace-ms', '15'] }),
        );
        processes.push(p);
        return p;
      });
      await until('the mirror under way', async () => (await reportedApplied(redis!, PREFIX, 'm1')) > 300);
      const appliedBefore = await reportedApplied(redis, PREFIX, 'm1');
      expect(primaries.every((p) => !p.lines.includes('done'))).toBe(true);
      await server.stop();
      await sleep(1_000);
      // The primaries went on meanwhile: their logs grew with Redis away.
      const during = (await loggedEvents(join(dir, 'p1.db'))) + (await loggedEvents(join(dir, 'p2.db')));
      expect(during).toBeGreaterThan(appliedBefore);
      await server.restart();
      for (const p of primaries) await p.waitFor('done', 60_000);
      let total = 0;
      for (const spec of specs) total += await loggedEvents(join(dir, `${spec.name}.db`));
      await until(
        'the mirror applied every event and acknowledged every entry',
        async () => (await reportedApplied(redis!, PREFIX, 'm1')) >= total && (await mirrorGroupDrained(redis!, PREFIX, SHARDS)),
      );
      expect(await mirror.stop()).toBe(0);
      for (const p of primaries) expect(await p.stop()).toBe(0);

      const result = readMirrorSummary(join(dir, 'm1.json'));
      expect(result.stats.consumer.reconnects).toBeGreaterThanOrEqual(1);
      expect(result.stats.mirror.applied).toBe(total);
      expect(summaryStates(result)).toEqual(await undisturbedStates(specs));
    });
  },
);
