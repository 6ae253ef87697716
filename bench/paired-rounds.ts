/**
 * A ratio of two cases measured in paired rounds: short benny suites of just the two, run several
 * times with their order swapped each round, and the median of the per-round ratios.
 *
 * Why next to the main suite's ratios: the main suite times each case in one block of seconds, so
 * on a shared VM a neighbour's burst during one block moves a ratio by 20% or more from run to run
 * (the piscina / roofline ratio here read 0.77 and 1.05 in two runs an hour apart). Within a round
 * the two cases run a second apart under the same conditions, and the median over rounds leaves
 * out a round a burst spoiled.
 */
import b from 'benny';
import { median } from '../ts/benchmark/sampling.js';
import { caseOptions } from './machine.js';

/** Two cases to compare: `baseline` time / `subject` time (above 1: the subject is faster). */
export interface CasePair {
  readonly ratio: string;
  readonly baseline: { readonly name: string; readonly run: () => unknown };
  readonly subject: { readonly name: string; readonly run: () => unknown };
}

/** One pair's ratio over the rounds. */
export interface PairedRatio {
  readonly ratio: string;
  /** The median of the per-round ratios (each from the two cases' median sample). */
  readonly median: number;
  readonly lowest: number;
  readonly highest: number;
  readonly perRound: readonly number[];
}

/** Runs `rounds` rounds of every pair, each case sampled up to `maxTime` s per round. */
export async function pairedRounds(
  label: string,
  pairs: readonly CasePair[],
  rounds: number,
  maxTime: number,
): Promise<PairedRatio[]> {
  const perPair = pairs.map(() => [] as number[]);
  const options = caseOptions(maxTime);
  for (let round = 0; round < rounds; round++) {
    for (const [p, pair] of pairs.entries()) {
      const both = round % 2 === 0 ? [pair.baseline, pair.subject] : [pair.subject, pair.baseline];
      const summary = await b.suite(
        `${label}: ${pair.ratio}, round ${round + 1}`,
        ...both.map((c) => b.add(c.name, c.run, options)),
      );
      const medianOf = (name: string) => summary.results.find((r) => r.name === name)!.details.median;
      perPair[p]!.push(medianOf(pair.baseline.name) / medianOf(pair.subject.name));
    }
  }
  return pairs.map((pair, p) => {
    const ratios = perPair[p]!;
    return {
      ratio: pair.ratio,
      median: median(ratios),
      lowest: Math.min(...ratios),
      highest: Math.max(...ratios),
      perRound: ratios,
    };
  });
}
