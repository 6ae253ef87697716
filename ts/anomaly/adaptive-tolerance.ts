/**
 * Adaptive tolerance (issue 6, point 4). As Twitter's Diffy learns noise by comparing two equal
 * instances, this learns each numeric field's benign drift |primary - mirror| over aligned rows,
 * first during a calibration window and then continuously, and sets the field's tolerance (the
 * dead-band of DESIGN.md section 6) from it, within configured bounds. The layout's `tolerances`
 * array is updated IN PLACE: the comparator and the detector read that same array, so a change
 * applies from the next comparison on (backends that copied the layout up front, such as a
 * resident GPU fleet, keep their copy).
 *
 * Learning rule: tolerance = multiplier x the q-quantile (default 2 x the 99th percentile) of the
 * recent |p - m| of the field. The quantile comes from an exponentially decayed histogram with 8
 * logarithmic bins per octave (2^-64 .. 2^64, plus bins for exact 0, underflow and overflow):
 * - a quantile ignores a few outliers (a real fault on 0.5% of the rows moves a mean and a
 *   standard deviation, not the 99th percentile), and makes no assumption on the noise's shape;
 * - log bins cover every scale of f64 values with a relative resolution of 9%, and the quantile
 *   returns a bin's upper edge, so it errs towards covering the noise;
 * - decay (a half-life in observations) lets the estimate follow drift; it costs O(1) per
 *   observation: new observations weigh more instead of old ones being multiplied down.
 *
 * Guards against a slow fault teaching itself away:
 * - once a field is calibrated, it learns nothing while `paused()` says an anomaly is open (the
 *   calibration window itself is trusted, as Diffy's two equal instances are: benign noise is what
 *   raises the anomalies the window exists to silence, so pausing there would never calibrate);
 * - one update raises a tolerance by at most `maxRiseFactor` x max(current, bounds.min), and never
 *   above bounds.max;
 * - every change (and every pause and resume) is reported with its reason, numbers included.
 * Tolerances also fall back towards the schema value when the drift goes away, by at most
 * `maxFallFactor` per update (falling only makes the comparison stricter), and never below it.
 */
import type { ComparisonLayout } from '../compare/comparator.js';
import { StateMatrix } from '../state/state-matrix.js';
import { InvalidAdaptiveToleranceOptionsError, InvalidToleranceObservationError } from './errors.js';

/** Absolute limits of a learned tolerance. */
export interface ToleranceBounds {
  /**
   * Smallest tolerance learning sets when it raises a field (> 0), and the base of the first rise:
   * a field whose schema tolerance is 0 could not rise by a factor otherwise. Set it to the size of
   * the noise you expect, e.g. 0.01 for amounts in cents.
   */
  readonly min: number;
  /** Largest tolerance learning ever sets (finite, >= min). A schema tolerance above it is kept. */
  readonly max: number;
}

/** A tolerance change, as reported to {@link AdaptiveToleranceOptions.onChange}. */
export interface ToleranceChange {
  readonly field: string;
  readonly column: number;
  readonly old: number;
  readonly new: number;
  /** 'calibration' for a field's first change after its window, 'tracking' afterwards. */
  readonly phase: 'calibration' | 'tracking';
  /** A sentence with the numbers: the quantile, the multiplier, the bound or limit that applied. */
  readonly reason: string;
}

/** Learning stopped or started again because of `paused()`. */
export interface LearningPauseEvent {
  readonly paused: boolean;
  readonly reason: string;
}

