/**
 * Names the probable cause of a deviation on one instance, from what each side knows:
 * the fingerprints of the code that ran, the mirror's command check, and the primary's journal
 * of handler deliveries held against the log. Runs only when an anomaly was found.
 */
import type { Diagnosis } from '../anomaly/detector.js';
import type { HistoryEvent } from '../history/events.js';
import { jsonEqual } from './json-equal.js';
import type { MirrorInstance } from './mirror-engine.js';
import type { PrimaryInstance } from './primary-engine.js';
import { eventKey, isInboundEvent } from './step.js';

/** Diagnoses a deviation between `primary` and `mirror` given the instance's logged `history`. */
export function diagnose(
  primary: PrimaryInstance | undefined,
  mirror: MirrorInstance | undefined,
  history: readonly HistoryEvent[],
): Diagnosis {
  if (primary === undefined || mirror === undefined) {
    return { cause: 'unknown', detail: `instance known only to the ${primary === undefined ? 'mirror' : 'primary'}` };
  }
  if (primary.startedFingerprint !== mirror.compiled.fingerprint || mirror.versionSkew) {
    return {
      cause: 'version-skew',
      detail: `primary runs definition fingerprint ${primary.startedFingerprint}, mirror runs ${mirror.compiled.fingerprint} (same name, other code)`,
    };
  }
  if (mirror.nonDeterministic)
    return { cause: 'non-determinism', detail: 'the replay issued other commands than the history records' };

  // Hold the primary's deliveries against the log's inbound events over the journal's span.
  const journal = primary.journal;
  // Deliveries up to journalFrom were dropped after a clean comparison (or when the journal was full).
  const firstSeq = primary.journalFrom + 1;
  const deliveries = new Map<number, unknown[]>();
  for (const entry of journal) {
    const list = deliveries.get(entry.seq);
    if (list === undefined) deliveries.set(entry.seq, [entry.payload]);
    else list.push(entry.payload);
  }
  for (const event of history) {
    if (event.seq < firstSeq || event.seq > primary.seq || !isInboundEvent(event.type)) continue;
    const delivered = deliveries.get(event.seq);
    if (delivered === undefined) {
      return {
        cause: 'lost-event',
        detail: `${eventKey(event)} at seq ${event.seq} is in the log but the primary never applied it`,
      };
    }
    if (delivered.length > 1) {
      return {
        cause: 'duplicated-event',
        detail: `${eventKey(event)} at seq ${event.seq} was applied ${delivered.length} times by the primary`,
      };
    }
    if (!jsonEqual(delivered[0], event.payload)) {
      if (event.type === 'ActivityCompleted') {
        const consumed = (delivered[0] as { result?: unknown } | undefined)?.result;
        return {
          cause: 'unexpected-activity-result',
          detail: `activity "${event.payload.name}" at seq ${event.seq}: the log records ${JSON.stringify(event.payload.result)}, the primary consumed ${JSON.stringify(consumed)}`,
        };
      }
      return {
        cause: 'unknown',
        detail: `${eventKey(event)} at seq ${event.seq}: the primary consumed another payload than the log holds`,
      };
    }
  }
  return {
    cause: 'state-written-outside-handler',
    detail: 'same code, same events, different state: the primary state was written outside a handler',
  };
}
