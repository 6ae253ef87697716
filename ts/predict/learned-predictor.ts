/**
 * Learns what each activity returns, from the results the mirror sees, for activities whose
 * definition has no `predict`. Per activity and per result field (or the whole result when it is
 * not an object): numbers keep the last value, a running mean and spread (Welford's update, exact
 * in one pass and stable for long runs); every other value (string, boolean, null, nested JSON) is
 * a category whose most frequent value is the prediction. Nothing here knows about engines.
 *
 * Results are also learned per input (for inputs whose JSON is short), and an input with enough
 * results of its own is predicted and judged by them: a shipment's carrier that follows from
 * `express` is then predicted right for both kinds of order, instead of the other kind's carrier
 * being called an outlier. Other inputs fall back to the activity's statistics.
 */

import type { Json } from '../history/events.js';
import { InputIndex } from './input-index.js';

/** What a learned prediction says about one result field. */
export type FieldBand =
  | {
      readonly field: string;
      readonly kind: 'number';
      readonly mean: number;
      /** Sample standard deviation (0 with one sample). */
      readonly sd: number;
      readonly last: number;
      readonly samples: number;
    }
  | {
      readonly field: string;
      readonly kind: 'category';
      readonly mode: Json;
      /** Share of the mode among this field's samples, in (0, 1]. */
      readonly share: number;
      readonly samples: number;
    };

/** A predicted result and the spread it was learned with. */
export interface LearnedPrediction {
  readonly value: Json;
  /** Results observed for the activity. */
  readonly samples: number;
  /** Per field of `value` (one entry named {@link ROOT_FIELD} when the result is not an object). */
  readonly fields: readonly FieldBand[];
}

/** How a field outside the learned spread is described. */
export interface OutlierField {
  readonly field: string;
  readonly actual: Json | undefined;
  readonly why: string;
}

/** Options of {@link LearnedPredictor}. */
export interface LearnedPredictorOptions {
  /** Results to observe before predicting anything (default 5): a spread from one or two samples says little. */
  readonly minSamples?: number;
  /** Numbers are predicted as the running mean (default) or the last value seen. */
  readonly numbers?: 'mean' | 'last';
}

/** Options of {@link LearnedPredictor.outliers}. */
export interface SpreadOptions {
  /** A number within `k` standard deviations of the mean is inside the spread. Default 3. */
  readonly k?: number;
  /** A category value seen in at least this share of samples is inside the spread. Default 0.05. */
  readonly minShare?: number;
}

/** The field name used for results that are not objects. */
export const ROOT_FIELD = '(result)';

/** Inputs learned apart per activity, at most: the first ones seen (memory stays bounded). */
const MAX_INPUT_KEYS = 1024;

interface Category {
  readonly value: Json;
  count: number;
}

/** Stats of one field; numbers and categories are kept apart since a field may hold either. */
class FieldStats {
  constructor(readonly name: string) {}

  /** Samples in which the field was present. */
  count = 0;
  numbers = 0;
  mean = 0;
  m2 = 0;
  last = 0;
  /** Categories that are strings, booleans or null, keyed by themselves (see {@link isScalar}). */
  scalars: Map<Scalar, Category> | undefined;
  /** Categories that are arrays or objects keyed by their JSON. */
  composites: Map<string, Category> | undefined;
  mode: Category | undefined;

  add(value: Json): void {
    this.count++;
    if (typeof value === 'number') {
      // Welford: one pass, no catastrophic cancellation of sum-of-squares.
      this.numbers++;
      const delta = value - this.mean;
      this.mean += delta / this.numbers;
      this.m2 += delta * (value - this.mean);
      this.last = value;
      return;
    }
    let entry = this.category(value);
    if (entry === undefined) {
      entry = { value: frozenCopy(value), count: 0 };
      if (isScalar(value)) {
        this.scalars ??= new Map();
        this.scalars.set(value, entry);
      } else {
        this.composites ??= new Map();
        this.composites.set(JSON.stringify(value), entry);
      }
    }
    entry.count++;
    if (this.mode === undefined || entry.count > this.mode.count) this.mode = entry;
  }

