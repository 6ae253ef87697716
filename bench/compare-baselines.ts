/**
 * The two baselines the comparator benchmark measures the backends against, in the same run:
 *  - naive: the concept's pseudocode taken at its word (state vectors as objects keyed by variable
 *    name, `FOR EACH variable IN stateVector1`, affected variables collected by name);
 *  - typed loop: the same rule as a plain loop over the row-major Float64Arrays, no special cases.
 * Neither handles every corner of DESIGN.md section 6 (NaN on both sides, equal infinities):
 * they are yardsticks for speed, not answers.
 */
import type { ComparisonLayout } from '../ts/compare/comparator.js';

/** One instance's state vector the way the concept's pseudocode holds it. */
export type NamedStateVector = Record<string, number>;

/** Field names of the naive form: `v0`, `v1`, ... */
export function fieldNames(fieldCount: number): string[] {
  return Array.from({ length: fieldCount }, (_, j) => `v${j}`);
}

/** The rows of a matrix as objects keyed by field name (done once, outside the timed part). */
export function toNamedVectors(matrix: Float64Array, layout: ComparisonLayout, rows: number): NamedStateVector[] {
  const names = fieldNames(layout.fieldCount);
  const out: NamedStateVector[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    const v: NamedStateVector = {};
    for (let j = 0; j < layout.fieldCount; j++) {
      const x = matrix[r * layout.stride + j]!;
      // The pseudocode's "variable IN stateVector2": a missing value is an absent key.
      if (!Number.isNaN(x)) v[names[j]!] = x;
    }
    out[r] = v;
  }
  return out;
}

/** Weights and tolerances by name, as the pseudocode's `Weight(variable)` looks them up. */
export interface NamedRules {
  readonly weight: Record<string, number>;
  readonly tolerance: Record<string, number>;
  readonly categorical: Record<string, boolean>;
}

export function namedRules(layout: ComparisonLayout): NamedRules {
  const names = fieldNames(layout.fieldCount);
  const weight: Record<string, number> = {};
  const tolerance: Record<string, number> = {};
  const categorical: Record<string, boolean> = {};
  names.forEach((n, j) => {
    weight[n] = layout.weights[j]!;
    tolerance[n] = layout.tolerances[j]!;
    categorical[n] = layout.categorical[j] === 1;
  });
  return { weight, tolerance, categorical };
}

const HIGH_SEVERITY_WEIGHT = 1e6;

/** CalculateDeviation + GetAffectedVariables of the pseudocode, for every instance. */
export function naiveCompare(
  primary: readonly NamedStateVector[],
  mirror: readonly NamedStateVector[],
  rules: NamedRules,
): { deviation: number[]; affected: string[][] } {
  const deviation: number[] = [];
  const affected: string[][] = [];
  for (let r = 0; r < primary.length; r++) {
    const a = primary[r]!;
    const b = mirror[r]!;
    let score = 0;
    const names: string[] = [];
    for (const variable in a) {
      if (variable in b) {
        const d = Math.abs(a[variable]! - b[variable]!);
        if (rules.categorical[variable]) {
          if (d !== 0) {
            score += rules.weight[variable]!;
            names.push(variable);
          }
        } else if (d > rules.tolerance[variable]!) {
          score += rules.weight[variable]! * d;
          names.push(variable);
        }
      } else {
        score += HIGH_SEVERITY_WEIGHT;
        names.push(variable);
      }
    }
    deviation.push(score);
    affected.push(names);
  }
  return { deviation, affected };
}

/** The same rule over the row-major arrays: one pass, a float64 sum and a u32 mask per row (the CLI's baseline, shared). */
export { plainLoopCompare as typedLoopCompare } from '../ts/benchmark/plain-loop.js';
