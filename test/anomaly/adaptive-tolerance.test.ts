/**
 * Adaptive tolerance (issue 6, point 4): benign jitter on a field is learned during the calibration
 * window and stops being reported, while a real fault in the same field still is; a slow fault
 * does not teach itself away; rises are bounded; every change is logged with its reason.
 */
import { describe, expect, it } from 'vitest';
import {
  AdaptiveTolerance,
  type AdaptiveToleranceOptions,
  type LearningPauseEvent,
  type ToleranceChange,
} from '../../ts/anomaly/adaptive-tolerance.js';
import { callbackSink } from '../../ts/anomaly/callback-sink.js';
import { AnomalyDetector, type DetectorFleet } from '../../ts/anomaly/detector.js';
import { InvalidAdaptiveToleranceOptionsError, InvalidToleranceObservationError } from '../../ts/anomaly/errors.js';
import type { AnomalyReport } from '../../ts/anomaly/report.js';
import { VirtualClock } from '../../ts/clock/virtual-clock.js';
import { createJsComparator } from '../../ts/compare/backends/js.js';
import { layoutFor } from '../../ts/state/layout.js';
import { RowIndex } from '../../ts/state/row-index.js';
import { StateMatrix } from '../../ts/state/state-matrix.js';
import { enumOf, f64 } from '../../ts/workflow/fields.js';

const schema = {
  a: f64({ weight: 1, tolerance: 0.001 }),
  b: f64({ weight: 1, tolerance: 0.001 }),
  mode: enumOf(['idle', 'busy'], { weight: 100 }),
};
const A = 0;
const B = 1;
const MODE = 2;
const ROWS = 200;
const BOUNDS = { min: 0.01, max: 0.1 };

/** Benign jitter in [-0.0099, 0.0099], different per row and per round, deterministic. */
function jitter(row: number, round: number): number {
  return 0.01 * (((row * 37 + round * 101) % 100) / 100) * (row % 2 === 0 ? 1 : -1);
}

/** A fleet of ROWS instances, the real detector on the js reference, and a learner wired to it. */
function fleetFixture(options: Partial<AdaptiveToleranceOptions> = {}) {
  const layout = layoutFor(schema);
  const index = new RowIndex();
  for (let r = 0; r < ROWS; r++) index.rowFor(`wf-${r}`);
  const primary = new StateMatrix(layout, ROWS);
  const mirror = new StateMatrix(layout, ROWS);
  primary.ensureRows(ROWS);
  mirror.ensureRows(ROWS);
  const fleet: DetectorFleet = { name: 'fx', layout, primary, mirror, index };
  const reports: AnomalyReport[] = [];
  const detector = new AnomalyDetector({
    comparator: createJsComparator(),
    threshold: 0.001,
    clock: new VirtualClock(0),
    sink: callbackSink((r) => {
      reports.push(r);
    }),
  });
  const changes: ToleranceChange[] = [];
  const pauses: LearningPauseEvent[] = [];
  const learner = new AdaptiveTolerance(layout, {
    bounds: BOUNDS,
    paused: () => detector.openCount() > 0,
    onChange: (c) => changes.push(c),
    onPauseChange: (e) => pauses.push(e),
    ...options,
  });
  let seq = 0;
  /** One round: both sides apply an event, the detector compares the fleet, the learner observes it. */
  const round = async (offsetOfA: (row: number, seq: number) => number) => {
    seq++;
    for (let r = 0; r < ROWS; r++) {
      primary.writeState(r, { a: 100 + r, b: 50 + r, mode: 'busy' });
      mirror.writeState(r, { a: 100 + r + offsetOfA(r, seq), b: 50 + r, mode: 'busy' });
      primary.setSeq(r, seq);
      mirror.setSeq(r, seq);
    }
    const compared = await detector.compareFleet(fleet);
    const observed = learner.observe(primary, mirror, { start: 0, count: ROWS });
    return { reports: compared.reports, observed };
  };
  return { layout, detector, learner, reports, changes, pauses, round, seq: () => seq };
}