/** Options of {@link AdaptiveTolerance}. */
export interface AdaptiveToleranceOptions {
  /** Bounds of every learning field. Required: a sensible absolute scale depends on the data. */
  readonly bounds: ToleranceBounds;
  /** Per-field bounds by field name, replacing `bounds` for those fields. */
  readonly fieldBounds?: Readonly<Record<string, ToleranceBounds>>;
  /** Field names in column order, for the log. Default: the layout's `names` when it has them, else `field <j>`. */
  readonly fieldNames?: readonly string[];
  /** Observations of a field before its first evaluation (its calibration window). Default 1,000. */
  readonly window?: number;
  /** Observations of a field between later evaluations. Default: `window`. */
  readonly trackEvery?: number;
  /** Which quantile of |p - m| is learned, in (0, 1). Default 0.99. */
  readonly quantile?: number;
  /** Tolerance = multiplier x that quantile; > 0. Default 2. */
  readonly multiplier?: number;
  /** Observations after which an observation weighs half as much. Default 5 x `window`. */
  readonly halfLife?: number;
  /** One update raises a tolerance at most to this x max(current, bounds.min); > 1. Default 2. */
  readonly maxRiseFactor?: number;
  /** One update lowers a tolerance at most to current / this; > 1. Default 2. */
  readonly maxFallFactor?: number;
  /** Changes smaller than this fraction of the current tolerance are not made (no log churn). Default 0.1. */
  readonly minRelativeChange?: number;
  /** Rows read per {@link AdaptiveTolerance.observe} call at most, spread evenly over the selection. Default 1,024. */
  readonly maxRowsPerCall?: number;
  /** Seed of the sampling offset (deterministic). Default 1. */
  readonly seed?: number;
  /** Whether an anomaly is open now; calibrated fields learn nothing while it is. */
  readonly paused?: () => boolean;
  readonly onChange?: (change: ToleranceChange) => void;
  readonly onPauseChange?: (event: LearningPauseEvent) => void;
}

/** The defaults of {@link AdaptiveToleranceOptions}. */
export const ADAPTIVE_TOLERANCE_DEFAULTS = {
  window: 1_000,
  quantile: 0.99,
  multiplier: 2,
  halfLifeWindows: 5,
  maxRiseFactor: 2,
  maxFallFactor: 2,
  minRelativeChange: 0.1,
  maxRowsPerCall: 1_024,
  seed: 1,
} as const;

/** Rows to observe: a range, or a list of row numbers. The caller passes rows it found aligned. */
export type RowSelection = { readonly start: number; readonly count: number } | ArrayLike<number>;

/** What one {@link AdaptiveTolerance.observe} call did. */
export interface ObservationSummary {
  /** `paused()` was true: calibrated fields learned nothing. */
  readonly paused: boolean;
  /** Rows read (after sampling), aligned or not. */
  readonly rowsSampled: number;
  /** |p - m| values recorded, over every learning field. */
  readonly recorded: number;
  readonly changes: readonly ToleranceChange[];
}

/** What is known about one field. */
export interface FieldLearning {
  readonly name: string;
  readonly column: number;
  /** False for categorical and weight-0 fields, which keep their tolerance. */
  readonly learns: boolean;
  readonly schemaTolerance: number;
  readonly tolerance: number;
  readonly bounds: ToleranceBounds;
  /** Its calibration window is over (it has been evaluated at least once). */
  readonly calibrated: boolean;
  /** |p - m| values recorded so far. */
  readonly observations: number;
  /** The learned quantile of |p - m| now (NaN before any observation). */
  readonly spread: number;
}

// Histogram geometry: exact 0, (0, 2^MIN_EXP), 8 bins per octave up to 2^MAX_EXP, and the rest.
const MIN_EXP = -64;
const MAX_EXP = 64;
const BINS_PER_OCTAVE = 8;
const ZERO_BIN = 0;
const UNDERFLOW_BIN = 1;
const FIRST_LOG_BIN = 2;
const OVERFLOW_BIN = FIRST_LOG_BIN + (MAX_EXP - MIN_EXP) * BINS_PER_OCTAVE;
const BIN_COUNT = OVERFLOW_BIN + 1;
/** Observation weights grow instead of old counts decaying; past this they are all scaled down at once. */
const RESCALE_AT = 1e150;

/** An exponentially decayed histogram of |p - m| over log-spaced bins. */
class DriftHistogram {
  readonly #counts = new Float64Array(BIN_COUNT);
  #total = 0;
  /** Weight of the next observation: grows by 2^(1/halfLife) per observation. */
  #weight = 1;
  readonly #growth: number;
  observations = 0;

  constructor(halfLife: number) {
    this.#growth = 2 ** (1 / halfLife);
  }

