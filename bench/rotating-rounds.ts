/**
 * A benny suite run several times, each round starting with the next case: benny times cases one
 * after another, and on a shared VM a few seconds of someone else's load land on one case only;
 * with rounds they move one round's figures, not the result, and rotating gives every case every
 * place (a case run late in a suite meets a fuller heap).
 */
import b from 'benny';

/** One case's figures in one round (seconds per op). */
export interface RoundFigure {
  readonly name: string;
  readonly mean: number;
  readonly median: number;
  readonly margin: number;
  readonly samples: number;
}

/** Runs `cases` in `rounds` rotated suites titled `title`; returns each round's figures. */
export async function rotatingRounds(
  title: string,
  cases: Readonly<Record<string, () => unknown>>,
  options: { minSamples: number; maxTime: number },
  rounds: number,
): Promise<RoundFigure[][]> {
  const names = Object.keys(cases);
  const out: RoundFigure[][] = [];
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]!);
    const summary = await b.suite(
      `${title} (round ${round + 1} of ${rounds})`,
      ...order.map((n) => b.add(n, cases[n]!, options)),
      b.cycle(),
      b.complete(),
    );
    out.push(
      summary.results.map((r) => ({
        name: r.name,
        mean: r.details.mean,
        median: r.details.median,
        margin: r.details.relativeMarginOfError,
        samples: r.samples,
      })),
    );
  }
  return out;
}

/** The median of `values` (the mean of the middle two for an even count). */
export function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
