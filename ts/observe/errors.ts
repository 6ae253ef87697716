/** Named errors of the observability module (metrics, logs). Each has a stable `code`. */
import { WorkflowMirrorError } from '../base-error.js';

/** An option of {@link createMetrics}, {@link serveMetrics} or {@link createLogger} is missing or out of range. */
export class InvalidObserveOptionsError extends WorkflowMirrorError {
  /** The option's path, e.g. `serveMetrics.port`. */
  readonly option: string;

  constructor(option: string, problem: string) {
    super('INVALID_OBSERVE_OPTIONS', `${option} ${problem}`);
    this.option = option;
  }
}

/** The metrics endpoint could not listen (port taken, no permission, bad host). */
export class MetricsServerError extends WorkflowMirrorError {
  readonly host: string;
  readonly port: number;

  constructor(host: string, port: number, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    super('METRICS_SERVER_FAILED', `metrics endpoint cannot listen on ${host}:${port}: ${why}`, options);
    this.host = host;
    this.port = port;
  }
}

/** {@link WfmirrorMetrics.track} was called while another pair is still tracked. */
export class MetricsAlreadyTrackingError extends WorkflowMirrorError {
  constructor() {
    super(
      'METRICS_ALREADY_TRACKING',
      'these metrics already track a WorkflowMirror; stop() that tracking first (one pair per registry keeps counters monotonic)',
    );
  }
}
