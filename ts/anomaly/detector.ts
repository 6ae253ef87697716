/**
 * Turns comparator output into anomaly reports: aligns rows on seq (a row whose two sides are at
 * different seqs is lagging, not deviating), applies the threshold and severity bands, names each
 * affected field with both values and its share, asks for a probable cause, and reports each
 * distinct anomaly once until it clears.
 */
import type { Clock } from '../clock/clock.js';
import { type ComparisonOutput, compareRowsSync, fieldContribution } from '../compare/backends/js.js';
import { type Comparator, type ComparisonResult, DEFAULT_MISSING_WEIGHT, maskWordsFor } from '../compare/comparator.js';
import type { StateLayout } from '../state/layout.js';
import { FREE_ROW_ID, type RowIndex } from '../state/row-index.js';
import type { StateMatrix } from '../state/state-matrix.js';
import { OutputPool } from './output-pool.js';
import type { AffectedField, AnomalyCause, AnomalyReport, FieldReason, Severity } from './report.js';
import { defaultBands, type SeverityBands, severityOf } from './severity.js';
import type { AnomalySink } from './sink.js';

/** Ranges up to this many rows are compared synchronously on the CPU reference. */
export const SMALL_RANGE_ROWS = 32;

/** A deviating row, with what its report needs copied out of the matrices. */
interface Found {
  readonly row: number;
  /** Read when found: by the time the report is built the instance may have been evicted and its row reused. */
  readonly workflowId: string;
  readonly seq: number;
  readonly deviation: number;
  readonly mask: Uint32Array;
  readonly primary: Float64Array;
  readonly mirror: Float64Array;
}

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
  /** Open anomalies by fleet, then row: the signature (affected-field mask) last reported. */
  private readonly open = new Map<string, Map<number, string>>();
  /** Result arrays of fleet rounds, reused (created on the first round). */
  private outputs: OutputPool | undefined;
  private scratchOutput: ComparisonOutput = {
    deviation: new Float64Array(SMALL_RANGE_ROWS),
    affected: new Uint32Array(SMALL_RANGE_ROWS),
  };

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

  /**
   * Anomalies open now (reported and not yet cleared by a clean comparison of their row), in one
   * fleet or in all. Adaptive tolerance pauses its learning while this is above 0.
   */
  openCount(fleetName?: string): number {
    if (fleetName !== undefined) return this.open.get(fleetName)?.size ?? 0;
    let count = 0;
    for (const rows of this.open.values()) count += rows.size;
    return count;
  }

  /**
   * Forgets what is kept of `row` (its open anomaly) because its instance was evicted: a new
   * instance given the row later starts with nothing open.
   */
  forgetRow(fleetName: string, row: number): void {
    this.open.get(fleetName)?.delete(row);
  }

  /** Compares every row of a fleet (a round). */
  async compareFleet(fleet: DetectorFleet): Promise<ComparisonRound> {
    this.stats.rounds++;
    return this.compareRange(fleet, 0, fleet.index.size);
  }

  /**
   * Compares one row (a significant event). Synchronous unless the row deviates (the report then
   * needs an asynchronous diagnosis): significant events come once per few events per instance,
   * so this path allocates nothing and creates no promise when all is well.
   */
  compareRow(fleet: DetectorFleet, row: number): ComparisonRound | Promise<ComparisonRound> {
    return this.compareRange(fleet, row, 1);
  }

  /** Sends a report found elsewhere (non-determinism from the mirror) through the same counting and sinks. */
  async raise(report: AnomalyReport): Promise<void> {
    this.count(report);
    await this.options.sink.write(report);
  }

  private compareRange(fleet: DetectorFleet, rowStart: number, rowCount: number): ComparisonRound | Promise<ComparisonRound> {
    if (rowCount === 0) return { compared: 0, lagging: 0, reports: [] };
    fleet.primary.ensureRows(rowStart + rowCount);
    fleet.mirror.ensureRows(rowStart + rowCount);
    const options = { rowStart, rowCount, missingWeight: this.missingWeight };
    // Small ranges stay on the CPU reference, synchronously, in reused buffers: a device round trip
    // costs more than comparing a few rows (DESIGN.md section 7).
    if (rowCount <= SMALL_RANGE_ROWS) {
      const result = compareRowsSync(fleet.primary.data, fleet.mirror.data, fleet.layout, options, this.scratch(fleet, rowCount));
      return this.evaluate(fleet, result, undefined, undefined);
    }
    // The engines keep applying events while the comparison runs; the seqs that belong to the
    // compared values are the ones read now, in the same synchronous turn as the values.
    const primarySeqs = new Float64Array(rowCount);
    const mirrorSeqs = new Float64Array(rowCount);
    for (let i = 0; i < rowCount; i++) {
      primarySeqs[i] = fleet.primary.seqOf(rowStart + i);
      mirrorSeqs[i] = fleet.mirror.seqOf(rowStart + i);
    }
    this.outputs ??= new OutputPool(this.options.comparator.storage);
    const pool = this.outputs;
    const output = pool.take(rowCount, rowCount * maskWordsFor(fleet.layout.fieldCount));
    return this.options.comparator.compare(fleet.primary.data, fleet.mirror.data, fleet.layout, { ...options, output }).then(
      (result) => {
        // evaluate reads the result synchronously (reports keep copies), so the arrays go back now.
        try {
          return this.evaluate(fleet, result, primarySeqs, mirrorSeqs);
        } finally {
          pool.give(output);
        }
      },
      (error: unknown) => {
        pool.give(output);
        throw error;
      },
    );
  }

  /**
   * Applies alignment, threshold and de-duplication to a comparison result. `primarySeqs` and
   * `mirrorSeqs` are the seqs read when the comparison started (undefined: it ran in this turn).
   * A row whose seqs moved on since is skipped as lagging: its values are no longer the compared ones.
   */
  private evaluate(
    fleet: DetectorFleet,
    result: ComparisonResult,
    primarySeqs: Float64Array | undefined,
    mirrorSeqs: Float64Array | undefined,
  ): ComparisonRound | Promise<ComparisonRound> {
    const { rowStart, rowCount, maskWords } = result;
    const open = this.openOf(fleet);
    let compared = 0;
    let lagging = 0;
    let found: Found[] | undefined;
    for (let i = 0; i < rowCount; i++) {
      const row = rowStart + i;
      const seq = fleet.primary.seqOf(row);
      // A side that has not seen the instance yet, or is at another seq, is lag: compare later.
      if (
        !(seq > 0) ||
        seq !== fleet.mirror.seqOf(row) ||
        (primarySeqs !== undefined && (seq !== primarySeqs[i] || seq !== mirrorSeqs![i]))
      ) {
        // A free row (its instance evicted, the row not reused yet) is not lag: nothing is there.
        if (seq !== 0 || fleet.index.idOf(row) !== FREE_ROW_ID) lagging++;
        continue;
      }
      compared++;
      const deviation = result.deviation[i]!;
      if (!(deviation > this.options.threshold)) {
        if (open.size > 0) open.delete(row);
        this.options.onClean?.(fleet, row, seq);
        continue;
      }
      let signature = '';
      for (let w = 0; w < maskWords; w++) signature += `${result.affected[i * maskWords + w]}.`;
      if (open.get(row) === signature) {
        this.stats.repeats++;
        continue;
      }
      open.set(row, signature);
      // Copied now: the buffers are reused and the matrices keep changing while the report is built.
      found ??= [];
      found.push({
        row,
        workflowId: fleet.index.idOf(row),
        seq,
        deviation,
        mask: result.affected.slice(i * maskWords, (i + 1) * maskWords),
        primary: fleet.primary.data.slice(row * fleet.layout.stride, (row + 1) * fleet.layout.stride),
        mirror: fleet.mirror.data.slice(row * fleet.layout.stride, (row + 1) * fleet.layout.stride),
      });
    }
    this.stats.rowComparisons += compared;
    this.stats.lagging += lagging;
    if (found === undefined) return { compared, lagging, reports: [] };
    return this.report(fleet, found).then((reports) => ({ compared, lagging, reports }));
  }

  private async report(fleet: DetectorFleet, found: readonly Found[]): Promise<AnomalyReport[]> {
    const reports: AnomalyReport[] = [];
    for (const f of found) {
      const report = await this.buildReport(fleet, f);
      reports.push(report);
      await this.raise(report);
    }
    return reports;
  }

  private openOf(fleet: DetectorFleet): Map<number, string> {
    let open = this.open.get(fleet.name);
    if (open === undefined) {
      open = new Map();
      this.open.set(fleet.name, open);
    }
    return open;
  }

  private scratch(fleet: DetectorFleet, rowCount: number): ComparisonOutput {
    const words = rowCount * maskWordsFor(fleet.layout.fieldCount);
    if (this.scratchOutput.affected.length < words) {
      this.scratchOutput = { deviation: this.scratchOutput.deviation, affected: new Uint32Array(words) };
    }
    return this.scratchOutput;
  }

  private async buildReport(fleet: DetectorFleet, found: Found): Promise<AnomalyReport> {
    const { layout } = fleet;
    const { row, workflowId, seq, deviation, mask } = found;
    const primaryData = found.primary;
    const mirrorData = found.mirror;
    const fields: AffectedField[] = [];
    let criticalFieldAffected = false;
    let missingField = false;
    for (let j = 0; j < layout.fieldCount; j++) {
      if ((mask[j >>> 5]! & (1 << (j & 31))) === 0) continue;
      const p = primaryData[j]!;
      const m = mirrorData[j]!;
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