  add(d: number): void {
    this.#weight *= this.#growth;
    if (this.#weight > RESCALE_AT) this.#rescale();
    this.#counts[binOf(d)]! += this.#weight;
    this.#total += this.#weight;
    this.observations++;
  }

  /** Observations the decayed histogram amounts to (at most about halfLife / ln 2). */
  get effectiveCount(): number {
    return this.#total / this.#weight;
  }

  /** Upper edge of the bin holding the q-quantile; NaN when empty. */
  quantile(q: number): number {
    if (!(this.#total > 0)) return Number.NaN;
    const above = (1 - q) * this.#total;
    let seen = 0;
    for (let b = OVERFLOW_BIN; b > ZERO_BIN; b--) {
      seen += this.#counts[b]!;
      if (seen > above) return upperEdge(b);
    }
    return 0;
  }

  #rescale(): void {
    const scale = 1 / this.#weight;
    for (let b = 0; b < BIN_COUNT; b++) this.#counts[b]! *= scale;
    this.#total *= scale;
    this.#weight = 1;
  }
}

function binOf(d: number): number {
  if (d === 0) return ZERO_BIN;
  const octaves = Math.log2(d) - MIN_EXP;
  if (octaves < 0) return UNDERFLOW_BIN;
  const bin = FIRST_LOG_BIN + Math.floor(octaves * BINS_PER_OCTAVE);
  return Math.min(bin, OVERFLOW_BIN);
}

function upperEdge(bin: number): number {
  if (bin === ZERO_BIN) return 0;
  if (bin === UNDERFLOW_BIN) return 2 ** MIN_EXP;
  if (bin === OVERFLOW_BIN) return Number.POSITIVE_INFINITY;
  return 2 ** (MIN_EXP + (bin - FIRST_LOG_BIN + 1) / BINS_PER_OCTAVE);
}

/** Options with defaults applied and checked. */
interface Settings {
  readonly window: number;
  readonly trackEvery: number;
  readonly quantile: number;
  readonly multiplier: number;
  readonly halfLife: number;
  readonly maxRiseFactor: number;
  readonly maxFallFactor: number;
  readonly minRelativeChange: number;
  readonly maxRowsPerCall: number;
  readonly seed: number;
}

function settingsOf(options: AdaptiveToleranceOptions): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidAdaptiveToleranceOptionsError('options', 'must be an object');
  }
  const d = ADAPTIVE_TOLERANCE_DEFAULTS;
  const window = integerAtLeast('window', options.window ?? d.window, 1);
  const quantile = options.quantile ?? d.quantile;
  if (typeof quantile !== 'number' || !(quantile > 0 && quantile < 1)) {
    throw new InvalidAdaptiveToleranceOptionsError('quantile', `must be a number in (0, 1), got ${String(quantile)}`);
  }
  return {
    window,
    trackEvery: integerAtLeast('trackEvery', options.trackEvery ?? window, 1),
    quantile,
    multiplier: finiteAbove('multiplier', options.multiplier ?? d.multiplier, 0),
    halfLife: finiteAbove('halfLife', options.halfLife ?? d.halfLifeWindows * window, 0),
    maxRiseFactor: finiteAbove('maxRiseFactor', options.maxRiseFactor ?? d.maxRiseFactor, 1),
    maxFallFactor: finiteAbove('maxFallFactor', options.maxFallFactor ?? d.maxFallFactor, 1),
    minRelativeChange: finiteAtLeast('minRelativeChange', options.minRelativeChange ?? d.minRelativeChange, 0),
    maxRowsPerCall: integerAtLeast('maxRowsPerCall', options.maxRowsPerCall ?? d.maxRowsPerCall, 1),
    seed: integerAtLeast('seed', options.seed ?? d.seed, 0),
  };
}

function integerAtLeast(option: string, value: unknown, least: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < least) {
    throw new InvalidAdaptiveToleranceOptionsError(option, `must be an integer >= ${least}, got ${String(value)}`);
  }
  return value;
}

function finiteAbove(option: string, value: unknown, above: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > above)) {
    throw new InvalidAdaptiveToleranceOptionsError(option, `must be a finite number > ${above}, got ${String(value)}`);
  }
  return value;
}

function finiteAtLeast(option: string, value: unknown, least: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < least) {
    throw new InvalidAdaptiveToleranceOptionsError(option, `must be a finite number >= ${least}, got ${String(value)}`);
  }
  return value;
}

function checkBounds(option: string, bounds: unknown): ToleranceBounds {
  if (typeof bounds !== 'object' || bounds === null) {
    throw new InvalidAdaptiveToleranceOptionsError(option, `must be an object { min, max }, got ${String(bounds)}`);
  }
  const { min, max } = bounds as Partial<Record<keyof ToleranceBounds, unknown>>;
  const checkedMin = finiteAbove(`${option}.min`, min, 0);
  if (typeof max !== 'number' || !Number.isFinite(max) || max < checkedMin) {
    throw new InvalidAdaptiveToleranceOptionsError(
      `${option}.max`,
      `must be a finite number >= min (${checkedMin}), got ${String(max)}`,
    );
  }
  return { min: checkedMin, max };
}

