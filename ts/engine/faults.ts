/**
 * Fault injection on the primary, for tests and the demo. Each fault models a real failure the
 * mirror must catch, and names the cause the anomaly report should give. Faults fire once.
 */
import type { AnomalyCause } from '../anomaly/report.js';
import type { EventPayloads, HistoryEvent } from '../history/events.js';
import type { AnyWorkflowDefinition } from '../workflow/define.js';
import type { Command } from './commands.js';
import { type CompiledDefinition, compileDefinition } from './compiled-definition.js';

/** One fault, aimed at one instance. Event keys are as in `SignificantEvent` (`charge.completed`, `signal.discount`...). */
export type Fault =
  /** After the primary applies `afterEvent`, `field` is overwritten outside any handler. */
  | {
      readonly kind: 'corrupt-field';
      readonly workflowId: string;
      readonly field: string;
      readonly value: unknown;
      readonly afterEvent: string;
    }
  /** The primary's handler runs twice for `event` (a redelivery that slipped through). */
  | { readonly kind: 'duplicate-delivery'; readonly workflowId: string; readonly event: string }
  /** The primary's handler never runs for `event`, though the log holds it. */
  | { readonly kind: 'drop-delivery'; readonly workflowId: string; readonly event: string }
  /** The primary runs changed code for this instance (a deployment the mirror does not have). */
  | { readonly kind: 'changed-handler'; readonly workflowId: string; readonly definition: AnyWorkflowDefinition }
  /** The primary's handler receives `alter(result)` while the log records the real result. */
  | {
      readonly kind: 'altered-result';
      readonly workflowId: string;
      readonly activity: string;
      readonly alter: (result: unknown) => unknown;
    }
  /** The primary issues its first two activity calls in the opposite order. */
  | { readonly kind: 'swapped-calls'; readonly workflowId: string };

/** The cause an anomaly report must name for each fault kind. */
export const EXPECTED_CAUSE: Readonly<Record<Fault['kind'], AnomalyCause>> = {
  'corrupt-field': 'state-written-outside-handler',
  'duplicate-delivery': 'duplicated-event',
  'drop-delivery': 'lost-event',
  'changed-handler': 'version-skew',
  'altered-result': 'unexpected-activity-result',
  'swapped-calls': 'non-determinism',
};

/** A fault that fired, and at which seq. */
export interface FiredFault {
  readonly fault: Fault;
  readonly seq: number;
}

/** The faults of a run; the primary engine asks it at each hook. */
export class FaultPlan {
  private readonly byInstance = new Map<string, Fault[]>();
  private readonly compiledChanges = new Map<string, CompiledDefinition>();
  readonly fired: FiredFault[] = [];

  constructor(faults: readonly Fault[]) {
    for (const fault of faults) {
      const list = this.byInstance.get(fault.workflowId) ?? [];
      list.push(fault);
      this.byInstance.set(fault.workflowId, list);
      if (fault.kind === 'changed-handler') this.compiledChanges.set(fault.workflowId, compileDefinition(fault.definition));
    }
  }

  /** True when some fault targets this instance (the engine skips every hook otherwise). */
  targets(workflowId: string): boolean {
    return this.byInstance.has(workflowId);
  }

  /** The definition the primary runs for this instance. */
  definitionFor(workflowId: string, compiled: CompiledDefinition): CompiledDefinition {
    const changed = this.compiledChanges.get(workflowId);
    if (changed === undefined) return compiled;
    this.fire(workflowId, (f) => f.kind === 'changed-handler', 1);
    return changed;
  }

  /** How many times the primary's handler runs for this event: 1, or 0 (dropped), or 2 (duplicated). */
  deliveries(workflowId: string, key: string, seq: number): number {
    if (this.fire(workflowId, (f) => f.kind === 'drop-delivery' && f.event === key, seq)) return 0;
    if (this.fire(workflowId, (f) => f.kind === 'duplicate-delivery' && f.event === key, seq)) return 2;
    return 1;
  }

  /** The payload the primary's handler receives for this event. */
  payloadFor(event: HistoryEvent): HistoryEvent['payload'] {
    if (event.type !== 'ActivityCompleted') return event.payload;
    const payload: EventPayloads['ActivityCompleted'] = event.payload;
    const fault = this.fire(event.workflowId, (f) => f.kind === 'altered-result' && f.activity === payload.name, event.seq);
    if (fault === undefined || fault.kind !== 'altered-result') return payload;
    return { ...payload, result: fault.alter(payload.result) as EventPayloads['ActivityCompleted']['result'] };
  }

  /** The commands the primary issues after a handler. */
  commandsFor(workflowId: string, seq: number, commands: readonly Command[]): readonly Command[] {
    const callIndexes = commands.flatMap((c, i) => (c.kind === 'call' ? [i] : []));
    if (callIndexes.length < 2) return commands;
    if (!this.fire(workflowId, (f) => f.kind === 'swapped-calls', seq)) return commands;
    const swapped = [...commands];
    const [a, b] = [callIndexes[0]!, callIndexes[1]!];
    [swapped[a], swapped[b]] = [commands[b]!, commands[a]!];
    return swapped;
  }

  /** Writes a corrupted field into `state` when a corrupt-field fault is due after this event. Returns true if it did. */
  corruptAfter(workflowId: string, key: string, seq: number, state: Record<string, unknown>): boolean {
    const fault = this.fire(workflowId, (f) => f.kind === 'corrupt-field' && f.afterEvent === key, seq);
    if (fault === undefined || fault.kind !== 'corrupt-field') return false;
    state[fault.field] = fault.value;
    return true;
  }

  private fire(workflowId: string, match: (fault: Fault) => boolean, seq: number): Fault | undefined {
    const list = this.byInstance.get(workflowId);
    if (list === undefined) return undefined;
    const index = list.findIndex(match);
    if (index < 0) return undefined;
    const [fault] = list.splice(index, 1);
    this.fired.push({ fault: fault!, seq });
    return fault;
  }
}
