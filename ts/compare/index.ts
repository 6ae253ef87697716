/** Public pieces of `ts/compare`: the Comparator contract, its errors and the reference backend. */

export {
  type CheckedComparison,
  type ComparisonOutput,
  checkComparisonInput,
  compareRowsSync,
  createJsComparator,
  type FieldDeviationReason,
  fieldContribution,
  fieldReason,
} from './backends/js.js';
export {
  type Comparator,
  type CompareOptions,
  type ComparisonLayout,
  type ComparisonResult,
  DEFAULT_MISSING_WEIGHT,
  maskWordsFor,
} from './comparator.js';
export { ComparisonInputError } from './errors.js';
