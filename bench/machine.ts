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

/** A full collection, when node runs with --expose-gc (every bench script does). */
export const collectGarbage = (): void => (globalThis as { gc?: () => void }).gc?.();

/**
 * benny case options of the suites: at least 5 samples, up to `maxTime` s, each case started on a
 * collected heap (and then `onStart`, when given).
 */
export function caseOptions(maxTime: number, onStart?: () => void): { minSamples: number; maxTime: number } {
  const start = () => {
    collectGarbage();
    onStart?.();
  };
  // benny's types leave out onStart, which it passes on to benchmark.js.
  return { minSamples: 5, maxTime, onStart: start } as { minSamples: number; maxTime: number };
}