  private category(value: Json): Category | undefined {
    return isScalar(value) ? this.scalars?.get(value) : this.composites?.get(JSON.stringify(value));
  }

  get sd(): number {
    return this.numbers > 1 ? Math.sqrt(this.m2 / (this.numbers - 1)) : 0;
  }

  /** Numbers win ties: a numeric field that was null once is still numeric. */
  get numeric(): boolean {
    return this.numbers >= this.count - this.numbers;
  }

  band(): FieldBand {
    const field = this.name;
    if (this.numeric) return { field, kind: 'number', mean: this.mean, sd: this.sd, last: this.last, samples: this.numbers };
    const mode = this.mode!;
    return { field, kind: 'category', mode: mode.value, share: mode.count / this.count, samples: this.count };
  }

  predicted(numbers: 'mean' | 'last'): Json {
    if (this.numeric) return numbers === 'mean' ? this.mean : this.last;
    return this.mode!.value;
  }

  /** Why `value` is outside this field's spread, or undefined when it is inside. */
  outside(value: Json, k: number, minShare: number): string | undefined {
    if (typeof value === 'number') {
      if (!this.numeric) return 'a number where a category was learned';
      const limit = k * this.sd;
      const distance = Math.abs(value - this.mean);
      // A relative epsilon so that the mean's own rounding never flags a value seen every time.
      if (distance <= limit + 1e-12 * Math.max(1, Math.abs(this.mean))) return undefined;
      return `${value} is ${this.sd > 0 ? `${(distance / this.sd).toPrecision(3)} sd` : `${distance}`} from the mean ${this.mean} (spread ${k} x sd ${this.sd})`;
    }
    if (this.numeric && this.numbers > 0) return `a ${value === null ? 'null' : typeof value} where a number was learned`;
    const seen = this.category(value)?.count ?? 0;
    const share = this.count > 0 ? seen / this.count : 0;
    if (share >= minShare) return undefined;
    // A new value is rare only once enough results were seen: after n results without it, its
    // chance is about 1 / (n + 1), which must be below minShare before its novelty says anything.
    if (seen === 0 && this.count + 1 < 1 / minShare) return undefined;
    return seen === 0 ? 'a value never seen before' : `a value seen in ${(share * 100).toPrecision(2)}% of results`;
  }
}

/** Everything learned about one activity (or one activity and input). */
export class ActivityStats {
  samples = 0;
  objectSamples = 0;
  readonly fields = new Map<string, FieldStats>();
  readonly root = new FieldStats(ROOT_FIELD);

  /** True when most results were objects (their fields are then predicted one by one). */
  get objects(): boolean {
    return this.objectSamples * 2 >= this.samples;
  }

  /** The same statistics per input (by its JSON), for inputs short enough; see the module comment. */
  byInput: InputIndex<ActivityStats> | undefined;

  /** The track that leads to these statistics (see LearnedPredictor.track), made on first use. */
  track: LearnedTrack | undefined;

  /** The predicted value as of `valueAt` samples (frozen: it is handed to handlers and reports). */
  value: Json | undefined;
  valueAt = -1;

  /** Whether `field` is one the results have: present in at least half of the object results. */
  has(field: FieldStats): boolean {
    return field.count * 2 >= this.objectSamples;
  }
}

/** Per-activity statistics of observed results; see the module comment. */
export class LearnedPredictor {
  private readonly activities = new Map<string, ActivityStats>();
  private readonly minSamples: number;
  private readonly numbers: 'mean' | 'last';

  constructor(options: LearnedPredictorOptions = {}) {
    const minSamples = options.minSamples ?? 5;
    if (!Number.isSafeInteger(minSamples) || minSamples < 1) {
      throw new TypeError(`options.minSamples must be a positive integer, got ${String(minSamples)}`);
    }
    if (options.numbers !== undefined && options.numbers !== 'mean' && options.numbers !== 'last') {
      throw new TypeError(`options.numbers must be 'mean' or 'last', got ${String(options.numbers)}`);
    }
    this.minSamples = minSamples;
    this.numbers = options.numbers ?? 'mean';
  }

