/**
 * The mirror node's copy of the primaries' matrices: delta messages are applied to a replica in
 * the primary's row numbering and the changed rows land, by instance id, in the comparison fleet
 * (whose rows are numbered otherwise); a redelivered message is skipped; a lost or foreign one
 * breaks the chain, is refused and asks for one full resend, which starts the chain over.
 */
import { describe, expect, it } from 'vitest';
import { order } from '../../examples/order.js';
import { FleetDeltas, FleetRegistry } from '../../ts/engine/fleet.js';
import { DeltaChainBrokenError } from '../../ts/node/errors.js';
import { PrimaryReplicas } from '../../ts/node/primary-replicas.js';
import type { DeltaMessage, InboundDeltas } from '../../ts/stream/transport.js';
import { orderPrimary } from '../stream/redis/harness.js';

const inbound = (message: DeltaMessage): InboundDeltas => ({ ...message, shard: 0, source: 'p1' });

/** Every written primary row (seq and value bits), by instance id. */
function rowsById(fleets: FleetRegistry): Record<string, { seq: number; bits: string }> {
  const fleet = fleets.get('order');
  const out: Record<string, { seq: number; bits: string }> = {};
  for (let row = 0; row < fleet.index.size; row++) {
    const seq = fleet.primary.seqOf(row);
    if (seq === 0) continue;
    const values = fleet.primary.row(row).slice(0, fleet.compiled.layout.fieldCount);
    out[fleet.index.idOf(row)] = { seq, bits: Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('hex') };
  }
  return out;
}

describe('PrimaryReplicas', () => {
  it('places each changed row by instance id, skips a redelivered message, resyncs a broken chain', async () => {
    const source = orderPrimary();
    const tracker = new FleetDeltas(source.fleets, 'primary');
    const mirrorFleets = new FleetRegistry([order]);
    const resyncs: number[] = [];
    const errors: unknown[] = [];
    const replicas = new PrimaryReplicas(
      mirrorFleets,
      async (shard) => void resyncs.push(shard),
      (e) => errors.push(e),
    );

    await source.run({ instances: 20, idPrefix: 'a-' });
    // The mirror met these instances in another order than the primary started them.
    for (let i = 19; i >= 0; i -= 2) mirrorFleets.get('order').rowFor(`a-order-${String(i).padStart(6, '0')}`);
    const first: DeltaMessage = { generation: 'g1', full: true, deltas: tracker.take() };
    await replicas.apply(inbound(first));
    expect(rowsById(mirrorFleets)).toEqual(rowsById(source.fleets));

    await source.run({ instances: 10, idPrefix: 'b-' });
    const second: DeltaMessage = { generation: 'g1', full: false, deltas: tracker.take() };
    await replicas.apply(inbound(second));
    expect(rowsById(mirrorFleets)).toEqual(rowsById(source.fleets));
    // Delivered again: already reflected, skipped, nothing asked.
    await replicas.apply(inbound(second));
    expect(replicas.stats.duplicates).toBe(1);
    expect(resyncs).toEqual([]);

    // One message lost: the next does not fit, the chain breaks, one resend is asked for.
    await source.run({ instances: 5, idPrefix: 'c-' });
    tracker.take();
    await source.run({ instances: 5, idPrefix: 'd-' });
    await replicas.apply(inbound({ generation: 'g1', full: false, deltas: tracker.take() }));
    expect(errors.some((e) => e instanceof DeltaChainBrokenError)).toBe(true);
    expect(resyncs).toEqual([0]);
    // Refused until the full resend, and not asked for again meanwhile.
    await source.run({ instances: 5, idPrefix: 'e-' });
    await replicas.apply(inbound({ generation: 'g1', full: false, deltas: tracker.take() }));
    await replicas.apply(inbound({ generation: 'other', full: false, deltas: [] }));
    expect(replicas.stats.refused).toBe(2);
    expect(resyncs).toEqual([0]);
    expect(rowsById(mirrorFleets)).not.toEqual(rowsById(source.fleets));

    const fresh = new FleetDeltas(source.fleets, 'primary');
    await replicas.apply(inbound({ generation: 'g2', full: true, deltas: fresh.take() }));
    expect(rowsById(mirrorFleets)).toEqual(rowsById(source.fleets));
    expect(replicas.stats.fullResets).toBe(2);
  });
});
