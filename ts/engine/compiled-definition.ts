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
}

/** Compiles a definition. */
export function compileDefinition(definition: AnyWorkflowDefinition): CompiledDefinition {
  return {
    definition,
    name: definition.name,
    layout: layoutFor(definition.state),
    fingerprint: fingerprintOf(definition),
    significant: new Set(definition.significant),
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
