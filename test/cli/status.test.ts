import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatStatus, readStatus, runStatusCommand } from '../../ts/cli/status.js';
import { SqliteEventLog } from '../../ts/index.js';
import { someEvents } from '../history/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'wfmirror-status-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function prepared(name: string, setup: (log: SqliteEventLog) => Promise<void>): Promise<string> {
  const path = join(dir, name);
  const log = SqliteEventLog.open({ path });
  await setup(log);
  await log.close();
  return path;
}

const refuse = (message: string): never => {
  throw new Error(`refused: ${message}`);
};

describe('wfmirror status', () => {
  it("reads epoch, position, the primary's heartbeat and each mirror's lag from the log file", async () => {
    const path = await prepared('a.db', async (log) => {
      await log.append('w', 0, someEvents(5), { epoch: 0 });
      await log.heartbeat({ owner: 'primary-1', epoch: 0, time: 9_000 });
      await log.reportMirrorPosition({ name: 'mirror-1', position: 3, time: 9_500 });
    });
    const status = await readStatus(path, 10_000, 5_000, 10_000);
    expect(status).toMatchObject({
      database: path,
      epoch: 0,
      logPosition: 5,
      state: 'mirrored',
      primary: { owner: 'primary-1', epoch: 0, ageMs: 1_000, state: 'alive' },
      mirrors: [{ name: 'mirror-1', position: 3, lag: 2, stale: false }],
    });
    const text = formatStatus(status, 10_000);
    expect(text).toContain('epoch 0, last position 5');
    expect(text).toContain('primary: primary-1, epoch 0, last heartbeat 1.0 s ago (alive)');
    expect(text).toMatch(/mirror-1\s+3\s+2\s+500 ms ago\s+yes/);
    expect(text).toContain('status: mirrored');
    // Silent primary, stale mirror.
    const later = await readStatus(path, 10_000, 5_000, 30_000);
    expect(later.primary).toMatchObject({ state: 'silent' });
    expect(later.state).toBe('unmirrored');
  });

  it('says a primary of an older epoch was replaced, and exits 1 when unmirrored, 0 when mirrored', async () => {
    const path = await prepared('b.db', async (log) => {
      await log.heartbeat({ owner: 'old', epoch: 0, time: Date.now() });
      await log.claimEpoch(0);
    });
    const status = await readStatus(path, 10_000, 5_000);
    expect(status.primary).toMatchObject({ owner: 'old', state: 'replaced' });
    const out: string[] = [];
    expect(await runStatusCommand(['--db', path], refuse, (t) => out.push(t))).toBe(1);
    expect(out.join('')).toContain('status: unmirrored');
    const reported = await prepared('b.db', (log) => log.reportMirrorPosition({ name: 'm', position: 0, time: Date.now() }));
    const json: string[] = [];
    expect(await runStatusCommand(['--db', reported, '--json'], refuse, (t) => json.push(t))).toBe(0);
    expect(JSON.parse(json.join(''))).toMatchObject({ epoch: 1, state: 'mirrored', mirrors: [{ name: 'm', lag: 0 }] });
  });

  it('refuses a missing file and bad flags clearly', async () => {
    await expect(runStatusCommand(['--db', join(dir, 'missing.db')], refuse, () => undefined)).rejects.toThrow(
      /refused: no event log at .*missing\.db/,
    );
    await expect(runStatusCommand(['--stale-ms', '0'], refuse, () => undefined)).rejects.toThrow(
      /--stale-ms must be a positive number/,
    );
    await expect(runStatusCommand(['--bogus'], refuse, () => undefined)).rejects.toThrow(/refused: Unknown option/);
  });
});
