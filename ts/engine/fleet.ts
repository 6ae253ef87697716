import type { MatrixStorage } from '../compare/matrix-storage.js';
import type { MatrixDelta } from '../state/delta.js';
import { RowsReleasedError } from '../state/delta-errors.js';
import { DeltaTracker, type DeltaTrackerOptions } from '../state/delta-tracker.js';
import type { FleetSchema } from '../state/matrix-snapshot-layout.js';
import { RowIndex } from '../state/row-index.js';
import { StateMatrix } from '../state/state-matrix.js';
import type { AnyWorkflowDefinition } from '../workflow/define.js';
import { type CompiledDefinition, compileDefinition } from './compiled-definition.js';
import { UnknownWorkflowError } from './errors.js';

const INITIAL_ROWS = 1024;

/**
 * Everything kept per workflow definition: its compiled form, the row index shared by the
 * primary and the mirror (the same instance sits in the same row of both matrices, so a batch
 * comparison needs no gather), and the two state matrices.
 */
export class Fleet {
  readonly index = new RowIndex();
  readonly primary: StateMatrix;
  readonly mirror: StateMatrix;
  #schema: FleetSchema | undefined;

  /** @param storage where both matrices live (default the heap; a wasm backend's memory for in-place comparison). */
  constructor(
    readonly compiled: CompiledDefinition,
    storage?: MatrixStorage,
  ) {
    // Fleets are usually large: start at 1,024 rows rather than grow through ten doublings.
    this.primary = new StateMatrix(compiled.layout, INITIAL_ROWS, storage);
    this.mirror = new StateMatrix(compiled.layout, INITIAL_ROWS, storage);
  }

  /** The definition as snapshots and deltas name it: type, version, fingerprint, state schema, layout. */
  get schema(): FleetSchema {
    const compiled = this.compiled;
    this.#schema ??= {
      workflowType: compiled.name,
      version: compiled.definition.version,
      fingerprint: compiled.fingerprint,
      state: compiled.definition.state,
      layout: compiled.layout,
    };
    return this.#schema;
  }

  /**
   * The instance's row, assigned on first sight. Both matrices get the row at once (missing
   * values, seq 0) so that either side can be read for a row the other side assigned.
   */
  rowFor(workflowId: string): number {
    const row = this.index.rowFor(workflowId);
    if (row >= this.primary.rowCount) this.primary.ensureRows(row + 1);
    if (row >= this.mirror.rowCount) this.mirror.ensureRows(row + 1);
    return row;
  }

  /**
   * One side lets go of `workflowId` (its engine evicted the closed instance): that side's row is
   * cleared. The row itself is freed for another instance once the other side's row is clear
   * too (seq 0: it evicted the instance as well, or never saw it), never before: a mirror that
   * has not caught up still writes there. Returns true when the row was freed.
   */
  release(workflowId: string, side: 'primary' | 'mirror'): boolean {
    const row = this.index.get(workflowId);
    if (row === undefined) return false;
    this[side].clearRow(row);
    const other = side === 'primary' ? this.mirror : this.primary;
    if (other.seqOf(row) !== 0) return false;
    other.clearRow(row); // values written with no seq (none are by the engines) go as well
    this.index.release(workflowId);
    return true;
  }
}

/** The fleets of every definition an engine pair runs, by workflow type name. */
export class FleetRegistry {
  private readonly fleets = new Map<string, Fleet>();

  constructor(definitions: readonly AnyWorkflowDefinition[], storage?: MatrixStorage) {
    for (const definition of definitions) {
      if (this.fleets.has(definition.name)) {
        throw new TypeError(`workflows: two definitions are named "${definition.name}"; run one version per engine pair`);
      }
      this.fleets.set(definition.name, new Fleet(compileDefinition(definition), storage));
    }
  }

  /** The fleet of `workflowType`, or undefined. */
  find(workflowType: string): Fleet | undefined {
    return this.fleets.get(workflowType);
  }

  /** The fleet of `workflowType`; throws UnknownWorkflowError when there is none. */
  get(workflowType: string): Fleet {
    const fleet = this.fleets.get(workflowType);
    if (fleet === undefined) throw new UnknownWorkflowError(workflowType, this.names());
    return fleet;
  }

  names(): string[] {
    return [...this.fleets.keys()];
  }

  all(): Fleet[] {
    return [...this.fleets.values()];
  }
}

/**
 * One side's delta trackers, one per fleet: what `markDeltas` / `takeDeltas` of an engine use.
 * Nothing is tracked per event: a tracker compares each row's seq with the mark (see DeltaTracker).
 */
export class FleetDeltas {
  readonly #trackers = new Map<Fleet, DeltaTracker>();

  constructor(
    private readonly fleets: FleetRegistry,
    private readonly side: 'primary' | 'mirror',
    private readonly options: DeltaTrackerOptions = {},
  ) {}

  /** Sets the mark of every fleet's matrix to now. */
  mark(): void {
    for (const fleet of this.fleets.all()) this.#tracker(fleet).mark();
  }

  /**
   * The delta of each fleet whose matrix changed since the mark (none for an unchanged fleet); the mark moves to now.
   * @throws RowsReleasedError when a fleet's rows changed hands since the mark (evictions); no mark moves.
   */
  take(): MatrixDelta[] {
    // Checked for every fleet before any mark moves: a refusal must leave every mark where it was.
    for (const fleet of this.fleets.all()) {
      const reassigned = this.#tracker(fleet).reassignedSinceMark;
      if (reassigned !== 0) throw new RowsReleasedError(reassigned);
    }
    const deltas: MatrixDelta[] = [];
    for (const fleet of this.fleets.all()) {
      const delta = this.#tracker(fleet).take();
      if (delta.rows.length > 0 || delta.rowCount > delta.rowCountBefore) deltas.push(delta);
    }
    return deltas;
  }

  #tracker(fleet: Fleet): DeltaTracker {
    let tracker = this.#trackers.get(fleet);
    if (tracker === undefined) {
      tracker = new DeltaTracker(fleet[this.side], fleet.index, fleet.schema, this.options);
      this.#trackers.set(fleet, tracker);
    }
    return tracker;
  }
}
