/** The errors the node roles (ts/node) throw or report on purpose. */
import { WorkflowMirrorError } from '../base-error.js';

/** A node option is not valid. */
export class InvalidNodeOptionError extends WorkflowMirrorError {
  constructor(option: string, problem: string) {
    super('INVALID_NODE_OPTION', `${option} ${problem}`);
  }
}

/**
 * The durable log of a primary node cannot be read from here: the node is not registered, its
 * log lives on another machine, or the file cannot be opened. A mirror needs it to repair a gap.
 */
export class SourceLogUnavailableError extends WorkflowMirrorError {
  readonly source: string;

  constructor(source: string, problem: string, options?: { cause?: unknown }) {
    super('SOURCE_LOG_UNAVAILABLE', `the durable log of primary node ${JSON.stringify(source)} ${problem}`, options);
    this.source = source;
  }
}

/** A delta message could not be placed on the replica of its primary's matrix (a resend was asked for). */
export class DeltaChainBrokenError extends WorkflowMirrorError {
  constructor(source: string, shard: number, problem: string, options?: { cause?: unknown }) {
    super(
      'DELTA_CHAIN_BROKEN',
      `deltas of ${JSON.stringify(source)} on shard ${shard}: ${problem}; a full resend was requested`,
      options,
    );
  }
}
