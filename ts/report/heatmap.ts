/**
 * The field x instance matrix of the report's heatmap: for each instance and each state field, how
 * often the field was among a report's affected fields and how much it contributed in all. Rows
 * are the instances with the largest total contribution; columns the fields that contributed most
 * among those rows, so every column drawn has something in it.
 */
import type { AnomalyReport } from '../anomaly/report.js';
import { positiveInteger } from './check-option.js';

/** One affected (instance, field) pair; pairs never affected are absent. */
export interface HeatmapCell {
  /** Index into {@link FieldHeatmap.instances}. */
  readonly row: number;
  /** Index into {@link FieldHeatmap.fields}. */
  readonly column: number;
  /** Sum of the field's contributions over the instance's reports (may be Infinity). */
  readonly contribution: number;
  /** Reports of the instance in which the field was affected. */
  readonly count: number;
}

/** What the heatmap draws. */
export interface FieldHeatmap {
  /** Column labels: field names, largest total contribution first. */
  readonly fields: readonly string[];
  /** Row labels: workflowIds, largest total contribution first. */
  readonly instances: readonly string[];
  readonly cells: readonly HeatmapCell[];
  /** The largest finite cell contribution (0 when none): where the colour scale ends. */
  readonly maxContribution: number;
  /** Instances with affected fields that did not fit in `maxRows`. */
  readonly omittedInstances: number;
  /** Fields affected in the rows drawn that did not fit in `maxColumns`. */
  readonly omittedFields: number;
}

/** Options of {@link fieldHeatmap}. */
export interface HeatmapOptions {
  /** Default 20. */
  readonly maxRows?: number;
  /** Default 24. */
  readonly maxColumns?: number;
}

interface Tally {
  contribution: number;
  count: number;
}

/** Builds the heatmap of `reports` (reports without affected fields, e.g. non-determinism, add nothing). */
export function fieldHeatmap(reports: readonly AnomalyReport[], options: HeatmapOptions = {}): FieldHeatmap {
  const maxRows = positiveInteger(options.maxRows ?? 20, 'maxRows');
  const maxColumns = positiveInteger(options.maxColumns ?? 24, 'maxColumns');
  // instance -> field -> tally
  const byInstance = new Map<string, Map<string, Tally>>();
  for (const report of reports) {
    if (report.fields.length === 0) continue;
    let fields = byInstance.get(report.workflowId);
    if (fields === undefined) {
      fields = new Map();
      byInstance.set(report.workflowId, fields);
    }
    for (const field of report.fields) {
      const tally = fields.get(field.name);
      if (tally === undefined) fields.set(field.name, { contribution: field.contribution, count: 1 });
      else {
        tally.contribution += field.contribution;
        tally.count++;
      }
    }
  }

  const rowTotals = [...byInstance].map(([id, fields]) => ({ id, fields, total: sum([...fields.values()]) }));
  rowTotals.sort((a, b) => b.total - a.total || (a.id < b.id ? -1 : 1));
  const rows = rowTotals.slice(0, maxRows);

  const columnTotals = new Map<string, number>();
  for (const row of rows) {
    for (const [name, tally] of row.fields) columnTotals.set(name, (columnTotals.get(name) ?? 0) + tally.contribution);
  }
  const allColumns = [...columnTotals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([name]) => name);
  const fields = allColumns.slice(0, maxColumns);
  const columnOf = new Map(fields.map((name, i) => [name, i]));

  const cells: HeatmapCell[] = [];
  let maxContribution = 0;
  rows.forEach((row, r) => {
    for (const [name, tally] of row.fields) {
      const column = columnOf.get(name);
      if (column === undefined) continue;
      cells.push({ row: r, column, contribution: tally.contribution, count: tally.count });
      if (Number.isFinite(tally.contribution)) maxContribution = Math.max(maxContribution, tally.contribution);
    }
  });
  cells.sort((a, b) => a.row - b.row || a.column - b.column);
  return {
    fields,
    instances: rows.map((r) => r.id),
    cells,
    maxContribution,
    omittedInstances: rowTotals.length - rows.length,
    omittedFields: allColumns.length - fields.length,
  };
}

function sum(tallies: readonly Tally[]): number {
  let total = 0;
  for (const t of tallies) total += t.contribution;
  return total;
}
