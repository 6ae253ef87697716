/**
 * Builds the comparator a caller asked for: one backend by name, or `auto`, which follows the
 * hardware profile of this machine (detected, or given). Either way the result is a fallback
 * chain ending in the `js` reference, so a backend failing at run time never loses a comparison.
 */
import {
  type HardwareProfile,
  isGpuBackend,
  loadBuiltInProfiles,
  loadProfileFile,
  parseProfile,
  resolveHardwareProfile,
  UnknownHardwareProfileError,
} from '../hardware/index.js';
import { backendSettingsOf } from '../hardware/profile-use.js';
import type { MachineFacts } from '../hardware/types.js';
import { BACKEND_NAMES, type BackendName, type BackendSettings } from './backend.js';
import { backendDefinition } from './backend-registry.js';
import { BackendUnavailableError } from './errors.js';
import { type ChainLink, FallbackComparator, type FallbackEvent } from './fallback-comparator.js';

/** Backend names accepted by `accelerator.backend`. */
export type BackendChoice = 'auto' | BackendName;

/** How to choose and set up the comparison backend (`WorkflowMirror.open({ accelerator })`). */
export interface AcceleratorOptions {
  /** `auto` (default): the profile's backend order; a name: that backend first, then the profile's order (or `js`). */
  readonly backend?: BackendChoice;
  /**
   * The hardware profile: a built-in profile's name (`cpu-simd`, `nvidia-h100`, ...), a path to a
   * profile JSON file (such as the one `wfmirror calibrate` writes), or a profile object. Default:
   * detect the machine and choose among the built-in profiles.
   */
  readonly profile?: string | HardwareProfile;
  /** Overrides the profile's backend settings (workers, workgroup size, ...). */
  readonly settings?: BackendSettings;
  /** Told once per backend that fails at run time; default one console.warn line. */
  readonly onFallback?: (event: FallbackEvent) => void;
  /** Machine facts to choose a profile by instead of detecting them (for tests and tools). */
  readonly facts?: MachineFacts;
}

/**
 * Creates the comparator for `options` (a backend name is short for `{ backend }`).
 * @throws UnknownBackendError for a backend name that does not exist
 * @throws BackendUnavailableError when the backend asked for by name cannot run here
 * @throws InvalidHardwareProfileError for a profile that does not validate
 */
export async function createComparator(options: BackendChoice | AcceleratorOptions = {}): Promise<FallbackComparator> {
  const opts: AcceleratorOptions = typeof options === 'string' ? { backend: options } : options;
  const choice = opts.backend ?? 'auto';
  if (choice !== 'auto') backendDefinition(choice); // unknown names fail before anything is detected
  const profile = await profileFor(opts, choice);
  const settings: BackendSettings = { ...(profile ? backendSettingsOf(profile) : {}), ...opts.settings };
  const order = chainOrder(choice, profile);
  const links: ChainLink[] = [];
  for (const name of order) {
    const definition = backendDefinition(name);
    const open = async () => {
      const probe = await definition.probe();
      if (!probe.available) throw new BackendUnavailableError(name, probe.reason);
      return definition.create(settings);
    };
    // The head is created now: it must exist before the fleets (its storage holds their matrices),
    // and a backend asked for by name that cannot run is an error for the caller, not a fallback.
    if (links.length === 0) {
      try {
        links.push({ name, onCpu: !isGpuBackend(name), comparator: await open() });
      } catch (error) {
        if (choice !== 'auto') throw error;
        opts.onFallback?.({ failed: name, error, next: undefined });
      }
      continue;
    }
    links.push({ name, onCpu: !isGpuBackend(name), open });
  }
  return new FallbackComparator(links, {
    crossoverRows: profile?.crossoverRows ?? 0,
    ...(opts.onFallback ? { onFallback: opts.onFallback } : {}),
  });
}

/** The profile to follow: given (by name, path or object), detected for `auto`, none for a bare backend name. */
async function profileFor(opts: AcceleratorOptions, choice: BackendChoice): Promise<HardwareProfile | undefined> {
  const given = opts.profile;
  if (typeof given === 'object') return parseProfile(given, '(accelerator.profile)');
  if (typeof given === 'string') {
    if (given.endsWith('.json') || given.includes('/') || given.includes('\\')) return loadProfileFile(given);
    const builtIn = loadBuiltInProfiles();
    const found = builtIn.find((f) => f.profile.name === given);
    if (found === undefined)
      throw new UnknownHardwareProfileError(
        given,
        builtIn.map((f) => f.profile.name),
      );
    return found.profile;
  }
  if (choice !== 'auto') return undefined;
  return (await resolveHardwareProfile(opts.facts ? { facts: opts.facts } : {})).choice.profile;
}

/** Backends to chain, best first, each once, ending with `js`. */
function chainOrder(choice: BackendChoice, profile: HardwareProfile | undefined): BackendName[] {
  const base: readonly BackendName[] = profile?.backendOrder ?? ['js'];
  const order = choice === 'auto' ? [...base] : [choice, ...base.filter((n) => n !== choice)];
  if (!order.includes('js')) order.push('js');
  return order.filter((n) => BACKEND_NAMES.includes(n));
}
