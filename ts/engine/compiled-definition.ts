import type { HistoryEvent } from '../history/events.js';
import { layoutFor, type StateLayout } from '../state/layout.js';
import { stringHash } from '../state/string-hash.js';
import type { AnyWorkflowDefinition } from '../workflow/define.js';

/**
 * A definition prepared for the engines: its vector layout, its fingerprint and fast lookups.
 * Both engines compile the same definition the same way.
 */
export interface CompiledDefinition {
  readonly definition: AnyWorkflowDefinition;
  readonly name: string;
  readonly layout: StateLayout;
  /** Hash of schema + handler code, recorded in WorkflowStarted; differing fingerprints mean version skew. */
  readonly fingerprint: string;
  /** Event keys (see SignificantEvent) that make a comparison due at once. */
  readonly significant: ReadonlySet<string>;
  /** Whether an event is one of `significant`, decided without building its key (this runs per event). */
  readonly isSignificant: (event: HistoryEvent) => boolean;
}

const compiledCache = new WeakMap<AnyWorkflowDefinition, CompiledDefinition>();

/**
 * Compiles a definition, once per definition object: engines, forks and tests that build their
 * fleets again share the generated encoder, so its optimised code is not thrown away each time.
 */
export function compileDefinition(definition: AnyWorkflowDefinition): CompiledDefinition {
  let compiled = compiledCache.get(definition);
  if (compiled === undefined) {
    compiled = compile(definition);
    compiledCache.set(definition, compiled);
  }
  return compiled;
}

function compile(definition: AnyWorkflowDefinition): CompiledDefinition {
  return {
    definition,
    name: definition.name,
    layout: layoutFor(definition.state),
    fingerprint: fingerprintOf(definition),
    significant: new Set(definition.significant),
    isSignificant: significanceTest(definition.significant),
  };
}

/** Builds the per-event test for a `significant` list: sets of names per event type. */
function significanceTest(keys: readonly string[]): (event: HistoryEvent) => boolean {
  if (keys.length === 0) return () => false;
  const set = new Set(keys);
  const named = (prefix: string, suffix: string) =>
    new Set(
      keys
        .filter((k) => k.startsWith(prefix) && k.endsWith(suffix) && k.length > prefix.length + suffix.length)
        .map((k) => k.slice(prefix.length, k.length - suffix.length)),
    );
  const scheduled = named('', '.scheduled');
  const completed = named('', '.completed');
  const failed = named('', '.failed');
  const timerStarted = named('timer-started.', '');
  const timerFired = named('timer.', '');
  const signal = named('signal.', '');
  const started = set.has('started');
  const workflowCompleted = set.has('completed');
  const workflowFailed = set.has('failed');
  return (event) => {
    switch (event.type) {
      case 'WorkflowStarted':
        return started;
      case 'ActivityScheduled':
        return scheduled.size > 0 && scheduled.has(event.payload.name);
      case 'ActivityCompleted':
        return completed.size > 0 && completed.has(event.payload.name);
      case 'ActivityFailed':
        return failed.size > 0 && failed.has(event.payload.name);
      case 'TimerStarted':
        return timerStarted.size > 0 && timerStarted.has(event.payload.name);
      case 'TimerFired':
        return timerFired.size > 0 && timerFired.has(event.payload.name);
      case 'SignalReceived':
        return signal.size > 0 && signal.has(event.payload.name);
      case 'WorkflowCompleted':
        return workflowCompleted;
      case 'WorkflowFailed':
        return workflowFailed;
    }
  };
}

/**
 * Hashes what decides behaviour: name, version, schema and the source of every handler and
 * prediction. Two deployments with the same fingerprint run the same code.
 */
export function fingerprintOf(definition: AnyWorkflowDefinition): string {
  const parts: string[] = [definition.name, String(definition.version)];
  for (const [name, field] of Object.entries(definition.state)) {
    parts.push(`${name}:${field.kind}:${field.weight}:${field.tolerance}:${field.critical}:${field.values.join('|')}`);
  }
  parts.push(`activities:${Object.keys(definition.activities).join(',')}`);
  const on = definition.on as unknown as Record<string, unknown>;
  for (const key of Object.keys(on).sort()) {
    const entry = on[key];
    if (typeof entry === 'function') parts.push(`${key}=${entry.toString()}`);
    else if (entry !== null && typeof entry === 'object') {
      for (const [sub, fn] of Object.entries(entry as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) {
        parts.push(`${key}.${sub}=${String(fn)}`);
      }
    }
  }
  const text = parts.join('\n');
  // Two 32-bit hashes of the text and its reverse: 64 bits is plenty to tell deployments apart.
  const a = stringHash(text);
  const b = stringHash(`${text.length}:${[...text].reverse().join('')}`);
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}
