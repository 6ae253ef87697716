import { describe, expect, it } from 'vitest';
import { MemoryEventLog, protectionStatus } from '../../ts/index.js';
import { someEvents } from '../history/fixtures.js';

describe('protectionStatus', () => {
  it('measures each mirror against the log, and says "unmirrored" when none follows it', async () => {
    const log = new MemoryEventLog();
    for (let i = 0; i < 5; i++) await log.append(`w-${i}`, 0, someEvents(1));
    const status = await protectionStatus(log, [
      { name: 'near', mirror: { position: 5 } },
      { name: 'far', mirror: { position: 2 } },
    ]);
    expect(status).toEqual({
      epoch: 0,
      logPosition: 5,
      state: 'mirrored',
      mirrors: [
        { name: 'near', position: 5, logPosition: 5, lag: 0 },
        { name: 'far', position: 2, logPosition: 5, lag: 3 },
      ],
    });
    await log.claimEpoch(0);
    expect(await protectionStatus(log, [])).toEqual({ epoch: 1, logPosition: 5, state: 'unmirrored', mirrors: [] });
  });
});
