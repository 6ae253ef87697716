/**
 * The random numbers `ctx.random()` hands out: mulberry32 seeded from the workflow id's hash and
 * the event's seq, so the primary and every replay draw the same sequence at the same event.
 */
export function seedFor(workflowIdHash: number, seq: number): number {
  // Mix seq in with a multiplicative constant so neighbouring seqs give unrelated seeds.
  return (workflowIdHash ^ Math.imul(seq, 0x9e3779b1)) >>> 0;
}

/** Advances a mulberry32 state; returns [nextState, value in [0, 1)]. */
export function mulberry32(state: number): [number, number] {
  const next = (state + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [next, ((t ^ (t >>> 14)) >>> 0) / 4294967296];
}
