/**
 * A mirror node's copy of the primaries' state matrices, kept current by their delta messages,
 * for the comparison against its own mirror matrices.
 *
 * A delta applies to exactly one state of the matrix it was taken from (its rows are that
 * matrix's rows). The primaries' rows are not the mirror node's: each primary numbers its rows in
 * the order it started instances, the mirror in the order the stream brought them. So each chain
 * (one primary node, one shard, one workflow type) has a replica of its own, with the primary's
 * row numbers, that `applyDelta` checks and writes; after each delta the changed rows are copied
 * by instance id into the comparison fleet's primary matrix, row for row beside the mirror's.
 *
 * A message of another generation than the chain's, or a delta that does not fit (a message lost
 * or out of order), breaks the chain: it is refused whole and a full resend is asked for. A delta
 * the replica already reflects (a redelivered message) is skipped. A full message starts the
 * chain over from empty replicas.
 */
import type { FleetRegistry } from '../engine/fleet.js';
import { SchemaMismatchError } from '../serialization/errors.js';
import type { MatrixDelta } from '../state/delta.js';
import { applyDelta } from '../state/delta-apply.js';
import { DeltaBaseMismatchError } from '../state/delta-errors.js';
import { RowIndex } from '../state/row-index.js';
import { StateMatrix } from '../state/state-matrix.js';
import type { InboundDeltas } from '../stream/transport.js';
import { DeltaChainBrokenError } from './errors.js';

/** Ask again for a resend not answered within this long (the request or the answer may be lost). */
const RESYNC_RETRY_MS = 5_000;

/** Counters of the replicas. */
export interface ReplicaStats {
  messages: number;
  deltasApplied: number;
  /** Deltas the replica already reflected (redelivered messages). */
  duplicates: number;
  fullResets: number;
  /** Messages refused because the chain was broken or of another generation. */
  refused: number;
  resyncRequests: number;
  rowsCopied: number;
}

interface Replica {
  readonly matrix: StateMatrix;
  readonly index: RowIndex;
}

interface Chain {
  generation: string;
  broken: boolean;
  readonly replicas: Map<string, Replica>;
}

/** The primaries' matrices as the mirror node knows them. */
export class PrimaryReplicas {
  readonly stats: ReplicaStats = {
    messages: 0,
    deltasApplied: 0,
    duplicates: 0,
    fullResets: 0,
    refused: 0,
    resyncRequests: 0,
    rowsCopied: 0,
  };
  readonly #chains = new Map<string, Chain>();
  /** When a resend was last asked for, per source and shard. */
  readonly #requested = new Map<string, number>();

  /**
   * @param fleets the mirror node's fleets: changed rows go into their primary matrices.
   * @param requestResync asks the primaries for a full message of a shard.
   * @param onError told of broken chains and deltas of unknown definitions.
   */
  constructor(
    private readonly fleets: FleetRegistry,
    private readonly requestResync: (shard: number) => Promise<void>,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** Applies one delta message (see the file comment for what is refused). */
  async apply(message: InboundDeltas): Promise<void> {
    this.stats.messages++;
    const key = `${message.source}\u0000${message.shard}`;
    let chain = this.#chains.get(key);
    if (message.full) {
      chain = { generation: message.generation, broken: false, replicas: new Map() };
      this.#chains.set(key, chain);
      this.#requested.delete(key);
      this.stats.fullResets++;
    } else if (chain === undefined || chain.broken || chain.generation !== message.generation) {
      this.stats.refused++;
      await this.#resync(key, message.shard);
      return;
    }
    for (const delta of message.deltas) {
      const fleet = this.fleets.find(delta.workflowType);
      if (fleet === undefined) {
        this.onError(new SchemaMismatchError(`a delta of workflow "${delta.workflowType}", which this mirror does not run`));
        continue;
      }
      let replica = chain.replicas.get(delta.workflowType);
      if (replica === undefined) {
        replica = { matrix: new StateMatrix(fleet.compiled.layout, 1024), index: new RowIndex() };
        chain.replicas.set(delta.workflowType, replica);
      }
      try {
        applyDelta(replica.matrix, replica.index, delta, fleet.schema);
      } catch (error) {
        if (error instanceof DeltaBaseMismatchError && reflects(replica.matrix, delta)) {
          this.stats.duplicates++;
          continue;
        }
        if (error instanceof DeltaBaseMismatchError) {
          chain.broken = true;
          this.onError(new DeltaChainBrokenError(message.source, message.shard, error.message, { cause: error }));
          await this.#resync(key, message.shard);
          return;
        }
        this.onError(error);
        continue;
      }
      this.stats.deltasApplied++;
      this.#copyRows(replica, delta, fleet);
    }
  }

  /** Copies the delta's changed rows from the replica into the comparison fleet's primary matrix, by instance id. */
  #copyRows(replica: Replica, delta: MatrixDelta, fleet: NonNullable<ReturnType<FleetRegistry['find']>>): void {
    const stride = replica.matrix.layout.stride;
    for (let i = 0; i < delta.rows.length; i++) {
      const r = delta.rows[i]!;
      const target = fleet.rowFor(replica.index.idOf(r));
      // Read `data` after rowFor: growing the matrix may have moved it.
      fleet.primary.data.set(replica.matrix.data.subarray(r * stride, (r + 1) * stride), target * stride);
      fleet.primary.setSeq(target, replica.matrix.seqOf(r));
    }
    this.stats.rowsCopied += delta.rows.length;
  }

  async #resync(key: string, shard: number): Promise<void> {
    const last = this.#requested.get(key);
    const now = Date.now();
    if (last !== undefined && now - last < RESYNC_RETRY_MS) return;
    this.#requested.set(key, now);
    this.stats.resyncRequests++;
    await this.requestResync(shard);
  }
}

/** True when `matrix` already stands at or past every row of `delta` (it was applied before). */
function reflects(matrix: StateMatrix, delta: MatrixDelta): boolean {
  if (matrix.rowCount < delta.rowCount) return false;
  for (let i = 0; i < delta.rows.length; i++) {
    if (matrix.seqOf(delta.rows[i]!) < delta.toSeqs[i]!) return false;
  }
  return true;
}
