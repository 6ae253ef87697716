/**
 * Two primary-node processes and a mirror-node process against a redis-server (CI's, or one of its own), one primary
 * publishing a duplicated, a reordered and a damaged entry, both running instances with engine
 * faults. Across processes: the damaged entry is a typed error parked in the dead-letter stream
 * and nothing else stops; every event is applied exactly once by the mirror; its final states are
 * an undisturbed run's; and the engine faults are reported by the mirror node (from the events:
 * version skew, non-determinism; from the deltas: a field written outside a handler), with no
 * report on any other instance.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { streamKeys } from '../../ts/stream/redis/keys.js';
import { redisServerMissing, type SharedRedis, sharedRedis } from '../support/redis-server.js';
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
  reportsIn,
  summaryStates,
  undisturbedStates,
  until,
} from './cluster.js';

const missing = redisServerMissing() ?? builtRolesMissing();
const SHARDS = '4';
// Its own key prefix: in CI it shares the server .ci/run started with other test files.
const PREFIX = `faults${process.pid}`;

describe.skipIf(missing !== undefined)(
  `node roles across processes: stream faults${missing === undefined ? '' : ` (skipped: ${missing})`}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfm-nodes-'));
    const processes: NodeProcess[] = [];
    let server: SharedRedis | undefined;
    let redis: Redis | undefined;

    afterAll(async () => {
      for (const p of processes) await p.stop('SIGKILL');
      redis?.disconnect();
      await server?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('absorbs a duplicated, a reordered and a damaged entry and still detects the injected faults', async () => {
      server = await sharedRedis();
      redis = new Redis(server.url);
      const specs: PrimarySpec[] = [
        { name: 'p1', instances: 250, faults: ['corrupt-field@14', 'changed-handler@24'] },
        { name: 'p2', instances: 250, faults: ['swapped-calls@33'] },
      ];
      const jsonl = join(dir, 'anomalies.jsonl');
      const summary = join(dir, 'm1.json');
      const mirror = new NodeProcess(
        'm1',
        mirrorNodeArgs(server.url, 'm1', summary, {
          shards: SHARDS,
          prefix: PREFIX,
          extra: ['--jsonl', jsonl, '--compare-ms', '100'],
        }),
      );
      processes.push(mirror);
      await mirror.waitFor('ready');
      const transportFaults = [
        '--transport-fault',
        'duplicate@3',
        '--transport-fault',
        'reorder@5',
        '--transport-fault',
        'corrupt@8',
      ];
      const primaries = specs.map((spec) => {
        const p = new NodeProcess(
          spec.name,
          primaryNodeArgs(server!.url, dir, spec, {
            shards: SHARDS,
            prefix: PREFIX,
            extra: [
              '--window',
              '25',
              '--summary',
              join(dir, `${spec.name}.json`),
              ...(spec.name === 'p2' ? transportFaults : []),
            ],
          }),
        );
        processes.push(p);
        return p;
      });
      for (const p of primaries) await p.waitFor('done');
      let total = 0;
      for (const spec of specs) total += await loggedEvents(join(dir, `${spec.name}.db`));
      await until(
        'the mirror applied every event and acknowledged every entry',
        async () =>
          (await reportedApplied(redis!, PREFIX, 'm1')) >= total && (await mirrorGroupDrained(redis!, PREFIX, Number(SHARDS))),
      );
      expect(await mirror.stop()).toBe(0);
      for (const p of primaries) expect(await p.stop()).toBe(0);

      const result = readMirrorSummary(summary);
      // Exactly once: as many applications as events in both logs, and the undisturbed run's states.
      expect(result.stats.mirror.applied).toBe(total);
      expect(summaryStates(result)).toEqual(await undisturbedStates(specs));
      expect(result.stats.mirror.duplicatesIgnored).toBeGreaterThan(0);
      // The damaged entry: a typed error, one dead letter, its events re-read, everything acknowledged.
      expect(result.stats.consumer.deadLettered).toBe(1);
      expect(result.stats.applier.rejectedRecovered).toBe(1);
      expect(result.errors.some((e) => e.startsWith('CORRUPT_STREAM_ENTRY'))).toBe(true);
      expect(result.stats.consumer.acknowledged).toBe(result.stats.consumer.entries);
      const letters = (await redis.xrange(streamKeys(PREFIX).dead, '-', '+')) as [string, string[]][];
      expect(letters).toHaveLength(1);
      expect(letters[0]![1][letters[0]![1].indexOf('code') + 1]).toBe('CORRUPT_STREAM_ENTRY');
      // The engine faults, found by the mirror node from events and deltas alone; nothing else flagged.
      const reports = reportsIn(jsonl);
      const causes = (id: string) => reports.filter((r) => r.workflowId === id).map((r) => r.cause);
      expect(causes('p1-order-000024')).toContain('version-skew');
      expect(causes('p2-order-000033')).toContain('non-determinism');
      const corrupted = reports.filter((r) => r.workflowId === 'p1-order-000014');
      expect(corrupted.length).toBeGreaterThan(0);
      expect(corrupted.flatMap((r) => r.fields.map((f) => f.name))).toContain('total');
      expect(new Set(reports.map((r) => r.workflowId))).toEqual(
        new Set(['p1-order-000014', 'p1-order-000024', 'p2-order-000033']),
      );
    });
  },
);