/** Rounds until the calibration window of 1,000 observations per field (5 rounds of 200 rows) is over. */
async function calibrate(f: ReturnType<typeof fleetFixture>): Promise<AnomalyReport[]> {
  const seen: AnomalyReport[] = [];
  for (let i = 0; i < 5; i++) seen.push(...(await f.round(jitter)).reports);
  return seen;
}

describe('AdaptiveTolerance with the anomaly detector', () => {
  it('learns benign jitter on a field during calibration: reported before, silent after; other fields unchanged', async () => {
    const f = fleetFixture();
    const before = await calibrate(f);
    // Before calibration the jitter (up to 0.0099 > tolerance 0.001) is reported, on field a only.
    expect(before.length).toBeGreaterThan(ROWS / 2);
    expect(new Set(before.flatMap((r) => r.fields.map((x) => x.name)))).toEqual(new Set(['a']));

    // The window ended at the 5th round: a rose to cover the jitter, within the bounds and one rise.
    expect(f.learner.calibrated).toBe(true);
    const a = f.learner.field('a');
    expect(a.tolerance).toBeGreaterThanOrEqual(0.0099);
    expect(a.tolerance).toBeLessThanOrEqual(BOUNDS.max);
    expect(a.tolerance).toBeCloseTo(0.02, 12); // 2 x the 99th percentile, capped at 2 x bounds.min
    expect(f.layout.tolerances[A]).toBe(a.tolerance); // in place, where the comparator reads it
    expect(f.changes.map((c) => [c.field, c.phase])).toEqual([['a', 'calibration']]);
    // b (no jitter) and the categorical field keep their schema tolerances.
    expect(f.layout.tolerances[B]).toBe(0.001);
    expect(f.layout.tolerances[MODE]).toBe(0);
    expect(f.learner.field('mode').learns).toBe(false);

    // The same jitter again: nothing reported, and every open anomaly clears (not merely deduplicated).
    const repeats = f.detector.stats.repeats;
    const after = await f.round(jitter);
    expect(after.reports).toEqual([]);
    expect(f.detector.openCount()).toBe(0);
    expect(f.detector.stats.repeats).toBe(repeats);
  });

  it('still reports a real fault on the learned field after calibration', async () => {
    const f = fleetFixture();
    await calibrate(f);
    await f.round(jitter);
    const faulty = await f.round((row, seq) => (row === 7 ? 5 : jitter(row, seq)));
    expect(faulty.reports).toHaveLength(1);
    expect(faulty.reports[0]).toMatchObject({ workflowId: 'wf-7' });
    expect(faulty.reports[0]!.fields).toMatchObject([{ name: 'a', reason: 'numeric' }]);
    expect(faulty.reports[0]!.deviation).toBeCloseTo(5, 9);
    // One faulty row in 200 is below the learned 99th percentile's reach: the tolerance holds.
    expect(f.learner.field('a').tolerance).toBeCloseTo(0.02, 12);
  });

  it('pauses learning while an anomaly is open: a slow ramp does not teach itself away', async () => {
    // From round 7 on the mirror drifts by 0.004 more per round on every row (plus the jitter).
    const ramp = (row: number, seq: number) => jitter(row, seq) + 0.004 * Math.max(0, seq - 6);
    const run = async (options: Partial<AdaptiveToleranceOptions>) => {
      const f = fleetFixture(options);
      await calibrate(f);
      const calibrated = f.learner.field('a').tolerance;
      const reported = new Set<string>();
      let maxTolerance = 0;
      for (let i = 0; i < 35; i++) {
        const { reports } = await f.round(ramp);
        for (const r of reports) if (r.fields.some((x) => x.name === 'a')) reported.add(r.workflowId);
        maxTolerance = Math.max(maxTolerance, f.learner.field('a').tolerance);
      }
      return { f, calibrated, reported, maxTolerance };
    };

    const guarded = await run({});
    // The first anomaly opened a pause; the tolerance stayed at its calibrated value; every row is reported.
    expect(guarded.f.pauses).toHaveLength(1);
    expect(guarded.f.pauses[0]!.paused).toBe(true);
    expect(guarded.f.pauses[0]!.reason).toMatch(/learning paused: an anomaly is open/);
    expect(guarded.f.changes.filter((c) => c.phase === 'tracking')).toEqual([]);
    expect(guarded.maxTolerance).toBe(guarded.calibrated);
    expect(guarded.reported.size).toBe(ROWS);
    expect(guarded.f.detector.openCount('fx')).toBe(ROWS);

    // Without the pause the ramp teaches the tolerance up, step by bounded step, to bounds.max and no
    // further: the fault is then reported late, once it is past bounds.max.
    const unguarded = await run({ paused: () => false });
    expect(unguarded.maxTolerance).toBe(BOUNDS.max);
    expect(unguarded.f.changes.filter((c) => c.phase === 'tracking').length).toBeGreaterThan(1);
    expect(unguarded.reported.size).toBeGreaterThan(0);
  });
});