function namesFor(layout: ComparisonLayout, given: readonly string[] | undefined): readonly string[] {
  const names = given ?? ('names' in layout && Array.isArray(layout.names) ? (layout.names as unknown[]) : undefined);
  if (names === undefined) return Array.from({ length: layout.fieldCount }, (_, j) => `field ${j}`);
  if (names.length !== layout.fieldCount || !names.every((n): n is string => typeof n === 'string')) {
    throw new InvalidAdaptiveToleranceOptionsError('fieldNames', `must be ${layout.fieldCount} strings, one per field`);
  }
  return names;
}

/** Numbers in log sentences: 4 significant digits, no exponent noise such as 0.020000000000000004. */
function show(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x);
}

/** Learns each numeric field's benign drift and sets its tolerance from it (see the module comment). */
export class AdaptiveTolerance {
  readonly #layout: ComparisonLayout;
  readonly #settings: Settings;
  readonly #names: readonly string[];
  /** The tolerances at construction: the floor learning never goes below. */
  readonly #schema: Float64Array;
  readonly #bounds: readonly ToleranceBounds[];
  /** Columns that learn (numeric, weight > 0). */
  readonly #learning: Int32Array;
  /** Per column; undefined for columns that do not learn. */
  readonly #histograms: (DriftHistogram | undefined)[];
  readonly #sinceEvaluation: Float64Array;
  readonly #calibrated: Uint8Array;
  /** Learning columns whose calibration window is over. */
  #calibratedCount = 0;
  readonly #options: AdaptiveToleranceOptions;
  #random: number;
  #pauseReported = false;
  #pausedCalls = 0;

  /**
   * @param layout the layout whose `tolerances` this updates in place (from `layoutFor`, or any
   *   ComparisonLayout); its current tolerances are taken as the schema values.
   * @throws InvalidAdaptiveToleranceOptionsError when an option is missing or out of range.
   */
  constructor(layout: ComparisonLayout, options: AdaptiveToleranceOptions) {
    this.#settings = settingsOf(options);
    this.#options = options;
    this.#layout = layout;
    this.#names = namesFor(layout, options.fieldNames);
    this.#random = this.#settings.seed >>> 0 || 1;
    for (const key of ['paused', 'onChange', 'onPauseChange'] as const) {
      if (options[key] !== undefined && typeof options[key] !== 'function') {
        throw new InvalidAdaptiveToleranceOptionsError(key, 'must be a function');
      }
    }
    const globalBounds = checkBounds('bounds', options.bounds);
    const fieldBounds = new Map<number, ToleranceBounds>();
    for (const [name, bounds] of Object.entries(options.fieldBounds ?? {})) {
      const column = this.#names.indexOf(name);
      const option = `fieldBounds.${name}`;
      if (column < 0) throw new InvalidAdaptiveToleranceOptionsError(option, 'names no field of the layout');
      if (layout.categorical[column] === 1) {
        throw new InvalidAdaptiveToleranceOptionsError(option, 'names a categorical field, which has no tolerance to learn');
      }
      fieldBounds.set(column, checkBounds(option, bounds));
    }
    const n = layout.fieldCount;
    this.#schema = layout.tolerances.slice(0, n);
    this.#bounds = Array.from({ length: n }, (_, j) => fieldBounds.get(j) ?? globalBounds);
    const learning: number[] = [];
    for (let j = 0; j < n; j++) {
      // A weight-0 field never contributes to the deviation: learning it would be wasted work.
      if (layout.categorical[j] === 0 && layout.weights[j]! > 0) learning.push(j);
    }
    this.#learning = Int32Array.from(learning);
    this.#histograms = Array.from({ length: n }, (_, j) =>
      learning.includes(j) ? new DriftHistogram(this.#settings.halfLife) : undefined,
    );
    this.#sinceEvaluation = new Float64Array(n);
    this.#calibrated = new Uint8Array(n);
  }

  /** Every learning field has finished its calibration window. */
  get calibrated(): boolean {
    return this.#calibratedCount === this.#learning.length;
  }

