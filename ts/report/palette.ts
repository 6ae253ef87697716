/** Colours of the report page, in one place so charts and legends agree. */
import type { Severity } from '../anomaly/report.js';

/** Series colours (Tableau 10): distinct, readable on white, and kind to common colour blindness. */
export const SERIES_COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
] as const;

/** The folded `others` series. */
export const OTHERS_COLOR = '#9aa0a6';

export const SEVERITY_COLORS: Readonly<Record<Severity, string>> = {
  info: '#4e79a7',
  warning: '#f28e2b',
  critical: '#d62728',
};

/** Bars of the cause chart. */
export const CAUSE_COLOR = '#6f63c9';

/** Colour of series `index` (its `kind` decides for the folded series). */
export function seriesColor(index: number, kind: 'instance' | 'shard' | 'others'): string {
  return kind === 'others' ? OTHERS_COLOR : SERIES_COLORS[index % SERIES_COLORS.length]!;
}

const HEAT_LOW = [0xfe, 0xe8, 0xd8] as const;
const HEAT_HIGH = [0xa5, 0x0f, 0x15] as const;

/** Heatmap colour for `t` in [0, 1] (clamped): pale for small contributions, deep red for the largest. */
export function heatColor(t: number): string {
  const k = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 1;
  const channel = (i: 0 | 1 | 2) => Math.round(HEAT_LOW[i] + (HEAT_HIGH[i] - HEAT_LOW[i]) * k);
  return `#${[channel(0), channel(1), channel(2)].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}
