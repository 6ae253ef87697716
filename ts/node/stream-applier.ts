/**
 * Turns an at-least-once stream into exactly-once application on a MirrorEngine:
 *
 * - a duplicate (an event the mirror has: its seq is not above the instance's) is ignored by the
 *   engine itself (`duplicatesIgnored`);
 * - a gap (an event past the instance's next seq, or an instance whose start the mirror never
 *   saw) makes the applier re-read that instance from the source's durable log, from the seq the
 *   mirror has onwards, and apply it: the stream's later copies of those events are duplicates;
 * - a rejected entry (damaged payload) whose header still names its source and log range is
 *   re-read from that log (the shard's events only).
 *
 * Every event is therefore applied once, whatever the stream did, as long as the source's log can
 * be read. The handlers are meant to be called one at a time (the consumer's loop does).
 */
import { MirrorEngine, type MirrorEngineOptions, type UnappliedEvent } from '../engine/mirror-engine.js';
import type { HistoryEvent } from '../history/events.js';
import { type InboundEvents, type RejectedEntry, shardOf } from '../stream/transport.js';
import type { SourceLogs } from './source-logs.js';

/** Events read per readRange call when catching up or re-reading a rejected entry's range. */
const READ_CHUNK = 10_000;

/** Counters of an applier (the engine counts applied events and duplicates). */
export interface ApplierStats {
  /** Instances re-read from a durable log after a gap. */
  gapsRepaired: number;
  /** Events read from durable logs (repairs, rejected entries, catch-up). */
  eventsReread: number;
  /** Rejected entries whose events were recovered from the log. */
  rejectedRecovered: number;
  /** Events for a workflow type this mirror does not run (never applied). */
  unknownWorkflow: number;
}

/** Options of {@link MirrorStreamApplier}. */
export interface StreamApplierOptions {
  /** The engine's options; the applier adds its own `onUnapplied` in front of the one given. */
  readonly engine: MirrorEngineOptions;
  readonly logs: SourceLogs;
  /** The deployment's shard count and the shards applied here (events of others are skipped on re-reads). */
  readonly shards: number;
  readonly owned: readonly number[];
}

/** Applies stream batches to a mirror engine, repairing what the stream lost or reordered. */
export class MirrorStreamApplier {
  readonly mirror: MirrorEngine;
  readonly stats: ApplierStats = { gapsRepaired: 0, eventsReread: 0, rejectedRecovered: 0, unknownWorkflow: 0 };
  /** Per source: the highest log position applied from it. */
  readonly positions = new Map<string, number>();
  readonly #logs: SourceLogs;
  readonly #shards: number;
  readonly #owned: ReadonlySet<number>;
  /** Instances to re-read after the batch being applied, with the source whose log has them. */
  #gaps = new Map<string, string>();
  #source = '';

  constructor(options: StreamApplierOptions) {
    this.#logs = options.logs;
    this.#shards = options.shards;
    this.#owned = new Set(options.owned);
    const outer = options.engine.onUnapplied;
    this.mirror = new MirrorEngine({
      ...options.engine,
      onUnapplied: (unapplied) => {
        this.#noteUnapplied(unapplied);
        outer?.(unapplied);
      },
    });
  }

  /** Applies one stream batch, then repairs the instances it found gaps in. */
  async events(batch: InboundEvents): Promise<void> {
    await this.#apply(batch.source, batch.events);
    this.#advance(batch.source, batch.lastPos);
  }

  /** Recovers a rejected entry's events from its source's log, when its header says where they are. */
  async rejected(entry: RejectedEntry): Promise<void> {
    if (entry.kind !== 'events' || entry.source === undefined || entry.firstPos === undefined || entry.lastPos === undefined) {
      return;
    }
    const log = await this.#logs.get(entry.source);
    let after = entry.firstPos - 1;
    while (after < entry.lastPos) {
      const events = await log.readRange(after, Math.min(READ_CHUNK, entry.lastPos - after));
      if (events.length === 0) break;
      after = events[events.length - 1]!.pos;
      const mine = events.filter((e) => e.pos <= entry.lastPos! && shardOf(e.workflowId, this.#shards) === entry.shard);
      this.stats.eventsReread += mine.length;
      await this.#apply(entry.source, mine);
    }
    this.stats.rejectedRecovered++;
  }

  /**
   * Applies everything `source`'s log holds for the owned shards (a mirror node's start: its
   * state is in memory, so it replays the durable logs, then follows the streams). Returns the
   * events applied.
   */
  async catchUp(source: string): Promise<number> {
    const log = await this.#logs.get(source);
    const before = this.mirror.stats.applied;
    let after = 0;
    for (;;) {
      const events = await log.readRange(after, READ_CHUNK);
      if (events.length === 0) break;
      after = events[events.length - 1]!.pos;
      const mine = events.filter((e) => this.#owned.has(shardOf(e.workflowId, this.#shards)));
      this.stats.eventsReread += mine.length;
      await this.#apply(source, mine);
      this.#advance(source, after);
    }
    return this.mirror.stats.applied - before;
  }

  async #apply(source: string, events: readonly HistoryEvent[]): Promise<void> {
    this.#source = source;
    this.mirror.apply(events);
    if (this.#gaps.size > 0) await this.#repair();
  }

  /** Re-reads each gapped instance from its source's log, from the seq after the mirror's. */
  async #repair(): Promise<void> {
    const gaps = this.#gaps;
    this.#gaps = new Map();
    for (const [workflowId, source] of gaps) {
      const log = await this.#logs.get(source);
      const from = (this.mirror.instance(workflowId)?.seq ?? 0) + 1;
      const events = await log.readInstance(workflowId, from);
      this.stats.gapsRepaired++;
      this.stats.eventsReread += events.length;
      // Applied as one batch in seq order: no new gap can come of it (a log has no holes).
      this.#source = source;
      this.mirror.apply(events);
      for (const e of events) this.#advance(source, e.pos);
    }
    // Whatever the re-read itself found missing is not in the log yet; the stream will bring it.
    this.#gaps.clear();
  }

  #noteUnapplied(unapplied: UnappliedEvent): void {
    if (unapplied.reason === 'unknown-workflow') {
      this.stats.unknownWorkflow++;
      return;
    }
    if (!this.#gaps.has(unapplied.event.workflowId)) this.#gaps.set(unapplied.event.workflowId, this.#source);
  }

  #advance(source: string, pos: number): void {
    if (pos > (this.positions.get(source) ?? 0)) this.positions.set(source, pos);
  }
}
