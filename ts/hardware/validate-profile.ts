/**
 * Validation of hardware profiles, driven by `schemas/hardware-profile.schema.json` itself (read
 * once, interpreted by `json-schema-subset.ts`), so the schema published for editors and the check
 * run at load are the same text. One rule JSON Schema's subset cannot say is checked here in code:
 * `backendOrder` ends with `js`.
 */
import { readFileSync } from 'node:fs';
import { assetPath } from '../assets.js';
import { InvalidHardwareProfileError, type ProfileProblem } from './errors.js';
import { compileSchemaSubset, type SchemaCheck } from './json-schema-subset.js';
import type { HardwareProfile } from './types.js';

/** Package-relative path of the profile schema. */
export const PROFILE_SCHEMA_FILE = 'schemas/hardware-profile.schema.json';

let check: SchemaCheck | undefined;

/** The parsed schema document (for tests and tools that want to read it). */
export function readProfileSchema(): unknown {
  return JSON.parse(readFileSync(assetPath(PROFILE_SCHEMA_FILE), 'utf8'));
}

function schemaCheck(): SchemaCheck {
  check ??= compileSchemaSubset(readProfileSchema());
  return check;
}

/** Rules beyond the schema. Run only on parts the schema accepted, so a problem is never reported twice. */
function checkProfileRules(value: unknown, schemaProblems: readonly ProfileProblem[]): ProfileProblem[] {
  const problems: ProfileProblem[] = [];
  const order = (value as { backendOrder?: unknown } | null)?.backendOrder;
  const orderOk = !schemaProblems.some((p) => p.path === '/backendOrder' || p.path.startsWith('/backendOrder/'));
  if (orderOk && Array.isArray(order) && order.length > 0 && order[order.length - 1] !== 'js') {
    problems.push({
      path: `/backendOrder/${order.length - 1}`,
      message: `must be "js" (the last backend is the fallback that always works), got ${JSON.stringify(order[order.length - 1])}`,
    });
  }
  return problems;
}

/** Every problem with `value` as a hardware profile; empty when it is one. */
export function validateProfile(value: unknown): ProfileProblem[] {
  const problems = schemaCheck()(value);
  return [...problems, ...checkProfileRules(value, problems)];
}

/** `value` as a {@link HardwareProfile}, or {@link InvalidHardwareProfileError} naming `file` and listing every problem. */
export function parseProfile(value: unknown, file: string): HardwareProfile {
  const problems = validateProfile(value);
  if (problems.length > 0) throw new InvalidHardwareProfileError(file, problems);
  return value as HardwareProfile;
}
