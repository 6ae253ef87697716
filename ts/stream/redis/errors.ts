/** The errors the Redis Streams transport throws or reports on purpose. */
import { WorkflowMirrorError } from '../../base-error.js';

/** A transport option is not valid (a shard count, a prefix, an interval...). */
export class InvalidTransportOptionError extends WorkflowMirrorError {
  constructor(option: string, problem: string) {
    super('INVALID_TRANSPORT_OPTION', `${option} ${problem}`);
  }
}

/**
 * A stream entry that cannot be decoded: a header field missing or malformed, or a payload that
 * is no valid EventBatch / Delta (the SerializationError is the `cause`). The entry is parked in
 * the dead-letter stream with this error's code and message.
 */
export class CorruptStreamEntryError extends WorkflowMirrorError {
  /** The stream key and entry id. */
  readonly stream: string;
  readonly entryId: string;

  constructor(stream: string, entryId: string, problem: string, options?: { cause?: unknown }) {
    super('CORRUPT_STREAM_ENTRY', `stream entry ${stream} ${entryId}: ${problem}`, options);
    this.stream = stream;
    this.entryId = entryId;
  }
}

/** The deployment in Redis was set up with another shard count than this node's. */
export class ShardCountMismatchError extends WorkflowMirrorError {
  constructor(configured: number, given: number) {
    super(
      'SHARD_COUNT_MISMATCH',
      `the deployment in Redis has ${configured} shards, this node was started with ${given}: every node must use the same count (instances are placed by hash mod shards)`,
    );
  }
}

/** A call on a publisher or consumer that was closed. */
export class TransportClosedError extends WorkflowMirrorError {
  constructor(what: string) {
    super('TRANSPORT_CLOSED', `${what}: the transport is closed`);
  }
}

/** Redis answered a command with something this transport does not understand. */
export class UnexpectedRedisReplyError extends WorkflowMirrorError {
  constructor(command: string, detail: string) {
    super('UNEXPECTED_REDIS_REPLY', `${command}: unexpected reply (${detail})`);
  }
}

/** A consumer group (or its stream) does not exist: Redis lost its data, or nobody created them yet. */
export class NoGroupError extends WorkflowMirrorError {
  constructor(group: string, cause: unknown) {
    super('NO_GROUP', `consumer group ${JSON.stringify(group)} does not exist (Redis lost its data?)`, { cause });
  }
}
