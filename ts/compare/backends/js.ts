/**
 * The plain-TypeScript reference backend. It defines the right answer: every other backend (wasm
 * SIMD, WebGPU, gpu.js) is tested against {@link compareRowsSync} by the conformance suite.
 *
 * The rule, per row r and field j (p primary, m mirror, w weight, t tolerance; NaN = missing),
 * DESIGN.md section 6 made exact for the corner cases:
 * 1. both NaN: contributes 0, not affected.
 * 2. exactly one NaN: contributes `missingWeight`, affected (whatever the weight, even 0: a value
 *    present on one side only is always worth reporting).
 * 3. `p === m` (so -0 vs +0, and +Inf vs +Inf, -Inf vs -Inf): 0, not affected. Equal infinities
 *    must be caught here because `Inf - Inf` is NaN.
 * 4. w === 0: 0, not affected. A weight-0 field is observed for presence only (rule 2); this
 *    also avoids `0 * Infinity = NaN` poisoning the sum.
 * 5. categorical (bool, enum, str hash) and p !== m: contributes w, affected.
 * 6. numeric: d = |p - m| (Infinity when one side is infinite or the difference overflows);
 *    d <= t: 0, not affected (the dead-band is closed: d == t is no deviation);
 *    otherwise w * d, affected. Note w * d may underflow to 0 (w = 1e-300, d = 1e-300) or
 *    overflow to Infinity: the field is affected all the same, because "affected" is decided by
 *    the comparison, not by the product.
 *
 * deviation_r is the sum of the contributions in field order (0, 1, 2, ...), in float64. It is
 * never NaN and never negative; it is Infinity when any contribution is. The affected bitmask has
 * `maskWordsFor(fieldCount)` u32 words per row: field j is bit (j & 31) of word (j >> 5); bits of
 * the last word past fieldCount are 0. Padding columns (j >= fieldCount) are never read.
 */
import {
  type Comparator,
  type CompareOptions,
  type ComparisonLayout,
  type ComparisonOutput,
  type ComparisonResult,
  DEFAULT_MISSING_WEIGHT,
  maskWordsFor,
} from '../comparator.js';
import { ComparisonInputError } from '../errors.js';

export type { ComparisonOutput } from '../comparator.js';

/** Why a field is affected, as a report names it; null when it is not affected. */
export type FieldDeviationReason = 'missing' | 'numeric' | 'categorical' | null;

/** Inputs of a comparison after validation: the row range and constants actually used. */
export interface CheckedComparison {
  readonly rowStart: number;
  readonly rowCount: number;
  readonly missingWeight: number;
  readonly maskWords: number;
}

/**
 * The contribution of one field to a row's deviation, by the exact rule in this module's header.
 * Used to build reports (each affected field's share) and as the one-field oracle in tests.
 * @param categorical truthy for bool/enum/str fields (the layout's 0/1 flag can be passed as is).
 */
export function fieldContribution(
  p: number,
  m: number,
  weight: number,
  tolerance: number,
  categorical: number | boolean,
  missingWeight: number = DEFAULT_MISSING_WEIGHT,
): number {
  const pMissing = Number.isNaN(p);
  const mMissing = Number.isNaN(m);
  if (pMissing || mMissing) return pMissing && mMissing ? 0 : missingWeight;
  if (p === m || weight === 0) return 0;
  if (categorical) return weight;
  const d = Math.abs(p - m);
  return d <= tolerance ? 0 : weight * d;
}

/**
 * Whether, and why, one field is affected, by the same rule as {@link fieldContribution}. A field
 * can be affected with a contribution of 0 (`missingWeight` 0, or `weight * d` underflowing).
 */
export function fieldReason(
  p: number,
  m: number,
  weight: number,
  tolerance: number,
  categorical: number | boolean,
): FieldDeviationReason {
  const pMissing = Number.isNaN(p);
  const mMissing = Number.isNaN(m);
  if (pMissing || mMissing) return pMissing && mMissing ? null : 'missing';
  if (p === m || weight === 0) return null;
  if (categorical) return 'categorical';
  return Math.abs(p - m) <= tolerance ? null : 'numeric';
}

/**
 * Validates the inputs of a comparison and resolves the defaults. Every backend calls this first,
 * so all of them reject the same inputs with the same messages.
 * @throws ComparisonInputError naming exactly what is wrong.
 */
