import { describe, expect, it } from 'vitest';
import { LearnedPredictor, ROOT_FIELD } from '../../ts/predict/learned-predictor.js';

describe('LearnedPredictor', () => {
  it('predicts nothing before minSamples results', () => {
    const p = new LearnedPredictor({ minSamples: 3 });
    p.observe('charge', { amount: 10 });
    p.observe('charge', { amount: 12 });
    expect(p.predict('charge')).toBeUndefined();
    p.observe('charge', { amount: 14 });
    const prediction = p.predict('charge')!;
    expect(prediction.value).toEqual({ amount: 12 });
    expect(prediction.fields[0]).toMatchObject({ field: 'amount', kind: 'number', mean: 12, sd: 2, last: 14, samples: 3 });
  });

  it('predicts the most frequent category and the last number on request', () => {
    const p = new LearnedPredictor({ minSamples: 1, numbers: 'last' });
    for (const carrier of ['air', 'ground', 'ground', 'air', 'ground']) p.observe('ship', { carrier, weight: carrier.length });
    expect(p.predict('ship')!.value).toEqual({ carrier: 'ground', weight: 6 });
    expect(p.predict('ship')!.fields[0]).toMatchObject({ kind: 'category', mode: 'ground', share: 0.6 });
  });

  it('judges results against the learned spread', () => {
    const p = new LearnedPredictor({ minSamples: 1 });
    for (let i = 0; i < 100; i++) p.observe('a', { n: 100 + (i % 10), ok: i % 50 !== 0, tag: 'x' });
    expect(p.outliers('a', { n: 104, ok: true, tag: 'x' })).toEqual([]);
    // false was seen in 2% of results: inside at minShare 0.01, outside at the default 0.05.
    expect(p.outliers('a', { n: 104, ok: false, tag: 'x' }, { minShare: 0.01 })).toEqual([]);
    expect(p.outliers('a', { n: 104, ok: false, tag: 'x' }).map((o) => o.field)).toEqual(['ok']);
    expect(p.outliers('a', { n: 500, ok: true, tag: 'y' }).map((o) => o.field)).toEqual(['n', 'tag']);
    expect(p.outliers('a', { n: 104, ok: true }).map((o) => o.why)).toEqual(['missing']);
    expect(p.outliers('a', { n: 104, ok: true, tag: 'x', extra: 1 }).map((o) => o.why)).toEqual(['a field never seen before']);
    expect(p.outliers('a', 'text')[0]!.field).toBe(ROOT_FIELD);
    expect(p.outliers('never', { n: 1 })[0]!.why).toBe('nothing learned yet');
  });

  it('learns results that are not objects, and keeps nested values frozen', () => {
    const p = new LearnedPredictor({ minSamples: 2 });
    p.observe('count', 3);
    p.observe('count', 5);
    expect(p.predict('count')!.value).toBe(4);
    const nested = { list: [1, 2] };
    p.observe('obj', { inner: nested });
    p.observe('obj', { inner: nested });
    nested.list.push(3);
    const value = p.predict('obj')!.value as { inner: { list: number[] } };
    expect(value.inner.list).toEqual([1, 2]);
    expect(Object.isFrozen(value.inner)).toBe(true);
  });

  it('keeps mean and spread exact over many samples (Welford)', () => {
    const p = new LearnedPredictor({ minSamples: 1 });
    for (let i = 0; i < 10_000; i++) p.observe('x', { v: 1e9 + (i % 2) });
    const band = p.predict('x')!.fields[0]!;
    expect(band.kind).toBe('number');
    if (band.kind === 'number') {
      expect(band.mean).toBeCloseTo(1e9 + 0.5, 6);
      expect(band.sd).toBeCloseTo(0.5, 3);
    }
  });

  it('learns per input: a result that follows from the input is predicted and judged by that input', () => {
    const p = new LearnedPredictor();
    for (let i = 0; i < 25; i++) {
      p.observe('ship', { carrier: 'air' }, { express: true });
      p.observe('ship', { carrier: 'ground' }, { express: false });
    }
    expect(p.predict('ship', { express: true })?.value).toEqual({ carrier: 'air' });
    expect(p.predict('ship', { express: false })?.value).toEqual({ carrier: 'ground' });
    expect(p.predict('ship', { express: false })?.samples).toBe(25);
    expect(p.outliers('ship', { carrier: 'ground' }, {}, { express: false })).toEqual([]);
    expect(p.outliers('ship', { carrier: 'ground' }, {}, { express: true })).toEqual([
      { field: 'carrier', actual: 'ground', why: 'a value never seen before' },
    ]);
    // An input never seen, or one with too few results of its own, is judged by the activity as a whole.
    expect(p.predict('ship', { express: null })?.samples).toBe(50);
    expect(p.outliers('ship', { carrier: 'ground' }, {}, { express: null })).toEqual([]);
  });

  it('calls a new category value rare only after enough results (its chance ~ 1 / (n + 1) below minShare)', () => {
    const p = new LearnedPredictor();
    for (let i = 0; i < 18; i++) p.observe('a', 'x');
    expect(p.outliers('a', 'y', { minShare: 0.05 })).toEqual([]);
    p.observe('a', 'x');
    expect(p.outliers('a', 'y', { minShare: 0.05 })).toEqual([
      { field: ROOT_FIELD, actual: 'y', why: 'a value never seen before' },
    ]);
  });

  it('says which option is wrong', () => {
    expect(() => new LearnedPredictor({ minSamples: 0 })).toThrow('options.minSamples must be a positive integer');
  });
});
