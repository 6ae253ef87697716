/** What benchmark results record about the machine they ran on. */
import { cpus, totalmem } from 'node:os';

/** Machine facts for a results file. */
export function machineInfo(): Record<string, string | number> {
  const cpu = cpus()[0];
  return {
    cpu: cpu?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}
