/** Public pieces of `ts/compare`: the Comparator contract, the backends and their registry, errors, the reference. */

export {
  BACKEND_NAMES,
  type BackendDefinition,
  type BackendName,
  type BackendSettings,
  type ProbeResult,
} from './backend.js';
export { BACKENDS, backendDefinition, probeBackends } from './backend-registry.js';
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
export {
  AllBackendsFailedError,
  BackendUnavailableError,
  ComparisonInputError,
  UnknownBackendError,
} from './errors.js';
export { type ChainLink, FallbackComparator, type FallbackEvent, type FallbackStats } from './fallback-comparator.js';
export { HEAP_STORAGE, type MatrixStorage } from './matrix-storage.js';
export { type AcceleratorOptions, type BackendChoice, createComparator } from './select-backend.js';
