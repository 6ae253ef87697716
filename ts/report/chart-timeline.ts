/**
 * The deviation-over-time chart as inline SVG, drawn here so the page shows its data with no
 * script. Every point is a `<circle class="mark">` carrying its series, time, deviation and count
 * as data attributes (what the end-to-end test reads back from the browser), with a tooltip.
 */

import { escapeHtml, formatCount, formatNumber, formatTime } from './format.js';
import { seriesColor } from './palette.js';
import type { DeviationSeriesSet } from './series.js';
import { deviationTicks, symlog, timeTicks } from './svg-scale.js';

const WIDTH = 960;
const HEIGHT = 320;
const MARGIN = { left: 64, right: 20, top: 16, bottom: 48 };
const MINUTE = 60_000;

/** Rounds a coordinate to 0.1 px: smaller pages, same picture. */
const px = (n: number) => Math.round(n * 10) / 10;

/** The chart, or a short note when there is nothing to draw. */
export function renderDeviationChart(set: DeviationSeriesSet): string {
  if (set.timeRange === null) return '<p class="empty">No anomalies: nothing to draw.</p>';
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  // One detection time (or a few at the same ms) still gets an axis: a minute either side.
  let [t0, t1] = set.timeRange;
  if (t1 - t0 < 1_000) {
    t0 -= MINUTE;
    t1 += MINUTE;
  }
  const pad = (t1 - t0) * 0.04;
  t0 -= pad;
  t1 += pad;
  const yTicks = deviationTicks(Math.max(set.maxFiniteDeviation, ...set.thresholds.filter(Number.isFinite)));
  const yMax = Math.max(symlog(set.maxFiniteDeviation) * 1.08, symlog(yTicks[yTicks.length - 1]!));
  const x = (t: number) => MARGIN.left + ((t - t0) / (t1 - t0)) * plotW;
  const y = (d: number) => MARGIN.top + plotH - (Number.isFinite(d) ? symlog(d) / yMax : 1) * plotH;

  const parts: string[] = [];
  parts.push(
    `<svg class="chart" data-chart="deviation-over-time" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="Deviation over time">`,
  );
  // Grid and axes.
  parts.push('<g class="axis y">');
  for (const tick of yTicks) {
    const ty = px(y(tick));
    parts.push(
      `<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${ty}" y2="${ty}"/>`,
      `<text x="${MARGIN.left - 8}" y="${ty}" text-anchor="end" dominant-baseline="middle">${formatNumber(tick)}</text>`,
    );
  }
  parts.push(
    `<text class="title" transform="translate(16 ${px(MARGIN.top + plotH / 2)}) rotate(-90)" text-anchor="middle">deviation (log scale)</text></g>`,
  );
  parts.push('<g class="axis x">');
  for (const tick of timeTicks(t0, t1)) {
    const tx = px(x(tick.time));
    parts.push(
      `<line class="tick" x1="${tx}" x2="${tx}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 5}"/>`,
      `<text x="${tx}" y="${MARGIN.top + plotH + 20}" text-anchor="middle">${tick.label}</text>`,
    );
  }
  parts.push(
    `<line class="baseline" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}"/>`,
    `<text class="title" x="${px(MARGIN.left + plotW / 2)}" y="${HEIGHT - 6}" text-anchor="middle">detection time (UTC, from ${escapeHtml(formatTime(set.timeRange[0]))})</text></g>`,
  );
  for (const threshold of set.thresholds) {
    if (!Number.isFinite(threshold)) continue;
    const ty = px(y(threshold));
    parts.push(
      `<g class="threshold" data-threshold="${threshold}"><line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${ty}" y2="${ty}"/>`,
      `<text x="${WIDTH - MARGIN.right - 4}" y="${px(ty - 5)}" text-anchor="end">threshold ${formatNumber(threshold)}</text></g>`,
    );
  }
  // Series: a line through the points (when there are two or more), then the points on top.
  set.series.forEach((series, i) => {
    const color = seriesColor(i, series.kind);
    const key = escapeHtml(series.key);
    parts.push(`<g class="series" data-series="${key}" style="--c:${color}">`);
    if (series.points.length > 1) {
      const d = series.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${px(x(p.time))} ${px(y(p.deviation))}`).join(' ');
      parts.push(`<path class="mark line" d="${d}" stroke="${color}"/>`);
    }
    for (const p of series.points) {
      const tip = `${series.label}\n${formatTime(p.time)}\ndeviation ${formatNumber(p.deviation)}${p.count > 1 ? ` (max of ${formatCount(p.count)} reports)` : ''}`;
      parts.push(
        `<circle class="mark point" cx="${px(x(p.time))}" cy="${px(y(p.deviation))}" r="5" fill="${color}" data-series="${key}" data-time="${p.time}" data-deviation="${String(p.deviation)}" data-count="${p.count}"><title>${escapeHtml(tip)}</title></circle>`,
      );
    }
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('');
}
