/**
 * Turns comparator output into anomaly reports: aligns rows on seq (a row whose two sides are at
 * different seqs is lagging, not deviating), applies the threshold and severity bands, names each
 * affected field with both values and its share, asks for a probable cause, and reports each
 * distinct anomaly once until it clears.
 */
import type { Clock } from '../clock/clock.js';
import { fieldContribution } from '../compare/backends/js.js';
import { type Comparator, DEFAULT_MISSING_WEIGHT } from '../compare/comparator.js';
import type { StateLayout } from '../state/layout.js';
import type { RowIndex } from '../state/row-index.js';
import type { StateMatrix } from '../state/state-matrix.js';
import type { AffectedField, AnomalyCause, AnomalyReport, FieldReason, Severity } from './report.js';
import { defaultBands, type SeverityBands, severityOf } from './severity.js';
import type { AnomalySink } from './sink.js';

/** The matrices of one workflow type, as the detector sees them. */
export interface DetectorFleet {
  readonly name: string;
  readonly layout: StateLayout;
  readonly primary: StateMatrix;
  readonly mirror: StateMatrix;
  readonly index: RowIndex;
}

/** A probable cause and a sentence about it. */
export interface Diagnosis {
  readonly cause: AnomalyCause;
  readonly detail: string;
}

/** Field values as reports show them. */
export type FieldValue = number | boolean | string | null;

/** Options of {@link AnomalyDetector}. */
export interface DetectorOptions {
  readonly comparator: Comparator;
  /** A row deviating by more than this is an anomaly. */
  readonly threshold: number;
  readonly bands?: SeverityBands;
  readonly missingWeight?: number;
  readonly clock: Clock;
  readonly sink: AnomalySink;
  /** Names the probable cause of an anomaly on a row. */
  /** Told of each row found clean (aligned, within threshold) at `seq`: what was kept to diagnose it up to there can go. */
  readonly onClean?: (fleet: DetectorFleet, row: number, seq: number) => void;
  readonly diagnose?: (
    fleet: DetectorFleet,
    workflowId: string,
    row: number,
    fields: readonly AffectedField[],
  ) => Diagnosis | Promise<Diagnosis>;
  /** A field's value as people read it (the whole string for `str` fields); default decodes the vector. */
  readonly describe?: (
    fleet: DetectorFleet,
    side: 'primary' | 'mirror',
    workflowId: string,
    field: number,
    encoded: number,
  ) => FieldValue;
}

/** Counters of a detector. */
export interface DetectorStats {
  rounds: number;
  rowComparisons: number;
  /** Rows skipped because the two sides were at different seqs, summed over comparisons. */
  lagging: number;
  anomalies: number;
  /** Same anomaly seen again while still open: not reported twice. */
  repeats: number;
  bySeverity: Record<Severity, number>;
  byCause: Partial<Record<AnomalyCause, number>>;
}

/** What one comparison call found. */
export interface ComparisonRound {
  readonly compared: number;
  readonly lagging: number;
  readonly reports: readonly AnomalyReport[];
}

/** Compares fleets and raises reports. */
export class AnomalyDetector {
  readonly stats: DetectorStats = {
    rounds: 0,
    rowComparisons: 0,
    lagging: 0,
    anomalies: 0,
    repeats: 0,
    bySeverity: { info: 0, warning: 0, critical: 0 },
    byCause: {},
  };
  private readonly bands: SeverityBands;
  private readonly missingWeight: number;
  /** Open anomalies by fleet and row: the signature last reported. */
  private readonly open = new Map<string, string>();

  constructor(private readonly options: DetectorOptions) {
    if (!Number.isFinite(options.threshold) || options.threshold < 0) {
      throw new TypeError(`compare.threshold must be a finite number >= 0, got ${String(options.threshold)}`);
    }
    this.bands = options.bands ?? defaultBands(options.threshold);
    this.missingWeight = options.missingWeight ?? DEFAULT_MISSING_WEIGHT;
  }

  /** The configured threshold. */
  get threshold(): number {
    return this.options.threshold;
  }

  /** Compares every row of a fleet (a round). */
  async compareFleet(fleet: DetectorFleet): Promise<ComparisonRound> {
    this.stats.rounds++;
    return this.compareRange(fleet, 0, fleet.index.size);
  }

  /** Compares one row (a significant event). */
  compareRow(fleet: DetectorFleet, row: number): Promise<ComparisonRound> {
    return this.compareRange(fleet, row, 1);
  }

  /** Sends a report found elsewhere (non-determinism from the mirror) through the same counting and sinks. */
  async raise(report: AnomalyReport): Promise<void> {
    this.count(report);
    await this.options.sink.write(report);
  }

