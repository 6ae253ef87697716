/**
 * Which matrix row belongs to which instance. One RowIndex is SHARED by the primary and the
 * mirror StateMatrix of a definition, so an instance has the same row in both and a comparison
 * can run over the two arrays row by row without a join.
 */
import { RowOutOfRangeError } from './errors.js';

/** A dense, append-only map workflowId -> row number (rows 0, 1, 2, ... in order of first sight). */
export class RowIndex {
  readonly #rows = new Map<string, number>();
  readonly #ids: string[] = [];

  /**
   * The row of `workflowId`, assigning the next row on first sight. The matrices sharing this
   * index must then hold that row: call `matrix.ensureRows(index.size)` on each.
   */
  rowFor(workflowId: string): number {
    let row = this.#rows.get(workflowId);
    if (row === undefined) {
      row = this.#ids.length;
      this.#rows.set(workflowId, row);
      this.#ids.push(workflowId);
    }
    return row;
  }

  /** The row of `workflowId`, or undefined when it has none yet. */
  get(workflowId: string): number | undefined {
    return this.#rows.get(workflowId);
  }

  /**
   * The workflowId of `row`.
   * @throws RowOutOfRangeError when no instance has that row.
   */
  idOf(row: number): string {
    const id = Number.isInteger(row) ? this.#ids[row] : undefined;
    if (id === undefined) throw new RowOutOfRangeError(row, this.#ids.length);
    return id;
  }

  /** Instances (and rows) assigned so far. */
  get size(): number {
    return this.#ids.length;
  }
}
