/** Number formats shared by the bench table and the HTML page. */

/** Milliseconds with as many decimals as a human needs at that size. */
export function formatMs(ms: number): string {
  if (ms >= 100) return ms.toLocaleString('en-US', { maximumFractionDigits: 0 });
  return ms.toFixed(ms >= 1 ? 2 : 3);
}

/** A rate with an SI prefix and three significant digits: `45.6 M`. */
export function formatRate(perSecond: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, prefix] of units) if (perSecond >= scale) return `${(perSecond / scale).toPrecision(3)} ${prefix}`;
  return perSecond.toPrecision(3);
}

export function formatGigabytes(gbPerSecond: number): string {
  return gbPerSecond.toFixed(2);
}

export function formatPercent(percent: number | null): string {
  return percent === null ? '-' : percent.toFixed(1);
}

export function formatSpeedup(times: number | null): string {
  return times === null ? '-' : `${times.toFixed(2)}x`;
}

/** `262,144`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
