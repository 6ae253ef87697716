/**
 * Errors thrown by `ts/state`: a schema that cannot become a column layout, and rows or fields
 * addressed outside a matrix. All extend {@link WorkflowMirrorError}; `code` is stable.
 */
import { WorkflowMirrorError } from '../base-error.js';

/** A state schema cannot be turned into a column layout (empty, too wide, or a malformed field spec). */
export class LayoutError extends WorkflowMirrorError {
  /** The offending field's name, when one field is to blame. */
  readonly field: string | undefined;

  constructor(message: string, field?: string, options?: { cause?: unknown }) {
    super('INVALID_LAYOUT', message, options);
    this.field = field;
  }
}

/** A row number outside `[0, rowCount)` of a matrix or row index. */
export class RowOutOfRangeError extends WorkflowMirrorError {
  readonly row: number;
  readonly rowCount: number;

  constructor(row: number, rowCount: number) {
    super(
      'ROW_OUT_OF_RANGE',
      `row ${String(row)} is out of range: there are ${rowCount} rows (valid rows are integers 0..${rowCount - 1})`,
    );
    this.row = row;
    this.rowCount = rowCount;
  }
}

/** A field (column) number outside `[0, fieldCount)` of a layout. */
export class FieldOutOfRangeError extends WorkflowMirrorError {
  readonly fieldIndex: number;
  readonly fieldCount: number;

  constructor(fieldIndex: number, fieldCount: number) {
    super(
      'FIELD_OUT_OF_RANGE',
      `field ${String(fieldIndex)} is out of range: the layout has ${fieldCount} fields (valid fields are integers 0..${fieldCount - 1})`,
    );
    this.fieldIndex = fieldIndex;
    this.fieldCount = fieldCount;
  }
}

/** A matrix capacity or row count that is not a non-negative integer, or too large to allocate. */
export class MatrixCapacityError extends WorkflowMirrorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_MATRIX_CAPACITY', message, options);
  }
}

/** A seq that is not a non-negative safe integer. */
export class InvalidSeqError extends WorkflowMirrorError {
  constructor(seq: number) {
    super('INVALID_SEQ', `seq must be a non-negative safe integer, got ${String(seq)}`);
  }
}
