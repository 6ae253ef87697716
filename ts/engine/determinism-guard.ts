import { DeterminismViolationError } from '../workflow/errors.js';

/*
 * While a handler runs, Date.now, new Date() (without arguments), Math.random and performance.now
 * throw: a handler that reads them would make replay diverge from the primary, so it is stopped at
 * the first call instead of producing a false anomaly much later. Temporal swaps the same globals
 * for the same reason. What was installed before (a test's fake timers, say) is put back after.
 */

function forbiddenDateNow(): number {
  throw new DeterminismViolationError('Date.now()');
}
function forbiddenMathRandom(): number {
  throw new DeterminismViolationError('Math.random()');
}
function forbiddenPerformanceNow(): number {
  throw new DeterminismViolationError('performance.now()');
}

/** The Date constructor handlers see: dates from explicit values work, "now" does not. */
function guardedDateClass(RealDate: DateConstructor): DateConstructor {
  const Guarded = function GuardedDate(this: unknown, ...args: unknown[]) {
    if (new.target === undefined) throw new DeterminismViolationError('Date()');
    if (args.length === 0) throw new DeterminismViolationError('new Date()');
    return Reflect.construct(RealDate, args, new.target);
  } as unknown as DateConstructor;
  Object.setPrototypeOf(Guarded, RealDate);
  Object.defineProperty(Guarded, 'prototype', { value: RealDate.prototype });
  Object.defineProperty(Guarded, 'now', { value: forbiddenDateNow });
  return Guarded;
}

let depth = 0;
let savedDate: DateConstructor = globalThis.Date;
let savedMathRandom: () => number = Math.random;
let savedPerformanceNow: () => number = performance.now;
let guardedDate: DateConstructor | undefined;
let guardedFor: DateConstructor | undefined;

function enter(): void {
  if (depth++ !== 0) return;
  savedDate = globalThis.Date;
  savedMathRandom = Math.random;
  savedPerformanceNow = performance.now;
  if (guardedFor !== savedDate) {
    guardedDate = guardedDateClass(savedDate);
    guardedFor = savedDate;
  }
  globalThis.Date = guardedDate!;
  Math.random = forbiddenMathRandom;
  performance.now = forbiddenPerformanceNow;
}

function leave(): void {
  if (--depth !== 0) return;
  globalThis.Date = savedDate;
  Math.random = savedMathRandom;
  // Plain assignments only: this runs around every handler call, and descriptor juggling or
  // `delete` would cost more than the handler. (performance.now stays an own property holding the
  // prototype's function, which behaves the same.)
  performance.now = savedPerformanceNow;
}

/** Calls `fn(a, b, c)` guarded, without allocating a closure (the replay hot path). */
export function callGuarded(fn: (a: unknown, b: unknown, c: unknown) => void, a: unknown, b: unknown, c: unknown): void {
  enter();
  try {
    fn(a, b, c);
  } finally {
    leave();
  }
}
