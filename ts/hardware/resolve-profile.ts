/**
 * The one call the comparator registry and `wfmirror detect` make: detect the machine, load the
 * profiles, choose one.
 */
import { type DetectOptions, detectMachine } from './detect.js';
import { chooseProfile, type HardwareProfileFile, loadProfiles, type ProfileChoice } from './profiles.js';
import type { MachineFacts } from './types.js';

/** What to resolve against; everything is optional. */
export interface ResolveOptions {
  /** Extra profile files (a user's, or one `wfmirror calibrate` wrote); same name replaces a built-in. */
  readonly userProfiles?: readonly string[];
  /** Use these facts instead of detecting (tests, or a caller that detected already). */
  readonly facts?: MachineFacts;
  /** Passed to {@link detectMachine} when `facts` is absent. */
  readonly detect?: DetectOptions;
}

/** The machine, every profile considered, and the choice. */
export interface HardwareResolution {
  readonly facts: MachineFacts;
  readonly profiles: readonly HardwareProfileFile[];
  readonly choice: ProfileChoice;
  /** The chosen profile's file. */
  readonly chosen: HardwareProfileFile;
}

/** Detects the machine (unless given facts), loads built-in and user profiles, and chooses one. */
export async function resolveHardwareProfile(options: ResolveOptions = {}): Promise<HardwareResolution> {
  const profiles = loadProfiles(options.userProfiles);
  const facts = options.facts ?? (await detectMachine(options.detect));
  const choice = chooseProfile(
    facts,
    profiles.map((p) => p.profile),
  );
  // Names are unique in `profiles` (loadProfiles refuses duplicates), so this finds exactly one.
  const chosen = profiles.find((p) => p.profile === choice.profile) as HardwareProfileFile;
  return { facts, profiles, choice, chosen };
}
