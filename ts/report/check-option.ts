/** Checks of the report's numeric options, shared by the aggregations. */
import { InvalidReportOptionError } from './errors.js';

/** `value` when it is a positive safe integer. @throws InvalidReportOptionError naming `name` otherwise */
export function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidReportOptionError(name, `must be a positive integer, got ${String(value)}`);
  }
  return value;
}
