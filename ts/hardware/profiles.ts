/**
 * Loading hardware profiles (the built-in ones under `hardware-profiles/`, plus files a user names)
 * and choosing the one for a machine.
 *
 * Choice: among the profiles whose every `match` rule holds, the highest `priority` wins; on equal
 * priority, the one with more match rules (it says more about the machine, so it fits it closer);
 * then the name in alphabetical order, only so that the answer never depends on file order.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assetPath } from '../assets.js';
import { DuplicateHardwareProfileError, InvalidHardwareProfileError, NoMatchingHardwareProfileError } from './errors.js';
import { evaluateProfile, type ProfileEvaluation } from './match-profile.js';
import type { HardwareProfile, MachineFacts } from './types.js';
import { parseProfile } from './validate-profile.js';

export type { HardwareProfile, MachineFacts } from './types.js';

/** Package-relative folder of the built-in profiles. */
export const BUILT_IN_PROFILE_DIR = 'hardware-profiles';

/** A profile and where it came from. */
export interface HardwareProfileFile {
  readonly file: string;
  /** Shipped with the package (under `hardware-profiles/`), as opposed to named by the user. */
  readonly builtIn: boolean;
  readonly profile: HardwareProfile;
}

/** The profile chosen for a machine, why, and how every candidate fared. */
export interface ProfileChoice {
  readonly profile: HardwareProfile;
  /** Why it applies (each rule's outcome) and why it beat the other matches. */
  readonly reasons: readonly string[];
  /** Every profile, matching ones first in winning order, then the rest by priority. */
  readonly ranked: readonly ProfileEvaluation[];
}

function cannotLoad(file: string, message: string, cause: unknown): InvalidHardwareProfileError {
  return new InvalidHardwareProfileError(file, [{ path: '', message }], { cause });
}

/** Reads, parses and validates one profile file; {@link InvalidHardwareProfileError} names the file and every problem. */
export function loadProfileFile(file: string): HardwareProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw cannotLoad(file, `cannot be read: ${(error as Error).message}`, error);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw cannotLoad(file, `is not JSON: ${(error as Error).message}`, error);
  }
  return parseProfile(value, file);
}

function refuseDuplicates(files: readonly HardwareProfileFile[]): void {
  const seen = new Map<string, string>();
  for (const { file, profile } of files) {
    const earlier = seen.get(profile.name);
    if (earlier !== undefined) throw new DuplicateHardwareProfileError(profile.name, [earlier, file]);
    seen.set(profile.name, file);
  }
}

let builtIns: readonly HardwareProfileFile[] | undefined;

/** Every `*.json` profile in `dir` (default: the package's `hardware-profiles/`, read once per process). */
export function loadBuiltInProfiles(dir?: string): readonly HardwareProfileFile[] {
  if (dir === undefined && builtIns !== undefined) return builtIns;
  const folder = dir ?? assetPath(BUILT_IN_PROFILE_DIR);
  const files = readdirSync(folder)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(folder, name))
    .map((file) => ({ file, builtIn: true, profile: loadProfileFile(file) }));
  refuseDuplicates(files);
  if (dir === undefined) builtIns = files;
  return files;
}

/**
 * The built-in profiles plus `userFiles`. A user profile named like a built-in one replaces it (that
 * is how a profile rewritten by `wfmirror calibrate` takes over); two user files with one name are refused.
 */
export function loadProfiles(userFiles: readonly string[] = []): HardwareProfileFile[] {
  const user = userFiles.map((file) => ({ file, builtIn: false, profile: loadProfileFile(file) }));
  refuseDuplicates(user);
  const replaced = new Set(user.map((u) => u.profile.name));
  return [...loadBuiltInProfiles().filter((b) => !replaced.has(b.profile.name)), ...user];
}

/** Orders two evaluations: matching first, then priority, specificity, name (see the file comment). */
function byRank(a: ProfileEvaluation, b: ProfileEvaluation): number {
  return (
    Number(b.matched) - Number(a.matched) ||
    b.profile.priority - a.profile.priority ||
    b.specificity - a.specificity ||
    (a.profile.name < b.profile.name ? -1 : a.profile.name > b.profile.name ? 1 : 0)
  );
}

function whyItWon(winner: ProfileEvaluation, runnerUp: ProfileEvaluation | undefined): string {
  if (runnerUp === undefined || !runnerUp.matched) return 'the only matching profile';
  const w = winner.profile;
  const r = runnerUp.profile;
  if (w.priority !== r.priority) return `priority ${w.priority} beats ${r.name} (${r.priority})`;
  if (winner.specificity !== runnerUp.specificity) {
    return `same priority as ${r.name}, but ${winner.specificity} match rules against ${runnerUp.specificity}`;
  }
  return `same priority and rule count as ${r.name}; first by name`;
}

/** The profile for `facts` among `profiles` (see the file comment for the order); throws when none matches. */
export function chooseProfile(facts: MachineFacts, profiles: readonly HardwareProfile[]): ProfileChoice {
  const ranked = profiles.map((p) => evaluateProfile(p, facts)).sort(byRank);
  const winner = ranked[0];
  if (winner === undefined || !winner.matched) {
    throw new NoMatchingHardwareProfileError(
      ranked.map(
        (e) =>
          `${e.profile.name}: ${e.rules
            .filter((r) => !r.ok)
            .map((r) => r.detail)
            .join('; ')}`,
      ),
    );
  }
  const ruleReasons =
    winner.rules.length === 0 ? ['no match rules: applies to every machine'] : winner.rules.map((r) => r.detail);
  return { profile: winner.profile, reasons: [...ruleReasons, whyItWon(winner, ranked[1])], ranked };
}