  /**
   * What is known about a field, by name or column.
   * @throws RangeError when the layout has no such field.
   */
  field(field: string | number): FieldLearning {
    const column = typeof field === 'number' ? field : this.#names.indexOf(field);
    if (!Number.isInteger(column) || column < 0 || column >= this.#layout.fieldCount) {
      throw new RangeError(`adaptive tolerance: no field ${JSON.stringify(field)}`);
    }
    const histogram = this.#histograms[column];
    return {
      name: this.#names[column]!,
      column,
      learns: histogram !== undefined,
      schemaTolerance: this.#schema[column]!,
      tolerance: this.#layout.tolerances[column]!,
      bounds: this.#bounds[column]!,
      calibrated: this.#calibrated[column] === 1,
      observations: histogram?.observations ?? 0,
      spread: histogram?.quantile(this.#settings.quantile) ?? Number.NaN,
    };
  }

  /**
   * Records |p - m| of every learning field on (a sample of) `rows`, skipping values missing
   * (NaN) on either side, then evaluates the fields whose window or tracking interval is full.
   * `rows` should be aligned (same seq on both sides); when both sides are StateMatrix objects,
   * rows whose seqs differ or are 0 are skipped here as well, so a whole fleet may be passed.
   * @throws InvalidToleranceObservationError when a matrix does not fit the layout or a row is out of range.
   */
  observe(primary: Float64Array | StateMatrix, mirror: Float64Array | StateMatrix, rows: RowSelection): ObservationSummary {
    const paused = this.#options.paused?.() === true;
    const columns = this.#columnsLearningNow(paused);
    this.#reportPause(paused);
    if (columns.length === 0) return { paused, rowsSampled: 0, recorded: 0, changes: [] };
    const p = this.#valuesOf(primary, 'primary');
    const m = this.#valuesOf(mirror, 'mirror');
    const seqs = primary instanceof StateMatrix && mirror instanceof StateMatrix ? [primary.seqs, mirror.seqs] : undefined;
    const stride = this.#layout.stride;
    const { count, rowAt } = selectionOf(rows);
    const sampled = Math.min(count, this.#settings.maxRowsPerCall);
    // Evenly spread over the selection from a pseudo-random offset: every row gets its turn over
    // calls, and the same inputs give the same tolerances.
    const step = count / sampled;
    const offset = this.#nextRandom() * step;
    let recorded = 0;
    for (let i = 0; i < sampled; i++) {
      const row = rowAt(Math.min(count - 1, Math.floor(offset + i * step)));
      if (!Number.isSafeInteger(row) || row < 0 || (row + 1) * stride > Math.min(p.length, m.length)) {
        throw new InvalidToleranceObservationError(`row ${String(row)} is not a row of both matrices`);
      }
      if (seqs !== undefined && !(seqs[0]![row]! > 0 && seqs[0]![row] === seqs[1]![row])) continue;
      const base = row * stride;
      for (const j of columns) {
        const d = Math.abs(p[base + j]! - m[base + j]!);
        if (Number.isNaN(d)) continue; // missing on a side (or inf - inf): not drift
        this.#histograms[j]!.add(d);
        this.#sinceEvaluation[j]!++;
        recorded++;
      }
    }
    const changes: ToleranceChange[] = [];
    for (const j of columns) {
      const due = this.#calibrated[j] === 1 ? this.#settings.trackEvery : this.#settings.window;
      if (this.#sinceEvaluation[j]! < due) continue;
      this.#sinceEvaluation[j] = 0;
      const change = this.#evaluate(j);
      if (change !== undefined) {
        changes.push(change);
        this.#options.onChange?.(change);
      }
    }
    return { paused, rowsSampled: sampled, recorded, changes };
  }

  /** Learning columns, less the calibrated ones while paused (calibration windows are trusted). */
  #columnsLearningNow(paused: boolean): Int32Array {
    if (!paused || this.#calibratedCount === 0) return this.#learning;
    return this.#learning.filter((j) => this.#calibrated[j] === 0);
  }

  /** Tells `onPauseChange` once per pause and once per resume; a pause counts only once some field is calibrated. */
  #reportPause(paused: boolean): void {
    const calibrated = this.#calibratedCount;
    const pausing = paused && calibrated > 0;
    if (pausing) this.#pausedCalls++;
    if (pausing === this.#pauseReported) return;
    this.#pauseReported = pausing;
    const stillCalibrating = this.#learning.length - calibrated;
    const reason = pausing
      ? `learning paused: an anomaly is open, so the tolerances of ${calibrated} calibrated field(s) stay as they are until none is` +
        (stillCalibrating > 0 ? ` (${stillCalibrating} field(s) still in their calibration window keep learning)` : '')
      : `learning resumed: no anomaly is open any more, after ${this.#pausedCalls} paused observation call(s)`;
    if (!pausing) this.#pausedCalls = 0;
    this.#options.onPauseChange?.({ paused: pausing, reason });
  }

  /** Moves column j's tolerance towards what its drift asks for, within the bounds and step limits. */
  #evaluate(j: number): ToleranceChange | undefined {
    const s = this.#settings;
    const histogram = this.#histograms[j]!;
    const phase = this.#calibrated[j] === 1 ? 'tracking' : 'calibration';
    if (phase === 'calibration') {
      this.#calibrated[j] = 1;
      this.#calibratedCount++;
    }
    const spread = histogram.quantile(s.quantile);
    const target = s.multiplier * spread;
    const schema = this.#schema[j]!;
    const { min, max } = this.#bounds[j]!;
    const old = this.#layout.tolerances[j]!;
    const evidence =
      `the ${show(s.quantile * 100)}th percentile of |primary - mirror| over ${histogram.observations} observations ` +
      `(decayed to a weight of ${Math.round(histogram.effectiveCount)}, half-life ${show(s.halfLife)}) ` +
      `is ${show(spread)}, x${show(s.multiplier)} = ${show(target)}`;
    let next: number;
    let why: string;
    if (!(target > schema)) {
      next = schema;
      why = `at most the schema tolerance ${show(schema)}`;
    } else if (target > max) {
      next = Math.max(schema, max);
      why = `above bounds.max ${show(max)}`;
    } else if (target < min) {
      next = Math.max(schema, min);
      why = `below bounds.min ${show(min)}`;
    } else {
      next = target;
      why = 'within the bounds';
    }
    if (next > old) {
      const cap = s.maxRiseFactor * Math.max(old, min);
      if (next > cap) {
        next = cap;
        why += `; the rise is capped at maxRiseFactor ${show(s.maxRiseFactor)} x max(current ${show(old)}, bounds.min ${show(min)}) = ${show(cap)}`;
      }
    } else if (next < old) {
      const floor = old / s.maxFallFactor;
      if (next < floor) {
        next = floor;
        why += `; the fall is limited to current / maxFallFactor ${show(s.maxFallFactor)} = ${show(floor)}`;
      }
    }
    const exactBound = next === schema || next === max;
    if (next === old || (!exactBound && Math.abs(next - old) < s.minRelativeChange * old)) return undefined;
    this.#layout.tolerances[j] = next;
    const verb = next > old ? 'raised' : 'lowered';
    return {
      field: this.#names[j]!,
      column: j,
      old,
      new: next,
      phase,
      reason: `${phase}: tolerance of '${this.#names[j]}' ${verb} from ${show(old)} to ${show(next)}: ${evidence}, ${why}`,
    };
  }

  #valuesOf(side: Float64Array | StateMatrix, label: string): Float64Array {
    if (side instanceof Float64Array) return side;
    if (side instanceof StateMatrix) {
      if (side.layout.stride !== this.#layout.stride || side.layout.fieldCount !== this.#layout.fieldCount) {
        throw new InvalidToleranceObservationError(`the ${label} matrix has another layout than the one learned`);
      }
      return side.data;
    }
    throw new InvalidToleranceObservationError(`the ${label} side must be a Float64Array or a StateMatrix`);
  }

  /** xorshift32 in [0, 1): deterministic, seeded, no Math.random. */
  #nextRandom(): number {
    let x = this.#random;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#random = x >>> 0;
    return this.#random / 2 ** 32;
  }
}

/** Row count and row lookup of a selection. */
function selectionOf(rows: RowSelection): { count: number; rowAt: (i: number) => number } {
  if ('start' in rows && 'count' in rows && typeof rows.start === 'number') {
    const { start, count } = rows;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start < 0 || count < 0) {
      throw new InvalidToleranceObservationError(`a row range needs integers start >= 0 and count >= 0, got ${start}, ${count}`);
    }
    return { count, rowAt: (i) => start + i };
  }
  const list = rows as ArrayLike<number>;
  return { count: list.length, rowAt: (i) => list[i]! };
}