  /** Learns from one result of `activity` (and of its `input`, when given). */
  observe(activity: string, result: Json, input?: Json): void {
    this.observeTrack(this.track(activity, input), result);
  }

  /**
   * The statistics of `activity` and of `input` (created when missing), looked up once: lead mode
   * keeps a track from an activity's schedule to its completion and predicts, judges and learns
   * through it, instead of keying the input three times.
   */
  track(activity: string, input?: Json): LearnedTrack {
    let all = this.activities.get(activity);
    if (all === undefined) {
      all = new ActivityStats();
      this.activities.set(activity, all);
    }
    if (input === undefined) return activityTrack(all);
    all.byInput ??= new InputIndex();
    const own = all.byInput.get(input, newInputStats);
    if (own === undefined) return activityTrack(all);
    // One track object per input, made once: a schedule allocates nothing here.
    own.track ??= { all, own };
    return own.track;
  }

  /** {@link observe} through a track. */
  observeTrack(track: LearnedTrack, result: Json): void {
    learn(track.all, result);
    if (track.own !== undefined) learn(track.own, result);
  }

  /** Whether {@link predictTrack} has a value (enough results were learned), without making it. */
  predictsTrack(track: LearnedTrack): boolean {
    return this.chosen(track).samples >= this.minSamples;
  }

  /** The predicted value through a track (no spread). */
  predictTrack(track: LearnedTrack): Json | undefined {
    return this.valueOf(this.chosen(track));
  }

  /** {@link outliers} through a track. */
  outliersTrack(track: LearnedTrack, actual: Json, options: SpreadOptions = {}): readonly OutlierField[] {
    return outliersOf(this.chosen(track), actual, options);
  }

  /** Results observed for `activity`. */
  samples(activity: string): number {
    return this.activities.get(activity)?.samples ?? 0;
  }

  /**
   * The predicted result of `activity` for `input`, or undefined before `minSamples` results were
   * observed: from the input's own results when it has `minSamples` of them, else the activity's.
   */
  predict(activity: string, input?: Json): LearnedPrediction | undefined {
    const stats = this.statsFor(activity, input);
    if (stats === undefined || stats.samples < this.minSamples) return undefined;
    if (!stats.objects) {
      return { value: stats.root.predicted(this.numbers), samples: stats.samples, fields: [stats.root.band()] };
    }
    const value: { [key: string]: Json } = {};
    const fields: FieldBand[] = [];
    for (const field of stats.fields.values()) {
      if (!stats.has(field)) continue;
      value[field.name] = field.predicted(this.numbers);
      fields.push(field.band());
    }
    return { value, samples: stats.samples, fields };
  }

  /** The predicted value from `stats`, or undefined before `minSamples` results. */
  private valueOf(stats: ActivityStats | undefined): Json | undefined {
    if (stats === undefined || stats.samples < this.minSamples) return undefined;
    // The same until the next result is learned: many schedules of one input share it.
    if (stats.valueAt === stats.samples) return stats.value;
    let value: Json;
    if (!stats.objects) {
      value = stats.root.predicted(this.numbers);
    } else {
      const fields: { [key: string]: Json } = {};
      for (const field of stats.fields.values()) {
        if (stats.has(field)) fields[field.name] = field.predicted(this.numbers);
      }
      value = Object.freeze(fields);
    }
    stats.value = value;
    stats.valueAt = stats.samples;
    return value;
  }

  /** The statistics `input` is judged by: its own with `minSamples` results, else the activity's. */
  private statsFor(activity: string, input: Json | undefined): ActivityStats | undefined {
    const stats = this.activities.get(activity);
    if (stats === undefined) return undefined;
    const own = input === undefined ? undefined : stats.byInput?.get(input);
    return own !== undefined && own.samples >= this.minSamples ? own : stats;
  }

  /** The statistics a track is judged by: the input's own with `minSamples` results, else the activity's. */
  private chosen(track: LearnedTrack): ActivityStats {
    return track.own !== undefined && track.own.samples >= this.minSamples ? track.own : track.all;
  }
  /**
   * The fields of `actual` that lie outside what was learned for `activity` (empty: inside the
   * spread). A result of another shape (object vs not), a field missing or never seen, is outside.
   */
  outliers(activity: string, actual: Json, options: SpreadOptions = {}, input?: Json): OutlierField[] {
    const found = outliersOf(this.statsFor(activity, input), actual, options);
    return found === NO_OUTLIERS ? [] : found;
  }
}

