import { DeterminismViolationError } from '../workflow/errors.js';

/*
 * While a handler runs, Date.now, Math.random and performance.now throw: a handler that reads them
 * would make replay diverge from the primary, so it is stopped at the first call instead of
 * producing a false anomaly much later. (Temporal swaps the same globals for the same reason.)
 */

const realDateNow = Date.now;
const realMathRandom = Math.random;
const realPerformanceNow = performance.now.bind(performance);

function forbiddenDateNow(): number {
  throw new DeterminismViolationError('Date.now()');
}
function forbiddenMathRandom(): number {
  throw new DeterminismViolationError('Math.random()');
}
function forbiddenPerformanceNow(): number {
  throw new DeterminismViolationError('performance.now()');
}

let depth = 0;

/** Runs `fn` with the non-deterministic globals swapped for throwing stand-ins. */
export function runGuarded<T>(fn: () => T): T {
  if (depth++ === 0) {
    Date.now = forbiddenDateNow;
    Math.random = forbiddenMathRandom;
    performance.now = forbiddenPerformanceNow;
  }
  try {
    return fn();
  } finally {
    if (--depth === 0) {
      Date.now = realDateNow;
      Math.random = realMathRandom;
      performance.now = realPerformanceNow;
    }
  }
}

/** Calls `fn(a, b, c)` guarded, without allocating a closure (the replay hot path). */
export function callGuarded(fn: (a: unknown, b: unknown, c: unknown) => void, a: unknown, b: unknown, c: unknown): void {
  if (depth++ === 0) {
    Date.now = forbiddenDateNow;
    Math.random = forbiddenMathRandom;
    performance.now = forbiddenPerformanceNow;
  }
  try {
    fn(a, b, c);
  } finally {
    if (--depth === 0) {
      Date.now = realDateNow;
      Math.random = realMathRandom;
      performance.now = realPerformanceNow;
    }
  }
}
