/**
 * The mirror of one shard, as it runs inside a worker thread (shard-worker.ts is only the thread
 * glue around it, so this part is testable on any thread).
 *
 * It is an ordinary MirrorEngine over fleets of its own, whose matrices are private to the worker:
 * its row index numbers only this shard's instances. After each message, the rows of the instances
 * that message touched are copied, whole and inside their seqlock, into the shared mirror matrix at
 * the row the MAIN thread's Fleet assigned (carried in the message with each WorkflowStarted), so
 * the shared matrix lines up with the primary's. Copying once per touched row per message, rather
 * than writing the engine's matrices in shared memory directly, keeps every shared row with one
 * writer and makes the shared memory never move (see shared-state-matrix.ts).
 */
import type { Fleet } from '../../engine/fleet.js';
import { FleetRegistry } from '../../engine/fleet.js';
import { MirrorEngine, type MirrorInstance } from '../../engine/mirror-engine.js';
import type { AnyWorkflowDefinition } from '../../workflow/define.js';
import { MirrorWorkerStartError, SharedMatrixError } from './errors.js';
import type { ShardBatch } from './shard-message.js';
import type { ShardWorkerMessage } from './shard-protocol.js';
import type { ShardStatus } from './shard-status.js';
import type { SharedStateMatrix } from './shared-state-matrix.js';

/** Options of {@link ShardMirror}. */
export interface ShardMirrorOptions {
  readonly shard: number;
  readonly definitions: readonly AnyWorkflowDefinition[];
  /** One shared mirror matrix per definition, by workflow type. */
  readonly matrices: readonly SharedStateMatrix[];
  readonly status: ShardStatus;
  readonly guardDeterminism: boolean;
  /** Where findings go (the worker posts them to the main thread). */
  readonly post: (message: ShardWorkerMessage) => void;
}

/** Per fleet: its shared matrix and, per private row, the shared row (-1: none given). */
interface FleetBridge {
  readonly shared: SharedStateMatrix;
  readonly sharedRowOf: number[];
  /** Per private row: the message stamp that last marked it dirty. */
  readonly marked: number[];
}

export class ShardMirror {
  readonly mirror: MirrorEngine;
  readonly #shard: number;
  readonly #status: ShardStatus;
  readonly #bridges = new Map<Fleet, FleetBridge>();
  /** Shared rows announced by the current message, by workflowId (its WorkflowStarted events). */
  readonly #announced = new Map<string, number>();
  readonly #dirty: MirrorInstance[] = [];
  #stamp = 1;
  #eventsProcessed = 0;
  #unpublished = 0;

  /** @throws MirrorWorkerStartError when the definitions and the shared matrices do not match one to one. */
  constructor(options: ShardMirrorOptions) {
    this.#shard = options.shard;
    this.#status = options.status;
    const fleets = new FleetRegistry(options.definitions);
    const byType = new Map(options.matrices.map((m) => [m.workflowType, m]));
    for (const fleet of fleets.all()) {
      const shared = byType.get(fleet.compiled.name);
      if (shared === undefined) {
        throw new MirrorWorkerStartError(
          options.shard,
          `the primary has no fleet "${fleet.compiled.name}" (no shared matrix for it)`,
        );
      }
      const layout = fleet.compiled.layout;
      if (shared.stride !== layout.stride || shared.fieldCount !== layout.fieldCount) {
        throw new MirrorWorkerStartError(
          options.shard,
          `"${fleet.compiled.name}": the worker's layout (${layout.fieldCount} fields, stride ${layout.stride}) differs from the primary's (${shared.fieldCount}, ${shared.stride})`,
        );
      }
      this.#bridges.set(fleet, { shared, sharedRowOf: [], marked: [] });
      byType.delete(fleet.compiled.name);
    }
    if (byType.size > 0) {
      throw new MirrorWorkerStartError(
        options.shard,
        `no workflow module defines ${[...byType.keys()].map((t) => `"${t}"`).join(', ')}`,
      );
    }
    const post = options.post;
    const shard = options.shard;
    this.mirror = new MirrorEngine({
      fleets,
      guardDeterminism: options.guardDeterminism,
      onApplied: (instance, _event, fleet) => this.#markDirty(instance, fleet),
      onNonDeterminism: (finding) =>
        post({
          type: 'non-determinism',
          finding: {
            shard,
            workflowId: finding.workflowId,
            workflowType: finding.workflowType,
            seq: finding.seq,
            detail: finding.detail,
            versionSkew: finding.instance.versionSkew,
          },
        }),
      onUnapplied: (unapplied) =>
        post({
          type: 'unapplied',
          unapplied: {
            shard,
            event: unapplied.event,
            reason: unapplied.reason,
            instanceSeq: this.mirror.instance(unapplied.event.workflowId)?.seq ?? 0,
          },
        }),
    });
  }

  /** Name and fingerprint of each definition (the main thread checks them against its fleets). */
  workflows(): { name: string; fingerprint: string }[] {
    return [...this.#bridges.keys()].map((fleet) => ({ name: fleet.compiled.name, fingerprint: fleet.compiled.fingerprint }));
  }

  /**
   * Applies one message's events, publishes the rows they touched into the shared matrices, then
   * the shard's progress.
   * @throws SharedMatrixError when a message names a shared row the main thread has not added.
   */
  apply(batch: ShardBatch): void {
    const { events, rows } = batch;
    for (let i = 0; i < events.length; i++) {
      const row = rows[i]!;
      if (row >= 0) this.#announced.set(events[i]!.workflowId, row);
    }
    this.mirror.apply(events);
    this.#publishRows();
    this.#announced.clear();
    this.#eventsProcessed += events.length;
    const stats = this.mirror.stats;
    this.#status.publish({
      eventsProcessed: this.#eventsProcessed,
      eventsApplied: stats.applied,
      position: this.mirror.position,
      nonDeterminism: stats.nonDeterminism,
      unapplied: stats.unapplied,
      unpublished: this.#unpublished,
    });
  }

  #markDirty(instance: MirrorInstance, fleet: Fleet): void {
    const bridge = this.#bridges.get(fleet)!;
    if (bridge.marked[instance.row] === this.#stamp) return;
    bridge.marked[instance.row] = this.#stamp;
    this.#dirty.push(instance);
  }

  #publishRows(): void {
    const dirty = this.#dirty;
    for (let i = 0; i < dirty.length; i++) {
      const instance = dirty[i]!;
      const fleet = instance.fleet;
      const bridge = this.#bridges.get(fleet)!;
      const row = instance.row;
      let sharedRow = bridge.sharedRowOf[row];
      if (sharedRow === undefined) {
        sharedRow = this.#announced.get(instance.workflowId) ?? -1;
        bridge.sharedRowOf[row] = sharedRow;
        if (sharedRow < 0) this.#unpublished++;
      }
      if (sharedRow < 0) continue;
      if (sharedRow >= bridge.shared.rowCount) {
        throw new SharedMatrixError(
          `shard ${this.#shard}: "${instance.workflowId}" was given shared row ${sharedRow}, but the shared matrix has ${bridge.shared.rowCount} rows`,
        );
      }
      const matrix = fleet.mirror;
      bridge.shared.writeRow(sharedRow, matrix.data, row * matrix.layout.stride, matrix.seqs[row]!);
    }
    dirty.length = 0;
    this.#stamp++;
  }
}