/** The fields of `actual` outside what `stats` learned; see {@link LearnedPredictor.outliers}. */
function outliersOf(stats: ActivityStats | undefined, actual: Json, options: SpreadOptions): OutlierField[] {
  const k = options.k ?? 3;
  const minShare = options.minShare ?? 0.05;
  if (stats === undefined || stats.samples === 0) return [{ field: ROOT_FIELD, actual, why: 'nothing learned yet' }];
  let out: OutlierField[] = NO_OUTLIERS;
  if (!isRecord(actual) || !stats.objects) {
    if (isRecord(actual) !== stats.objects) {
      out = withOutlier(out, {
        field: ROOT_FIELD,
        actual,
        why: stats.objects ? 'not an object as learned' : 'an object, not as learned',
      });
      return out;
    }
    const why = stats.root.outside(actual, k, minShare);
    if (why !== undefined) out = withOutlier(out, { field: ROOT_FIELD, actual, why });
    return out;
  }
  // Plain loops over the maps (no arrays of entries): lead mode asks this on every completion.
  for (const field of stats.fields.values()) {
    if (stats.has(field) && !Object.hasOwn(actual, field.name)) {
      out = withOutlier(out, { field: field.name, actual: undefined, why: 'missing' });
    }
  }
  for (const key in actual) {
    const value = actual[key]!;
    const field = stats.fields.get(key);
    const why = field === undefined ? 'a field never seen before' : field.outside(value, k, minShare);
    if (why !== undefined) out = withOutlier(out, { field: key, actual: value, why });
  }
  return out;
}

/** `out` with `outlier` added; the shared empty list is replaced, never written (no closure per call). */
function withOutlier(out: OutlierField[], outlier: OutlierField): OutlierField[] {
  if (out === NO_OUTLIERS) return [outlier];
  out.push(outlier);
  return out;
}

/** An activity's statistics and its input's, from {@link LearnedPredictor.track}. */
export interface LearnedTrack {
  readonly all: ActivityStats;
  /** Undefined for an input not learned apart (too long, or past the per-activity cap). */
  readonly own: ActivityStats | undefined;
}

/** The track of an activity as a whole (made once). */
function activityTrack(all: ActivityStats): LearnedTrack {
  all.track ??= { all, own: undefined };
  return all.track;
}

/** What outliersOf returns when there is none (shared, so a clean result allocates nothing). */
const NO_OUTLIERS: OutlierField[] = [];

/** Adds one result to `stats`. */
function learn(stats: ActivityStats, result: Json): void {
  stats.samples++;
  if (isRecord(result)) {
    stats.objectSamples++;
    // for-in, not Object.keys: no array per result (results are plain JSON objects from the log).
    for (const key in result) {
      let field = stats.fields.get(key);
      if (field === undefined) {
        field = new FieldStats(key);
        stats.fields.set(key, field);
      }
      field.add(result[key]!);
    }
  } else {
    stats.root.add(result);
  }
}

/** Statistics for an input seen for the first time, or undefined past the per-activity cap. */
function newInputStats(inputsKept: number): ActivityStats | undefined {
  return inputsKept >= MAX_INPUT_KEYS ? undefined : new ActivityStats();
}

function isRecord(value: Json): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Where a category is counted: strings, booleans and null (the common results) by themselves, so
 * counting one allocates nothing; arrays and objects by their JSON, in a map of their own so that
 * no JSON text can be taken for a string result.
 */
type Scalar = string | boolean | null;

function isScalar(value: Json): value is Scalar {
  return typeof value === 'string' || typeof value === 'boolean' || value === null;
}

/** Kept values are handed to handlers on speculative branches: frozen, so none can change what was learned. */
function frozenCopy(value: Json): Json {
  if (typeof value !== 'object' || value === null) return value;
  return deepFreeze(JSON.parse(JSON.stringify(value)) as Json);
}

function deepFreeze(value: Json): Json {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
