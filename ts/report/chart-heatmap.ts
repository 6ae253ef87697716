/**
 * The heatmap of affected fields by instance as inline SVG: one `<rect class="mark">` per affected
 * (instance, field) pair, coloured by its total contribution on a log scale, with the count of
 * reports that affected it written in the cell when there is room.
 */
import { escapeHtml, formatCount, formatNumber } from './format.js';
import type { FieldHeatmap } from './heatmap.js';
import { heatColor } from './palette.js';

const MAX_WIDTH = 960;
const CELL_H = 24;
const LABEL_CHAR_PX = 7.2;
const TOP = 96;

const px = (n: number) => Math.round(n * 10) / 10;

/** Shortens a label to `max` characters with an ellipsis (the full text stays in the tooltip). */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The heatmap, or a note when no report has affected fields. */
export function renderHeatmap(map: FieldHeatmap): string {
  if (map.cells.length === 0)
    return '<p class="empty">No report names affected fields (non-determinism and lag reports have none).</p>';
  const longest = Math.min(28, Math.max(...map.instances.map((id) => id.length)));
  const left = Math.ceil(longest * LABEL_CHAR_PX) + 16;
  const cellW = Math.max(28, Math.min(88, Math.floor((MAX_WIDTH - left - 20) / map.fields.length)));
  // At least wide enough for the colour key's text.
  const width = Math.max(left + cellW * map.fields.length + 20, left + 8 * 18 + 330);
  const height = TOP + CELL_H * map.instances.length + 44;
  const scale = Math.log10(1 + map.maxContribution);
  const level = (c: number) => (scale === 0 ? 1 : Math.log10(1 + c) / scale);

  const parts: string[] = [
    `<svg class="chart" data-chart="field-heatmap" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Affected fields by instance">`,
  ];
  map.fields.forEach((field, c) => {
    const cx = px(left + c * cellW + cellW / 2);
    parts.push(
      `<text class="col-label" transform="translate(${cx} ${TOP - 8}) rotate(-40)" text-anchor="start">${escapeHtml(clip(field, 18))}<title>${escapeHtml(field)}</title></text>`,
    );
  });
  map.instances.forEach((id, r) => {
    parts.push(
      `<text class="row-label" x="${left - 8}" y="${px(TOP + r * CELL_H + CELL_H / 2)}" text-anchor="end" dominant-baseline="middle">${escapeHtml(clip(id, 28))}<title>${escapeHtml(id)}</title></text>`,
      `<rect class="row-bg" x="${left}" y="${TOP + r * CELL_H}" width="${cellW * map.fields.length}" height="${CELL_H}"/>`,
    );
  });
  for (const cell of map.cells) {
    const id = map.instances[cell.row]!;
    const field = map.fields[cell.column]!;
    const t = level(cell.contribution);
    const x = left + cell.column * cellW;
    const y = TOP + cell.row * CELL_H;
    const tip = `${id} · ${field}\naffected in ${formatCount(cell.count)} report${cell.count === 1 ? '' : 's'}\ncontribution ${formatNumber(cell.contribution)}`;
    parts.push(
      `<rect class="mark cell" x="${x + 1}" y="${y + 1}" width="${cellW - 2}" height="${CELL_H - 2}" rx="3" fill="${heatColor(t)}" data-instance="${escapeHtml(id)}" data-field="${escapeHtml(field)}" data-contribution="${String(cell.contribution)}" data-count="${cell.count}"><title>${escapeHtml(tip)}</title></rect>`,
    );
    if (cellW >= 28) {
      parts.push(
        `<text class="cell-label${t > 0.55 ? ' dark' : ''}" x="${px(x + cellW / 2)}" y="${px(y + CELL_H / 2)}" text-anchor="middle" dominant-baseline="central">${formatCount(cell.count)}</text>`,
      );
    }
  }
  // Colour key: eight steps from the smallest to the largest contribution (discrete rects: no gradient reference needed).
  const keyY = TOP + CELL_H * map.instances.length + 16;
  parts.push(
    `<g class="key"><text x="${left - 8}" y="${keyY + 9}" text-anchor="end" dominant-baseline="middle">contribution</text>`,
  );
  for (let k = 0; k < 8; k++) {
    parts.push(`<rect x="${left + k * 18}" y="${keyY}" width="18" height="12" fill="${heatColor(k / 7)}"/>`);
  }
  parts.push(
    `<text x="${left + 8 * 18 + 6}" y="${keyY + 9}" dominant-baseline="middle">0 … ${formatNumber(map.maxContribution)} (log); numbers in cells: reports</text></g>`,
  );
  parts.push('</svg>');
  return parts.join('');
}
