import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type EventLog, MalformedEventError, MemoryEventLog, type NewEvent, SqliteEventLog } from '../../ts/index.js';

const dir = mkdtempSync(join(tmpdir(), 'wfmirror-owned-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The signal payload of a stored event. */
const inner = (event: { payload: unknown } | undefined): unknown => (event!.payload as { payload: unknown }).payload;

const signal = (payload: unknown): NewEvent =>
  ({ type: 'SignalReceived', time: 1, payload: { name: 's', payload } }) as unknown as NewEvent;

describe.each([
  ['memory', () => new MemoryEventLog()],
  ['sqlite', () => SqliteEventLog.open({ path: join(dir, `${Math.random().toString(36).slice(2)}.db`) })],
] as const)('append with owned payloads (%s log)', (_name, make: () => EventLog) => {
  it("keeps the caller's objects, deep-frozen, instead of copying them", async () => {
    const log = make();
    const given = { amount: 5, tags: ['a', 'b'] };
    const [stored] = await log.append('w', 0, [signal(given)], { owned: true });
    expect(inner(stored)).toBe(given);
    expect(Object.isFrozen(given)).toBe(true);
    expect(Object.isFrozen(given.tags)).toBe(true);
    await log.close();
  });

  it("without owned, copies: the caller's objects stay theirs and unfrozen", async () => {
    const log = make();
    const given = { amount: 5 };
    const [stored] = await log.append('w', 0, [signal(given)]);
    expect(inner(stored)).not.toBe(given);
    expect(Object.isFrozen(given)).toBe(false);
    given.amount = 6;
    expect((inner(stored) as { amount: number }).amount).toBe(5);
    await log.close();
  });

  it('refuses a non-JSON owned payload with MalformedEventError and leaves it unfrozen', async () => {
    const log = make();
    const given = { ok: { deep: 1 }, bad: Number.NaN };
    await expect(log.append('w', 0, [signal(given)], { owned: true })).rejects.toBeInstanceOf(MalformedEventError);
    expect(Object.isFrozen(given)).toBe(false);
    expect(Object.isFrozen(given.ok)).toBe(false);
    expect(await log.head('w')).toBe(0);
    await log.close();
  });

  it('copies an owned payload it cannot keep as is (-0, or objects frozen by someone else), so every log returns the same value', async () => {
    const log = make();
    const withNegativeZero = { x: -0 };
    const [a] = await log.append('w', 0, [signal(withNegativeZero)], { owned: true });
    expect(Object.is((inner(a) as { x: number }).x, 0)).toBe(true);
    const foreign = Object.freeze({ y: 1 });
    const [b] = await log.append('w', 1, [signal(foreign)], { owned: true });
    expect(inner(b)).toEqual({ y: 1 });
    await log.close();
  });
});
