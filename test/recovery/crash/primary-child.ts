/**
 * The crash test's primary: a process that runs transfers on the SQLite log with epoch 0 until it
 * is killed. `node dist/test/recovery/crash/primary-child.js <log> <effects> <seed> <instances>`.
 * It prints "ready" once its log is open, and "fenced" for each append a newer epoch refused
 * (the test stops it with SIGSTOP, promotes, then lets it go on with SIGCONT).
 */
import { FencedError, FleetRegistry, PrimaryEngine, SqliteEventLog, SystemClock } from '../../../ts/index.js';
import { amountOf, seededRandom, transfer, transferService } from './transfer.js';

const [logPath, effectsPath, seedText, instancesText] = process.argv.slice(2);
const random = seededRandom(Number(seedText));
const service = transferService(effectsPath!, random, 4);
const log = SqliteEventLog.open({ path: logPath!, groupCommit: { maxBatch: 50 } });
const primary = new PrimaryEngine({
  log,
  fleets: new FleetRegistry([transfer]),
  activities: service.activities,
  clock: new SystemClock(),
  epoch: 0,
  onError: (error) => {
    if (error.cause instanceof FencedError) process.stdout.write('fenced\n');
  },
});
process.stdout.write('ready\n');
const instances = Number(instancesText);
for (let i = 0; i < instances; i++) {
  primary.start('transfer', `t-${i}`, { amount: amountOf(i) }).catch((error: unknown) => {
    if (error instanceof FencedError) process.stdout.write('fenced\n');
  });
  await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 3)));
}
await primary.whenIdle();
process.stdout.write('done\n');
