/**
 * Building a report from its input in one call: load the reports, read the recovery logs,
 * aggregate, render. What the CLI and the live server call.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type LoadedAnomalies, loadAnomalies, type ReportInputKind } from './load.js';
import { defaultRecoveryLogs, readRecoveryLog } from './recovery.js';
import { type RenderOptions, renderReportHtml } from './render.js';
import { buildReportData, type ReportData, type ReportDataOptions } from './report-data.js';

/** What to build a report from, and how. */
export interface ReportOptions extends ReportDataOptions {
  /** The SQLite anomaly store or JSONL file of reports. */
  readonly input: string;
  /** `auto` (default) detects it from the content. */
  readonly kind?: ReportInputKind | 'auto';
  /** Event logs to read recovery events from; default {@link defaultRecoveryLogs} of the input. */
  readonly logs?: readonly string[];
}

/** A built report: the page and the data it shows. */
export interface BuiltReport {
  readonly html: string;
  readonly data: ReportData;
}

/** The logs a report built with `options` reads. */
export function recoveryLogPaths(options: ReportOptions): string[] {
  return options.logs !== undefined ? [...options.logs] : defaultRecoveryLogs(options.input);
}

/**
 * Loads and aggregates: the page's data, not yet rendered. Nothing is written.
 * @throws the typed errors of ts/report/errors.ts (input missing, of the wrong kind, unreadable; bad options)
 */
export function loadReportData(options: ReportOptions): ReportData {
  const loaded: LoadedAnomalies = loadAnomalies(options.input, options.kind ?? 'auto');
  const logs = recoveryLogPaths(options).map((path) => readRecoveryLog(path));
  return buildReportData(loaded, logs, options);
}

/** Loads, aggregates and renders. Nothing is written. @throws as {@link loadReportData} */
export function buildReport(options: ReportOptions, render: RenderOptions = {}): BuiltReport {
  const data = loadReportData(options);
  return { html: renderReportHtml(data, render), data };
}

/**
 * Builds the report and writes the page to `out` (folders created). Written to a temporary file
 * first and renamed, so a browser or server never reads half a page.
 */
export function writeReport(options: ReportOptions & { readonly out: string }): BuiltReport {
  const built = buildReport(options);
  const out = resolve(options.out);
  mkdirSync(dirname(out), { recursive: true });
  const temporary = `${out}.${process.pid}.tmp`;
  writeFileSync(temporary, built.html);
  renameSync(temporary, out);
  return built;
}
