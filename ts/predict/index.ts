/**
 * Public pieces of `ts/predict`: lead mode (speculating on predicted activity results) and its learned
 * predictor, what-if runs, and the history forecast (when an instance will reach its history limit).
 */
export { HistoryForecastOptionsError, PredictionError, SpeculationError, WhatIfError } from './errors.js';
export { type FleetWhatIfInstance, type FleetWhatIfOptions, type FleetWhatIfResult, fleetWhatIf } from './fleet-what-if.js';
export {
  type HistoryForecast,
  HistoryForecaster,
  type HistoryForecasterOptions,
  type HistoryLimit,
  type HistoryLimitKind,
  type HistoryLimitReport,
} from './history-forecast.js';
export { type InstancePrediction, predictInstance } from './instance-prediction.js';
export {
  LeadMode,
  type LeadModeOptions,
  type LeadModeStats,
  type PendingPrediction,
  type PredictionSource,
  type Speculation,
  type UnexpectedResultReport,
} from './lead-mode.js';
export {
  type FieldBand,
  type LearnedPrediction,
  LearnedPredictor,
  type LearnedPredictorOptions,
  type OutlierField,
  type SpreadOptions,
} from './learned-predictor.js';
export { type HypotheticalEvent, type WhatIfOptions, type WhatIfResult, type WhatIfStep, whatIf } from './what-if.js';
