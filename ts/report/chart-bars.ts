/**
 * Horizontal bar charts of counts (by severity, by cause) as inline SVG. Every category gets a
 * bar, 0 included (its width is 0), so the chart's rows are the same whatever happened; each bar
 * carries its category and value as data attributes.
 */
import { escapeHtml, formatCount } from './format.js';

/** One bar. */
export interface Bar {
  readonly key: string;
  readonly label: string;
  readonly value: number;
  readonly color: string;
}

const WIDTH = 460;
const ROW_H = 26;
const LABEL_W = 200;
const VALUE_W = 56;

const px = (n: number) => Math.round(n * 10) / 10;

/**
 * The chart; `chart` names it (`data-chart`), `attribute` names the data attribute that carries
 * each bar's key (e.g. `data-bar-severity`), and `countAttribute`, when given, the one on each
 * written value (e.g. `data-count-cause`), for a page whose only visible count of a category is here.
 */
export function renderBarChart(chart: string, attribute: string, bars: readonly Bar[], countAttribute?: string): string {
  const height = bars.length * ROW_H + 8;
  const max = Math.max(0, ...bars.map((b) => b.value));
  const plotW = WIDTH - LABEL_W - VALUE_W;
  const parts = [
    `<svg class="chart bars" data-chart="${escapeHtml(chart)}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${escapeHtml(chart)}">`,
  ];
  bars.forEach((bar, i) => {
    const y = 4 + i * ROW_H;
    const w = max === 0 ? 0 : px((bar.value / max) * plotW);
    parts.push(
      `<text class="bar-label" x="${LABEL_W - 8}" y="${y + ROW_H / 2}" text-anchor="end" dominant-baseline="central">${escapeHtml(bar.label)}</text>`,
      `<rect class="bar-bg" x="${LABEL_W}" y="${y + 4}" width="${plotW}" height="${ROW_H - 8}" rx="3"/>`,
      `<rect class="mark bar" x="${LABEL_W}" y="${y + 4}" width="${w}" height="${ROW_H - 8}" rx="3" fill="${bar.color}" ${attribute}="${escapeHtml(bar.key)}" data-value="${bar.value}"><title>${escapeHtml(`${bar.label}: ${formatCount(bar.value)}`)}</title></rect>`,
      `<text class="bar-value" x="${px(LABEL_W + w + 6)}" y="${y + ROW_H / 2}" dominant-baseline="central"${countAttribute === undefined ? '' : ` ${countAttribute}="${escapeHtml(bar.key)}"`}>${formatCount(bar.value)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
