/**
 * Which matrix row belongs to which instance. One RowIndex is SHARED by the primary and the
 * mirror StateMatrix of a definition, so an instance has the same row in both and a comparison
 * can run over the two arrays row by row without a join.
 *
 * Rows are handed out densely in order of first sight. A row can be given back ({@link release},
 * when both sides have evicted a closed instance): it is then free, names no instance (its id
 * reads as the empty string, which no instance can have) and is the next one handed out, so a
 * long-running pair needs as many rows as instances it holds at once, not as it ever saw.
 */
import { RowOutOfRangeError } from './errors.js';

/** The id a free row reads as: no instance has it (engines refuse an empty workflowId). */
export const FREE_ROW_ID = '';

/** A map workflowId -> row number, dense but for rows given back and not handed out again yet. */
export class RowIndex {
  readonly #rows = new Map<string, number>();
  readonly #ids: string[] = [];
  /** Free rows, the most recently freed last (reused first: its cache lines are the warmest). */
  readonly #free: number[] = [];
  #reassigned = 0;

  /**
   * The row of `workflowId`, assigning a free row, or else the next new one, on first sight. The
   * matrices sharing this index must then hold that row: call `matrix.ensureRows(index.size)` on each.
   * @throws TypeError for the empty id (it marks free rows).
   */
  rowFor(workflowId: string): number {
    const known = this.#rows.get(workflowId);
    if (known !== undefined) return known;
    checkId(workflowId);
    if (this.#free.length === 0) return this.#append(workflowId);
    const row = this.#free.pop()!;
    this.#ids[row] = workflowId;
    this.#rows.set(workflowId, row);
    this.#reassigned++;
    return row;
  }

  /**
   * The row of `workflowId`, or else a new row at the end for it, never a free one: what rebuilding
   * an index row by row from a snapshot or a delta needs (their rows are at fixed places).
   * @throws TypeError for the empty id.
   */
  appendRow(workflowId: string): number {
    const known = this.#rows.get(workflowId);
    if (known !== undefined) return known;
    checkId(workflowId);
    return this.#append(workflowId);
  }

  /** A new row at the end for `workflowId` (not in the index, not empty). */
  #append(workflowId: string): number {
    const row = this.#ids.length;
    this.#ids.push(workflowId);
    this.#rows.set(workflowId, row);
    return row;
  }

  /** The row of `workflowId`, or undefined when it has none. */
  get(workflowId: string): number | undefined {
    return this.#rows.get(workflowId);
  }

  /**
   * The workflowId of `row`, or {@link FREE_ROW_ID} (the empty string) for a free row.
   * @throws RowOutOfRangeError when the row was never handed out.
   */
  idOf(row: number): string {
    const id = Number.isInteger(row) ? this.#ids[row] : undefined;
    if (id === undefined) throw new RowOutOfRangeError(row, this.#ids.length);
    return id;
  }

  /**
   * Gives `workflowId`'s row back: it names no instance any more and is handed out again. The
   * caller clears the row in every matrix sharing this index first. Returns the row, or undefined
   * when the id had none.
   */
  release(workflowId: string): number | undefined {
    const row = this.#rows.get(workflowId);
    if (row === undefined) return undefined;
    this.#rows.delete(workflowId);
    this.#ids[row] = FREE_ROW_ID;
    this.#free.push(row);
    this.#reassigned++;
    return row;
  }

  /** Appends a row that is free from the start (a free row of a snapshot being restored); returns it. */
  addFreeRow(): number {
    const row = this.#ids.length;
    this.#ids.push(FREE_ROW_ID);
    this.#free.push(row);
    return row;
  }

  /** Rows handed out so far, free ones included: the row count the matrices need. */
  get size(): number {
    return this.#ids.length;
  }

  /** Rows that name an instance now. */
  get liveCount(): number {
    return this.#rows.size;
  }

  /**
   * How often a row changed hands since this index was made: given back, or a free row handed out
   * again. A delta names only rows added, so it cannot describe either (DeltaTracker refuses).
   */
  get reassignedCount(): number {
    return this.#reassigned;
  }
}

/** TypeError for the empty id: it marks free rows, so no instance may have it. */
function checkId(workflowId: string): void {
  if (workflowId === FREE_ROW_ID) throw new TypeError('a row index cannot name an instance with the empty id');
}
