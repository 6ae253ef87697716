/** Text helpers of the report page: HTML escaping and the way numbers and times are written. */

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** `text` safe inside an element or a quoted attribute: workflow ids, details and field values come from users. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A count as people read it: `12,345`. */
export function formatCount(n: number): string {
  return integer.format(n);
}

/** A deviation, contribution or value: up to 4 significant digits, exponent notation past a billion. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '∞' : '-∞';
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (abs >= 1e9 || abs < 1e-4) return n.toExponential(3).replace(/\.?0+e/, 'e');
  return new Intl.NumberFormat('en-US', { maximumSignificantDigits: abs >= 1e4 ? 8 : 5 }).format(n);
}

/** A field value as a report holds it (number, boolean, enum string or hash, or null for missing). */
export function formatValue(value: number | boolean | string | null): string {
  if (value === null) return 'missing';
  if (typeof value === 'number') return formatNumber(value);
  return String(value);
}

/** A share in [0, 1] as a percentage. */
export function formatShare(share: number): string {
  return Number.isFinite(share) ? `${(share * 100).toFixed(share >= 0.995 || share === 0 ? 0 : 1)}%` : '-';
}

/** A clock time (ms) in UTC, to the millisecond only when it has one: `2026-01-01 00:01:00 UTC`. */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:01:00.000Z
  const withoutMs = iso.endsWith('.000Z') ? iso.slice(0, 19) : iso.slice(0, 23);
  return `${withoutMs.replace('T', ' ')} UTC`;
}

/**
 * JSON for a `<script type="application/json">` element: non-finite numbers kept as strings (as
 * the anomaly codec writes them), and `<` written as `\u003c` so no value can close the element.
 */
export function jsonForScript(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  return json
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