export function checkComparisonInput(
  primary: Float64Array,
  mirror: Float64Array,
  layout: ComparisonLayout,
  options: CompareOptions = {},
): CheckedComparison {
  if (!(primary instanceof Float64Array)) throw new ComparisonInputError('primary must be a Float64Array');
  if (!(mirror instanceof Float64Array)) throw new ComparisonInputError('mirror must be a Float64Array');
  checkLayout(layout);
  const { fieldCount, stride } = layout;

  if (primary.length % stride !== 0) {
    throw new ComparisonInputError(`primary.length (${primary.length}) is not a multiple of layout.stride (${stride})`);
  }
  if (mirror.length % stride !== 0) {
    throw new ComparisonInputError(`mirror.length (${mirror.length}) is not a multiple of layout.stride (${stride})`);
  }
  const primaryRows = primary.length / stride;
  const mirrorRows = mirror.length / stride;

  const rowStart = options.rowStart ?? 0;
  if (!Number.isSafeInteger(rowStart) || rowStart < 0) {
    throw new ComparisonInputError(`options.rowStart must be a non-negative integer, got ${String(rowStart)}`);
  }
  let rowCount: number;
  if (options.rowCount === undefined) {
    // "Every row the matrices hold" is only defined when they hold the same number of rows.
    if (primaryRows !== mirrorRows) {
      throw new ComparisonInputError(
        `primary holds ${primaryRows} rows and mirror ${mirrorRows} (lengths ${primary.length} and ${mirror.length}): pass options.rowCount to compare matrices of different lengths`,
      );
    }
    if (rowStart > primaryRows) {
      throw new ComparisonInputError(`options.rowStart (${rowStart}) is past the end of the matrices (${primaryRows} rows)`);
    }
    rowCount = primaryRows - rowStart;
  } else {
    rowCount = options.rowCount;
    if (!Number.isSafeInteger(rowCount) || rowCount < 0) {
      throw new ComparisonInputError(`options.rowCount must be a non-negative integer, got ${String(rowCount)}`);
    }
    const end = rowStart + rowCount;
    if (end > primaryRows) {
      throw new ComparisonInputError(
        `rows ${rowStart}..${end - 1} are requested but primary holds only ${primaryRows} rows (length ${primary.length})`,
      );
    }
    if (end > mirrorRows) {
      throw new ComparisonInputError(
        `rows ${rowStart}..${end - 1} are requested but mirror holds only ${mirrorRows} rows (length ${mirror.length})`,
      );
    }
  }

  const missingWeight = options.missingWeight ?? DEFAULT_MISSING_WEIGHT;
  if (typeof missingWeight !== 'number' || !Number.isFinite(missingWeight) || missingWeight < 0) {
    throw new ComparisonInputError(`options.missingWeight must be a finite number >= 0, got ${String(missingWeight)}`);
  }
  return { rowStart, rowCount, missingWeight, maskWords: maskWordsFor(fieldCount) };
}

/** Checks the layout's shape and values; O(fieldCount), negligible next to the rows. */
function checkLayout(layout: ComparisonLayout): void {
  const { fieldCount, stride, weights, tolerances, categorical } = layout;
  if (!Number.isSafeInteger(fieldCount) || fieldCount < 1) {
    throw new ComparisonInputError(`layout.fieldCount must be an integer >= 1, got ${String(fieldCount)}`);
  }
  if (!Number.isSafeInteger(stride) || stride < fieldCount || stride % 4 !== 0) {
    throw new ComparisonInputError(
      `layout.stride must be a multiple of 4 and >= fieldCount (${fieldCount}), got ${String(stride)}`,
    );
  }
  if (!(weights instanceof Float64Array) || weights.length !== fieldCount) {
    throw new ComparisonInputError(
      `layout.weights must be a Float64Array of fieldCount (${fieldCount}) values, got ${shape(weights)}`,
    );
  }
  if (!(tolerances instanceof Float64Array) || tolerances.length !== fieldCount) {
    throw new ComparisonInputError(
      `layout.tolerances must be a Float64Array of fieldCount (${fieldCount}) values, got ${shape(tolerances)}`,
    );
  }
  if (!(categorical instanceof Uint8Array) || categorical.length !== fieldCount) {
    throw new ComparisonInputError(
      `layout.categorical must be a Uint8Array of fieldCount (${fieldCount}) values, got ${shape(categorical)}`,
    );
  }
  for (let j = 0; j < fieldCount; j++) {
    const w = weights[j]!;
    if (!Number.isFinite(w) || w < 0)
      throw new ComparisonInputError(`layout.weights[${j}] must be a finite number >= 0, got ${w}`);
    const t = tolerances[j]!;
    if (!Number.isFinite(t) || t < 0)
      throw new ComparisonInputError(`layout.tolerances[${j}] must be a finite number >= 0, got ${t}`);
    const c = categorical[j]!;
    if (c > 1) throw new ComparisonInputError(`layout.categorical[${j}] must be 0 or 1, got ${c}`);
  }
}

function shape(value: unknown): string {
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  return value === null ? 'null' : typeof value;
}

/**
 * The result arrays of a comparison: views of `output` (checked to be large enough) when given,
 * else fresh arrays.
 * @throws ComparisonInputError when `output` is too small or not the right kind of array
 */
