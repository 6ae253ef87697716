/**
 * Faults a publisher can inject into its own stream, for the transport's fault tests and the node
 * roles' `--transport-fault` option: a duplicated entry, two entries in the wrong order, an entry
 * whose payload is damaged. Each names an entry by its ordinal (1 = the first entry this publisher
 * writes) and fires once. The consumers must absorb all three: duplicates ignored, the reordering
 * repaired from the durable log, the damaged entry parked as a dead letter and its events re-read.
 */
import { InvalidTransportOptionError } from './errors.js';

/** One fault: what happens to which entry. */
export interface PublisherFault {
  readonly kind: 'duplicate' | 'reorder' | 'corrupt';
  /** The entry's ordinal among this publisher's event entries, from 1. */
  readonly entry: number;
}

/**
 * Parses `duplicate@3`, `reorder@5`, `corrupt@7`.
 * @throws InvalidTransportOptionError
 */
export function parsePublisherFault(spec: string): PublisherFault {
  const match = /^(duplicate|reorder|corrupt)@(\d{1,9})$/.exec(spec);
  const entry = match === null ? 0 : Number(match[2]);
  if (match === null || entry < 1) {
    throw new InvalidTransportOptionError(
      'transport fault',
      `must be duplicate@N, reorder@N or corrupt@N with N >= 1, got ${JSON.stringify(spec)}`,
    );
  }
  return { kind: match[1] as PublisherFault['kind'], entry };
}

/** The damaged copy of a payload: its first half. A truncated FlatBuffer never verifies. */
export function damage(payload: Buffer): Buffer {
  return Buffer.from(payload.subarray(0, Math.max(1, payload.length >>> 1)));
}
