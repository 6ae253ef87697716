/** Axis helpers of the report's SVG charts: the deviation scale, round ticks, time ticks. */

/**
 * The deviation axis: log10(1 + d). Deviations span from 0 (a non-determinism report has none)
 * to the missing-field weight (1e6), so a linear axis would flatten all but the largest; the +1
 * keeps 0 on the axis where a plain log cannot.
 */
export function symlog(d: number): number {
  return Math.log10(1 + Math.max(0, d));
}

/** Deviation ticks for an axis up to `max` (finite, >= 0): 0, 1, 10, 100, ... (at most 8, thinned by powers). */
export function deviationTicks(max: number): number[] {
  const top = Math.max(1, Math.ceil(Math.log10(Math.max(1, max))));
  const stride = Math.ceil((top + 1) / 7);
  const ticks = [0];
  for (let k = 0; k <= top; k += stride) ticks.push(10 ** k);
  return ticks;
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  30 * DAY,
  91 * DAY,
  365 * DAY,
];

/** Ticks of a time axis over [t0, t1] (ms, t0 < t1), at most `maxTicks`, with their UTC labels. */
export function timeTicks(t0: number, t1: number, maxTicks = 7): { time: number; label: string }[] {
  const span = t1 - t0;
  const step = TIME_STEPS.find((s) => span / s <= maxTicks) ?? Math.ceil(span / maxTicks / DAY) * DAY;
  const ticks: { time: number; label: string }[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) ticks.push({ time: t, label: timeLabel(t, step, span) });
  return ticks;
}

function timeLabel(t: number, step: number, span: number): string {
  const iso = new Date(t).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  if (step >= DAY) return iso.slice(0, 10);
  const clock = step < MINUTE ? iso.slice(11, 19) : iso.slice(11, 16);
  return span >= DAY ? `${iso.slice(5, 10)} ${clock}` : clock;
}
