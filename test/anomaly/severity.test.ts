import { describe, expect, it } from 'vitest';
import { SEVERITIES, type Severity } from '../../ts/anomaly/report.js';
import {
  atLeast,
  compareSeverity,
  defaultBands,
  isSeverity,
  resolveBands,
  severitiesAtLeast,
  severityOf,
  validateBands,
} from '../../ts/anomaly/severity.js';

const none = { criticalFieldAffected: false, missingField: false };

describe('severity bands', () => {
  it('defaults to 10x and 100x the threshold', () => {
    expect(defaultBands(5)).toEqual({ warning: 50, critical: 500 });
    expect(defaultBands(0)).toEqual({ warning: 0, critical: 0 });
  });

  it('is info below warning, warning below critical, critical at and above critical', () => {
    const bands = defaultBands(5);
    expect(severityOf(5.1, bands, none)).toBe('info');
    expect(severityOf(49.999, bands, none)).toBe('info');
    expect(severityOf(50, bands, none)).toBe('warning');
    expect(severityOf(499.9, bands, none)).toBe('warning');
    expect(severityOf(500, bands, none)).toBe('critical');
    expect(severityOf(Number.POSITIVE_INFINITY, bands, none)).toBe('critical');
  });

  it('raises to critical when a critical field is affected or a field is missing', () => {
    const bands = defaultBands(5);
    expect(severityOf(6, bands, { criticalFieldAffected: true, missingField: false })).toBe('critical');
    expect(severityOf(6, bands, { criticalFieldAffected: false, missingField: true })).toBe('critical');
    expect(severityOf(60, bands, { criticalFieldAffected: true, missingField: true })).toBe('critical');
  });

  it('treats a NaN deviation as critical rather than letting it fall to info', () => {
    expect(severityOf(Number.NaN, defaultBands(5), none)).toBe('critical');
  });

  it('lets Infinity switch a band off', () => {
    const bands = validateBands({ warning: 10, critical: Number.POSITIVE_INFINITY });
    expect(severityOf(1e300, bands, none)).toBe('warning');
  });

  it('names the wrong option', () => {
    expect(() => validateBands({ warning: 100, critical: 10 })).toThrow(
      new TypeError('compare.severity.critical must be >= compare.severity.warning (got 10 < 100)'),
    );
    expect(() => validateBands({ warning: -1, critical: 10 })).toThrow(/compare\.severity\.warning must be a number >= 0/);
    expect(() => validateBands({ warning: 1, critical: Number.NaN })).toThrow(/compare\.severity\.critical must be a number/);
    expect(() => validateBands({ warning: '1', critical: 2 })).toThrow(/compare\.severity\.warning/);
    expect(() => validateBands(null, 'x.bands')).toThrow(/x\.bands must be an object/);
    expect(() => defaultBands(-1)).toThrow(/compare\.threshold must be a finite number >= 0/);
    expect(() => defaultBands(Number.NaN)).toThrow(TypeError);
  });

  it('merges overrides with the defaults and checks the result', () => {
    expect(resolveBands(5)).toEqual({ warning: 50, critical: 500 });
    expect(resolveBands(5, { warning: 20 })).toEqual({ warning: 20, critical: 500 });
    expect(() => resolveBands(5, { warning: 1000 })).toThrow(/critical must be >= compare\.severity\.warning/);
  });
});

describe('severity order', () => {
  it('orders info < warning < critical', () => {
    const shuffled: Severity[] = ['critical', 'info', 'warning', 'info'];
    expect([...shuffled].sort(compareSeverity)).toEqual(['info', 'info', 'warning', 'critical']);
    expect(compareSeverity('warning', 'warning')).toBe(0);
    expect(compareSeverity('info', 'critical')).toBeLessThan(0);
  });

  it('atLeast and severitiesAtLeast agree with the order', () => {
    for (const a of SEVERITIES) {
      for (const b of SEVERITIES) expect(atLeast(a, b)).toBe(compareSeverity(a, b) >= 0);
    }
    expect(severitiesAtLeast('warning')).toEqual(['warning', 'critical']);
    expect(severitiesAtLeast('info')).toEqual(['info', 'warning', 'critical']);
  });

  it('recognises severities and nothing else', () => {
    expect(SEVERITIES.every(isSeverity)).toBe(true);
    for (const bad of ['fatal', 'toString', 'constructor', '', 1, null, undefined]) expect(isSeverity(bad)).toBe(false);
  });
});