export function resultArrays(
  rowCount: number,
  maskWords: number,
  output: ComparisonOutput | undefined,
): { deviation: Float64Array; affected: Uint32Array } {
  if (output === undefined) return { deviation: new Float64Array(rowCount), affected: new Uint32Array(rowCount * maskWords) };
  if (!(output.deviation instanceof Float64Array) || output.deviation.length < rowCount) {
    throw new ComparisonInputError(
      `output.deviation must be a Float64Array of at least ${rowCount} values, got ${shape(output.deviation)}`,
    );
  }
  if (!(output.affected instanceof Uint32Array) || output.affected.length < rowCount * maskWords) {
    throw new ComparisonInputError(
      `output.affected must be a Uint32Array of at least ${rowCount * maskWords} words (${rowCount} rows x ${maskWords}), got ${shape(output.affected)}`,
    );
  }
  return { deviation: output.deviation.subarray(0, rowCount), affected: output.affected.subarray(0, rowCount * maskWords) };
}

/**
 * Compares rows `rowStart .. rowStart + rowCount - 1` of two row-major matrices by the rule in
 * this module's header. Synchronous; the oracle of every backend.
 *
 * @param output optional arrays to write the result into (default `options.output`); the result's `deviation` and
 *   `affected` are then views of their first `rowCount` (and `rowCount * maskWords`) elements,
 *   every one of which is overwritten. Without it, fresh arrays are allocated. Reusing buffers
 *   matters for periodic comparisons of large fleets: a fresh 100k-row result costs more in
 *   first-touch page faults than the comparison itself (measured ~1.3 ms of kernel vs 2-5 ms
 *   with fresh arrays, 100k x 8 fields).
 * @throws ComparisonInputError when the inputs are inconsistent (see {@link checkComparisonInput})
 *   or `output` is too small.
 */
export function compareRowsSync(
  primary: Float64Array,
  mirror: Float64Array,
  layout: ComparisonLayout,
  options: CompareOptions = {},
  output?: ComparisonOutput,
): ComparisonResult {
  const { rowStart, rowCount, missingWeight, maskWords } = checkComparisonInput(primary, mirror, layout, options);
  const { deviation, affected } = resultArrays(rowCount, maskWords, output ?? options.output);
  deviationKernel(
    primary,
    mirror,
    layout.fieldCount,
    layout.stride,
    layout.weights,
    layout.tolerances,
    layout.categorical,
    missingWeight,
    rowStart,
    rowCount,
    maskWords,
    deviation,
    affected,
  );
  return { rowStart, rowCount, deviation, affected, maskWords };
}

/**
 * The loop of {@link compareRowsSync}, on validated inputs. A separate function whose parameters
 * are only typed arrays and numbers: V8 then optimizes it once, with stable feedback, instead of
 * on-stack-replacing a loop inside a function that also reads option objects. It writes every
 * element of `deviation` and `affected` (each mask word once), so reused buffers need no clearing.
 */
function deviationKernel(
  primary: Float64Array,
  mirror: Float64Array,
  n: number,
  stride: number,
  weights: Float64Array,
  tolerances: Float64Array,
  categorical: Uint8Array,
  missingWeight: number,
  rowStart: number,
  rowCount: number,
  maskWords: number,
  deviation: Float64Array,
  affected: Uint32Array,
): void {
  for (let i = 0; i < rowCount; i++) {
    const base = (rowStart + i) * stride;
    let sum = 0;
    // One pass per mask word (32 fields): the word is stored once, with no per-field flush test.
    for (let w = 0; w < maskWords; w++) {
      const jEnd = Math.min(n, (w + 1) << 5);
      let word = 0;
      for (let j = w << 5; j < jEnd; j++) {
        const p = primary[base + j]!;
        const m = mirror[base + j]!;
        // Equal values are the common case and exclude NaN (NaN !== NaN), so that test comes
        // first (rule 3). Number.isNaN is inlined by V8's optimizing compiler.
        if (p === m) continue;
        const pMissing = Number.isNaN(p);
        const mMissing = Number.isNaN(m);
        if (pMissing || mMissing) {
          if (pMissing !== mMissing) {
            sum += missingWeight;
            word |= 1 << (j & 31);
          }
          continue;
        }
        const wj = weights[j]!;
        if (wj === 0) continue;
        if (categorical[j] !== 0) {
          sum += wj;
          word |= 1 << (j & 31);
          continue;
        }
        const d = Math.abs(p - m);
        if (d > tolerances[j]!) {
          sum += wj * d;
          word |= 1 << (j & 31);
        }
      }
      // The Uint32Array store turns bit 31 (a negative int32) into 2^31.
      affected[i * maskWords + w] = word;
    }
    deviation[i] = sum;
  }
}

/** The reference comparator (registry name `js`): {@link compareRowsSync} behind the async contract. */
export function createJsComparator(): Comparator {
  return {
    name: 'js',
    // async: invalid input becomes a rejected promise, like on every other backend, never a sync throw.
    async compare(primary, mirror, layout, options) {
      return compareRowsSync(primary, mirror, layout, options);
    },
    dispose() {
      // Nothing held: no buffers, no workers.
    },
  };
}