/** A two-field layout (x numeric, s categorical) and matrices of `rows` rows where |p - m| of x is `drift(row)`. */
function matrices(rows: number, drift: (row: number) => number) {
  const layout = layoutFor({ x: f64({ weight: 1, tolerance: 0.001 }), s: enumOf(['u', 'v']) });
  const primary = new Float64Array(rows * layout.stride);
  const mirror = new Float64Array(rows * layout.stride);
  for (let r = 0; r < rows; r++) {
    primary[r * layout.stride] = 1_000 + r;
    mirror[r * layout.stride] = 1_000 + r + drift(r);
  }
  return { layout, primary, mirror };
}

describe('AdaptiveTolerance bounds and log', () => {
  it('a rise is bounded by maxRiseFactor per update and by bounds.max', () => {
    const { layout, primary, mirror } = matrices(100, () => 1); // drift far above every bound
    const changes: ToleranceChange[] = [];
    const learner = new AdaptiveTolerance(layout, {
      bounds: { min: 1, max: 1 },
      fieldBounds: { x: { min: 0.01, max: 0.05 } },
      window: 100,
      onChange: (c) => changes.push(c),
    });
    for (let i = 0; i < 10; i++) learner.observe(primary, mirror, { start: 0, count: 100 });
    expect(changes.map((c) => c.new)).toEqual([0.02, 0.04, 0.05]);
    for (const c of changes) expect(c.new).toBeLessThanOrEqual(2 * Math.max(c.old, 0.01));
    expect(layout.tolerances[0]).toBe(0.05);

    const steep = matrices(100, () => 1);
    const tripled: number[] = [];
    const factor3 = new AdaptiveTolerance(steep.layout, {
      bounds: { min: 0.01, max: 0.05 },
      window: 100,
      maxRiseFactor: 3,
      onChange: (c) => tripled.push(c.new),
    });
    for (let i = 0; i < 10; i++) factor3.observe(steep.primary, steep.mirror, { start: 0, count: 100 });
    expect(tripled[0]).toBeCloseTo(0.03, 15);
    expect(tripled.slice(1)).toEqual([0.05]);
  });

  it('logs each change with its reason and numbers, and each pause and resume once', () => {
    const { layout, primary, mirror } = matrices(100, (r) => (r % 10) * 0.0015); // 0 .. 0.0135
    const changes: ToleranceChange[] = [];
    const pauses: LearningPauseEvent[] = [];
    let open = false;
    const learner = new AdaptiveTolerance(layout, {
      bounds: { min: 0.01, max: 0.1 },
      window: 100,
      paused: () => open,
      onChange: (c) => changes.push(c),
      onPauseChange: (e) => pauses.push(e),
    });
    // Paused before calibration: the window is trusted and still learns, and no pause is logged.
    open = true;
    const first = learner.observe(primary, mirror, { start: 0, count: 100 });
    expect(first.changes).toEqual(changes);
    expect(pauses).toEqual([]);
    expect(changes).toHaveLength(1);
    const c = changes[0]!;
    expect(c).toMatchObject({ field: 'x', column: 0, old: 0.001, phase: 'calibration' });
    // 99th percentile 0.0135 -> the upper edge of its log bin, x2, capped at 2 x max(0.001, 0.01).
    expect(c.new).toBe(0.02);
    expect(c.reason).toContain("tolerance of 'x' raised from 0.001 to 0.02");
    expect(c.reason).toMatch(
      /the 99th percentile of \|primary - mirror\| over 100 observations \(decayed to a weight of 93, half-life 500\) is 0\.01\d+, x2 = 0\.02\d+/,
    );
    expect(c.reason).toContain('capped at maxRiseFactor 2 x max(current 0.001, bounds.min 0.01) = 0.02');

    // Calibrated and paused: large drift is not learned; the pause is logged once, the resume once.
    const large = matrices(100, () => 0.05);
    for (let i = 0; i < 3; i++) {
      const summary = learner.observe(large.primary, large.mirror, { start: 0, count: 100 });
      expect(summary).toMatchObject({ paused: true, recorded: 0, changes: [] });
    }
    expect(layout.tolerances[0]).toBe(0.02);
    expect(pauses).toEqual([
      { paused: true, reason: expect.stringMatching(/learning paused: an anomaly is open.*1 calibrated field/) },
    ]);
    open = false;
    learner.observe(large.primary, large.mirror, { start: 0, count: 100 });
    expect(pauses).toHaveLength(2);
    expect(pauses[1]).toEqual({ paused: false, reason: expect.stringContaining('after 3 paused observation call(s)') });
    expect(changes.at(-1)).toMatchObject({ old: 0.02, new: 0.04, phase: 'tracking' });
    expect(changes.at(-1)!.reason).toContain('raised from 0.02 to 0.04');
  });

  it('falls back towards the schema tolerance when the drift goes away, bounded, never below it', () => {
    const noisy = matrices(100, () => 0.03);
    const quiet = matrices(100, () => 0);
    const values: number[] = [];
    const learner = new AdaptiveTolerance(noisy.layout, {
      bounds: { min: 0.01, max: 0.05 },
      window: 100,
      halfLife: 50,
      onChange: (c) => values.push(c.new),
    });
    for (let i = 0; i < 5; i++) learner.observe(noisy.primary, noisy.mirror, { start: 0, count: 100 });
    expect(values.at(-1)).toBe(0.05);
    values.length = 0;
    for (let i = 0; i < 20; i++) learner.observe(quiet.primary, quiet.mirror, { start: 0, count: 100 });
    expect(values).toEqual([0.025, 0.0125, 0.00625, 0.003125, 0.0015625, 0.001]);
    expect(noisy.layout.tolerances[0]).toBe(0.001);
  });

  it('samples at most maxRowsPerCall rows, deterministically; skips missing values and unaligned rows', () => {
    const big = matrices(100_000, (r) => (r % 7) * 0.001);
    const run = () => {
      const learner = new AdaptiveTolerance(big.layout, { bounds: { min: 0.001, max: 1 }, maxRowsPerCall: 64, window: 200 });
      const summaries = [0, 1, 2, 3].map(() => learner.observe(big.primary, big.mirror, { start: 0, count: 100_000 }));
      return { summaries, spread: learner.field('x').spread, tolerance: learner.field('x').tolerance };
    };
    const one = run();
    expect(one.summaries.map((s) => [s.rowsSampled, s.recorded])).toEqual(Array(4).fill([64, 64]));
    big.layout.tolerances[0] = 0.001;
    expect(run()).toEqual(one);

    // Row lists work too; NaN on either side is not drift.
    const { layout, primary, mirror } = matrices(10, () => 0.5);
    mirror[3 * layout.stride] = Number.NaN;
    const learner = new AdaptiveTolerance(layout, { bounds: { min: 0.001, max: 1 } });
    expect(learner.observe(primary, mirror, [1, 3, 5]).recorded).toBe(2);

    // StateMatrix sides: rows at different seqs (or never written) are lag, not drift.
    const stateLayout = layoutFor({ x: f64({ tolerance: 0.001 }) });
    const p = new StateMatrix(stateLayout, 4);
    const m = new StateMatrix(stateLayout, 4);
    p.ensureRows(3);
    m.ensureRows(3);
    for (let r = 0; r < 3; r++) {
      p.writeState(r, { x: r });
      m.writeState(r, { x: r + 0.5 });
    }
    p.setSeq(0, 4);
    m.setSeq(0, 4);
    p.setSeq(1, 5);
    m.setSeq(1, 4);
    const matrixLearner = new AdaptiveTolerance(stateLayout, { bounds: { min: 0.001, max: 1 } });
    expect(matrixLearner.observe(p, m, { start: 0, count: 3 }).recorded).toBe(1);
  });
});

