/**
 * Errors of ts/predict. Lead mode's are never thrown at the mirror: they are handed to `onError`
 * and counted. A what-if's are thrown at its caller, with nothing changed.
 */
import { WorkflowMirrorError } from '../base-error.js';

/** A definition's `predict` threw (or returned something that is not JSON) for a scheduled activity. */
export class PredictionError extends WorkflowMirrorError {
  constructor(
    readonly workflowId: string,
    readonly activity: string,
    readonly scheduledSeq: number,
    cause: unknown,
  ) {
    super(
      'PREDICTION_FAILED',
      `predict of activity "${activity}" (workflow "${workflowId}", scheduled at seq ${scheduledSeq}) failed: ${text(cause)}`,
      { cause },
    );
  }
}

/** A handler threw while running on a speculative branch; the speculation was skipped. */
export class SpeculationError extends WorkflowMirrorError {
  constructor(
    readonly workflowId: string,
    readonly activity: string,
    readonly scheduledSeq: number,
    cause: unknown,
  ) {
    super(
      'SPECULATION_FAILED',
      `the completed handler of "${activity}" threw on the speculative branch of "${workflowId}" (scheduled at seq ${scheduledSeq}): ${text(cause)}`,
      { cause },
    );
  }
}

/** A what-if could not run: an unknown instance, a fork point outside its history, an event that settles nothing open. */
export class WhatIfError extends WorkflowMirrorError {
  constructor(
    readonly workflowId: string,
    readonly problem: string,
  ) {
    super('WHAT_IF_REFUSED', `what-if on "${workflowId}": ${problem}`);
  }
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Options of a {@link HistoryForecaster} that make no sense; nothing was created. */
export class HistoryForecastOptionsError extends WorkflowMirrorError {
  constructor(
    readonly option: string,
    problem: string,
  ) {
    super('BAD_HISTORY_FORECAST_OPTIONS', `history forecast: options.${option} ${problem}`);
  }
}
