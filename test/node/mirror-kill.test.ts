/**
 * kill -9 of a mirror node mid-run, across processes: the mirror node holds entries it read and
 * had not acknowledged when it dies; a replacement node (another consumer name) replays the
 * primaries' durable logs, claims the dead node's pending entries with XAUTOCLAIM, and follows the
 * streams. In the end nothing is pending anywhere, the replacement applied every event exactly
 * once, and its states are an undisturbed run's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MIRROR_GROUP, streamKeys } from '../../ts/stream/redis/keys.js';
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

/** Entries pending for `consumer` in group mirror, over every shard's streams. */
async function pendingOf(redis: Redis, consumer: string): Promise<number> {
  const keys = streamKeys(PREFIX);
  let n = 0;
  for (let s = 0; s < SHARDS; s++) {
    for (const stream of [keys.events(s), keys.deltas(s)]) {
      n += ((await redis.xpending(stream, MIRROR_GROUP, '-', '+', 10_000, consumer)) as unknown[]).length;
    }
  }
  return n;
}

describe.skipIf(missing !== undefined)(
  `node roles across processes: a mirror node killed${missing === undefined ? '' : ` (skipped: ${missing})`}`,
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

    it("another mirror node claims the dead one's pending entries and ends where an undisturbed run does", async () => {
      server = await TestRedisServer.start();
      redis = new Redis(server.url);
      const specs: PrimarySpec[] = [
        { name: 'p1', instances: 200, faults: ['changed-handler@24'] },
        { name: 'p2', instances: 200 },
      ];
      const mirror = (name: string, extra: string[]) =>
        new NodeProcess(
          name,
          mirrorNodeArgs(server!.url, name, join(dir, `${name}.json`), {
            shards: SHARDS,
            extra: ['--claim-idle-ms', '1000', ...extra],
          }),
        );
      // Acks gathered over 300 ms: the node holds unacknowledged entries most of the time, as a busy one does.
      const first = mirror('m1', ['--ack-delay-ms', '300']);
      processes.push(first);
      await first.waitFor('ready');
      const primaries = specs.map((spec) => {
        const p = new NodeProcess(
          spec.name,
          primaryNodeArgs(server!.url, dir, spec, { shards: SHARDS, extra: ['--window', '10', '--pace-ms', '15'] }),
        );
        processes.push(p);
        return p;
      });
      await until('m1 under way', async () => (await reportedApplied(redis!, PREFIX, 'm1')) > 300);
      // Freeze it, make sure it holds entries it has not acknowledged, then kill it there.
      let held = 0;
      for (let attempt = 0; held === 0; attempt++) {
        expect(attempt).toBeLessThan(200);
        process.kill(first.pid, 'SIGSTOP');
        held = await pendingOf(redis, 'm1');
        if (held === 0) {
          process.kill(first.pid, 'SIGCONT');
          await sleep(20);
        }
      }
      process.kill(first.pid, 'SIGKILL');
      await first.exited;
      expect(primaries.every((p) => !p.lines.includes('done'))).toBe(true);

      const second = mirror('m2', []);
      processes.push(second);
      await second.waitFor('ready');
      for (const p of primaries) await p.waitFor('done');
      let total = 0;
      for (const spec of specs) total += await loggedEvents(join(dir, `${spec.name}.db`));
      await until(
        'm2 applied every event and nothing is pending',
        async () =>
          (await reportedApplied(redis!, PREFIX, 'm2')) >= total &&
          (await mirrorGroupDrained(redis!, PREFIX, SHARDS)) &&
          (await pendingOf(redis!, 'm1')) === 0,
      );
      expect(await second.stop()).toBe(0);
      for (const p of primaries) expect(await p.stop()).toBe(0);

      const result = readMirrorSummary(join(dir, 'm2.json'));
      // It replayed what m1 had applied from the primaries' logs, then took m1's entries over.
      expect(result.stats.caughtUp).toBeGreaterThan(0);
      expect(result.stats.consumer.claimed).toBeGreaterThanOrEqual(held);
      expect(result.stats.mirror.applied).toBe(total);
      expect(summaryStates(result)).toEqual(await undisturbedStates(specs));
    });
  },
);
