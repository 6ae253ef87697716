/**
 * The bench chart as inline SVG: one bar of GB/s per measured backend (and one for the baseline,
 * drawn apart), with each roofline as a dashed line across. No script, no external reference, so
 * the page it sits in works offline and from a file.
 */
import { escapeHtml } from './escape-html.js';
import { formatGigabytes } from './format-numbers.js';
import { type BenchmarkReport, measuredBackends } from './report.js';

const HEIGHT = 380;
const TOP = 56;
const BOTTOM = 64;
const LEFT = 64;
const RIGHT = 24;
const SLOT = 96;
const BAR = 56;
const COLOURS = { bar: '#3b6ea8', baseline: '#9a9a9a', roofline: '#c0392b', axis: '#444', grid: '#ddd' };

interface Bar {
  readonly kind: 'backend' | 'baseline';
  readonly name: string;
  readonly label: string;
  readonly gigabytesPerSecond: number;
  readonly detail: string;
}

/** 1, 2 or 5 times a power of ten, so that about five ticks cover `max`. */
function tickStep(max: number): number {
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough);
  return step ?? 10 * power;
}

function barsOf(report: BenchmarkReport): Bar[] {
  const bars: Bar[] = [];
  const b = report.baseline;
  if (b.status === 'measured')
    bars.push({
      kind: 'baseline',
      name: b.name,
      label: 'baseline',
      gigabytesPerSecond: b.gigabytesPerSecond,
      detail: `baseline (${b.name}): ${formatGigabytes(b.gigabytesPerSecond)} GB/s`,
    });
  for (const m of measuredBackends(report))
    bars.push({
      kind: 'backend',
      name: m.backend,
      label: m.backend,
      gigabytesPerSecond: m.gigabytesPerSecond,
      detail: `${m.backend}, ${m.threads} thread(s): ${formatGigabytes(m.gigabytesPerSecond)} GB/s`,
    });
  return bars;
}

const n = (x: number) => x.toFixed(1);

/** The chart, as an `<svg>` element to put inline in an HTML page. */
export function benchmarkChartSvg(report: BenchmarkReport): string {
  const bars = barsOf(report);
  const roofs = report.roofline.filter((r) => r.status === 'measured');
  const width = LEFT + RIGHT + Math.max(4, bars.length) * SLOT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const peak = Math.max(...bars.map((b) => b.gigabytesPerSecond), ...roofs.map((r) => r.gigabytesPerSecond), 0);
  const step = peak > 0 ? tickStep(peak * 1.1) : 1;
  const top = Math.max(step, Math.ceil((peak * 1.1) / step) * step);
  const y = (value: number) => TOP + plotHeight - (value / top) * plotHeight;
  const parts: string[] = [];
  parts.push(
    `<svg class="bench-chart" viewBox="0 0 ${width} ${HEIGHT}" width="${width}" height="${HEIGHT}" role="img" aria-labelledby="bench-chart-title">`,
    `<title id="bench-chart-title">GB/s per comparison backend (bytes of both matrices / median time), with the memory roofline of this run</title>`,
  );
  for (let v = 0; v <= top + step / 2; v += step) {
    const yy = n(y(v));
    parts.push(
      `<line class="grid" x1="${LEFT}" x2="${width - RIGHT}" y1="${yy}" y2="${yy}" stroke="${COLOURS.grid}" stroke-width="1"/>`,
      `<text class="tick" x="${LEFT - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle" font-size="12" fill="${COLOURS.axis}">${+v.toPrecision(6)}</text>`,
    );
  }
  parts.push(
    `<text class="axis-title" x="16" y="${n(TOP + plotHeight / 2)}" transform="rotate(-90 16 ${n(TOP + plotHeight / 2)})" text-anchor="middle" font-size="12" fill="${COLOURS.axis}">GB/s</text>`,
  );
  bars.forEach((bar, i) => {
    const x = LEFT + i * SLOT + (SLOT - BAR) / 2;
    const yTop = y(bar.gigabytesPerSecond);
    const height = TOP + plotHeight - yTop;
    const cls = bar.kind === 'baseline' ? 'baseline-bar' : 'bar';
    const fill = bar.kind === 'baseline' ? COLOURS.baseline : COLOURS.bar;
    const dataAttr = bar.kind === 'baseline' ? `data-case="${escapeHtml(bar.name)}"` : `data-backend="${escapeHtml(bar.name)}"`;
    parts.push(
      `<rect class="${cls}" ${dataAttr} data-gbps="${bar.gigabytesPerSecond}" x="${n(x)}" y="${n(yTop)}" width="${BAR}" height="${n(height)}" fill="${fill}"><title>${escapeHtml(bar.detail)}</title></rect>`,
      `<text class="value" x="${n(x + BAR / 2)}" y="${n(yTop - 6)}" text-anchor="middle" font-size="12" fill="${COLOURS.axis}">${formatGigabytes(bar.gigabytesPerSecond)}</text>`,
      `<text class="label" x="${n(x + BAR / 2)}" y="${TOP + plotHeight + 18}" text-anchor="middle" font-size="12" fill="${COLOURS.axis}">${escapeHtml(bar.label)}</text>`,
    );
  });
  roofs.forEach((r, i) => {
    const yy = n(y(r.gigabytesPerSecond));
    const dash = i === 0 ? '6 4' : '2 3';
    // Labelled in a legend above the plot: the rooflines are often close, and labels on the lines would overlap.
    const legendY = 16 + i * 18;
    const legendX = width - RIGHT - 260;
    parts.push(
      `<line class="roofline" data-threads="${r.threads}" data-gbps="${r.gigabytesPerSecond}" x1="${LEFT}" x2="${width - RIGHT}" y1="${yy}" y2="${yy}" stroke="${COLOURS.roofline}" stroke-width="2" stroke-dasharray="${dash}"/>`,
      `<line class="legend" x1="${legendX}" x2="${legendX + 28}" y1="${legendY}" y2="${legendY}" stroke="${COLOURS.roofline}" stroke-width="2" stroke-dasharray="${dash}"/>`,
      `<text class="roofline-label" x="${legendX + 36}" y="${legendY}" dominant-baseline="middle" font-size="12" fill="${COLOURS.roofline}">roofline, ${r.threads} thread${r.threads === 1 ? '' : 's'}: ${formatGigabytes(r.gigabytesPerSecond)} GB/s</text>`,
    );
  });
  parts.push(
    `<line class="axis" x1="${LEFT}" x2="${width - RIGHT}" y1="${TOP + plotHeight}" y2="${TOP + plotHeight}" stroke="${COLOURS.axis}" stroke-width="1"/>`,
    '</svg>',
  );
  return parts.join('\n');
}