  private async compareRange(fleet: DetectorFleet, rowStart: number, rowCount: number): Promise<ComparisonRound> {
    if (rowCount === 0) return { compared: 0, lagging: 0, reports: [] };
    fleet.primary.ensureRows(rowStart + rowCount);
    fleet.mirror.ensureRows(rowStart + rowCount);
    // The engines keep applying events while the comparison runs; the seqs that belong to the
    // compared values are the ones read now, in the same synchronous turn as the values.
    const primarySeqs = new Float64Array(rowCount);
    const mirrorSeqs = new Float64Array(rowCount);
    for (let i = 0; i < rowCount; i++) {
      primarySeqs[i] = fleet.primary.seqOf(rowStart + i);
      mirrorSeqs[i] = fleet.mirror.seqOf(rowStart + i);
    }
    const result = await this.options.comparator.compare(fleet.primary.data, fleet.mirror.data, fleet.layout, {
      rowStart,
      rowCount,
      missingWeight: this.missingWeight,
    });
    let compared = 0;
    let lagging = 0;
    const reports: AnomalyReport[] = [];
    for (let i = 0; i < rowCount; i++) {
      const row = rowStart + i;
      const seq = primarySeqs[i]!;
      // A side that has not seen the instance yet, or is at another seq, is lag: compare later.
      if (!(seq > 0) || seq !== mirrorSeqs[i]) {
        lagging++;
        continue;
      }
      compared++;
      const key = `${fleet.name}\u0000${row}`;
      const deviation = result.deviation[i]!;
      if (!(deviation > this.options.threshold)) {
        this.open.delete(key);
        this.options.onClean?.(fleet, row, seq);
        continue;
      }
      const maskWords = result.maskWords;
      let signature = '';
      for (let w = 0; w < maskWords; w++) signature += `${result.affected[i * maskWords + w]}.`;
      if (this.open.get(key) === signature) {
        this.stats.repeats++;
        continue;
      }
      this.open.set(key, signature);
      const report = await this.buildReport(
        fleet,
        row,
        seq,
        deviation,
        result.affected.subarray(i * maskWords, (i + 1) * maskWords),
      );
      reports.push(report);
      await this.raise(report);
    }
    this.stats.rowComparisons += compared;
    this.stats.lagging += lagging;
    return { compared, lagging, reports };
  }

  private async buildReport(
    fleet: DetectorFleet,
    row: number,
    seq: number,
    deviation: number,
    mask: Uint32Array,
  ): Promise<AnomalyReport> {
    const { layout } = fleet;
    const workflowId = fleet.index.idOf(row) ?? `row-${row}`;
    const base = row * layout.stride;
    const primaryData = fleet.primary.data;
    const mirrorData = fleet.mirror.data;
    const fields: AffectedField[] = [];
    let criticalFieldAffected = false;
    let missingField = false;
    for (let j = 0; j < layout.fieldCount; j++) {
      if ((mask[j >>> 5]! & (1 << (j & 31))) === 0) continue;
      const p = primaryData[base + j]!;
      const m = mirrorData[base + j]!;
      const categorical = layout.categorical[j] === 1;
      const contribution = fieldContribution(p, m, layout.weights[j]!, layout.tolerances[j]!, categorical, this.missingWeight);
      const reason: FieldReason = Number.isNaN(p) !== Number.isNaN(m) ? 'missing' : categorical ? 'categorical' : 'numeric';
      if (reason === 'missing') missingField = true;
      if (layout.critical[j] === 1) criticalFieldAffected = true;
      fields.push({
        name: layout.names[j]!,
        primary: this.describe(fleet, 'primary', workflowId, j, p),
        mirror: this.describe(fleet, 'mirror', workflowId, j, m),
        contribution,
        share: deviation > 0 && Number.isFinite(deviation) ? contribution / deviation : 1,
        reason,
      });
    }
    fields.sort((a, b) => b.contribution - a.contribution);
    const diagnosis = (await this.options.diagnose?.(fleet, workflowId, row, fields)) ?? {
      cause: 'unknown',
      detail: 'no diagnosis configured',
    };
    return {
      id: `${workflowId}:${seq}:${diagnosis.cause}`,
      workflowId,
      workflowType: fleet.name,
      seq,
      deviation,
      threshold: this.options.threshold,
      severity: severityOf(deviation, this.bands, { criticalFieldAffected, missingField }),
      cause: diagnosis.cause,
      detail: diagnosis.detail,
      fields,
      detectedAt: this.options.clock.now(),
    };
  }

  private describe(
    fleet: DetectorFleet,
    side: 'primary' | 'mirror',
    workflowId: string,
    field: number,
    encoded: number,
  ): FieldValue {
    if (this.options.describe) return this.options.describe(fleet, side, workflowId, field, encoded);
    return fleet.layout.decodeField(field, encoded);
  }

  private count(report: AnomalyReport): void {
    this.stats.anomalies++;
    this.stats.bySeverity[report.severity]++;
    this.stats.byCause[report.cause] = (this.stats.byCause[report.cause] ?? 0) + 1;
  }
}