describe('AdaptiveTolerance errors', () => {
  const layout = layoutFor({ x: f64({ tolerance: 0.001 }), s: enumOf(['u', 'v']) });
  const bounds = { min: 0.01, max: 0.1 };

  it.each([
    ['bounds', {}],
    ['bounds.min', { bounds: { min: 0, max: 1 } }],
    ['bounds.max', { bounds: { min: 0.5, max: 0.1 } }],
    ['bounds.max', { bounds: { min: 0.5, max: Number.POSITIVE_INFINITY } }],
    ['window', { bounds, window: 0 }],
    ['window', { bounds, window: 1.5 }],
    ['trackEvery', { bounds, trackEvery: -1 }],
    ['quantile', { bounds, quantile: 1 }],
    ['multiplier', { bounds, multiplier: 0 }],
    ['halfLife', { bounds, halfLife: Number.NaN }],
    ['maxRiseFactor', { bounds, maxRiseFactor: 1 }],
    ['maxFallFactor', { bounds, maxFallFactor: 0.5 }],
    ['minRelativeChange', { bounds, minRelativeChange: -0.1 }],
    ['maxRowsPerCall', { bounds, maxRowsPerCall: 0 }],
    ['fieldBounds.nope', { bounds, fieldBounds: { nope: bounds } }],
    ['fieldBounds.s', { bounds, fieldBounds: { s: bounds } }],
    ['fieldBounds.x.min', { bounds, fieldBounds: { x: { min: -1, max: 1 } } }],
    ['fieldNames', { bounds, fieldNames: ['only-one'] }],
    ['paused', { bounds, paused: true }],
  ])('rejects a bad %s', (option, options) => {
    const build = () => new AdaptiveTolerance(layout, options as unknown as AdaptiveToleranceOptions);
    expect(build).toThrow(InvalidAdaptiveToleranceOptionsError);
    try {
      build();
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_ADAPTIVE_TOLERANCE_OPTIONS', option });
    }
  });

  it('rejects rows outside the matrices and matrices of another layout', () => {
    const learner = new AdaptiveTolerance(layout, { bounds });
    const values = new Float64Array(2 * layout.stride);
    expect(() => learner.observe(values, values, { start: 1, count: 2 })).toThrow(InvalidToleranceObservationError);
    expect(() => learner.observe(values, values, [-1])).toThrow(InvalidToleranceObservationError);
    const other = new StateMatrix(layoutFor({ y: f64(), z: f64(), w: f64(), v: f64(), u: f64() }), 1);
    expect(() => learner.observe(other, values, [0])).toThrow(/another layout/);
  });
});
