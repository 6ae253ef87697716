/**
 * Evaluates one profile's `match` rules against the machine's facts, rule by rule, keeping the
 * reason each one passed or failed so that `wfmirror detect` can say why a profile applies or not.
 */
import type { GpuAdapterFacts, HardwareProfile, MachineFacts, ProfileMatch } from './types.js';

/** One rule of a profile's `match`, and what the machine said to it. */
export interface RuleOutcome {
  readonly rule: keyof ProfileMatch;
  readonly ok: boolean;
  /** A sentence about the machine, e.g. `GPU vendor is "mesa", not "nvidia"`. */
  readonly detail: string;
}

/** A profile judged against a machine. */
export interface ProfileEvaluation {
  readonly profile: HardwareProfile;
  /** Every rule passed (a profile without rules matches every machine). */
  readonly matched: boolean;
  /** One outcome per rule, in the order of the profile's `match` object. */
  readonly rules: readonly RuleOutcome[];
  /** Number of rules: among equal priorities, the profile that says more about the machine wins. */
  readonly specificity: number;
}

type Outcome = { ok: boolean; detail: string };
type RuleCheck<K extends keyof ProfileMatch> = (expected: NonNullable<ProfileMatch[K]>, facts: MachineFacts) => Outcome;

function sameText(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Runs `check` on the adapter, or fails with the reason there is none. */
function withAdapter(facts: MachineFacts, check: (adapter: GpuAdapterFacts) => Outcome): Outcome {
  if (!facts.webgpu.available) return { ok: false, detail: `no WebGPU adapter (${facts.webgpu.reason})` };
  return check(facts.webgpu.adapter);
}

function textRule(label: string, actual: string, expected: string): Outcome {
  return sameText(actual, expected)
    ? { ok: true, detail: `${label} is "${actual}"` }
    : { ok: false, detail: `${label} is "${actual}", not "${expected}"` };
}

const RULES: { readonly [K in keyof ProfileMatch]-?: RuleCheck<K> } = {
  gpuVendor: (expected, facts) => withAdapter(facts, (a) => textRule('GPU vendor', a.vendor, expected)),
  gpuArchitecture: (expected, facts) => withAdapter(facts, (a) => textRule('GPU architecture', a.architecture, expected)),
  gpuDescriptionIncludes: (expected, facts) =>
    withAdapter(facts, (a) => {
      // Dawn puts the model name in `description` on some backends and in `device` on others.
      const seen = `${a.description} | ${a.device}`;
      const ok = seen.toLowerCase().includes(expected.toLowerCase());
      return { ok, detail: `GPU "${a.description || a.device}" ${ok ? 'includes' : 'does not include'} "${expected}"` };
    }),
  softwareGpu: (expected, facts) =>
    withAdapter(facts, (a) => {
      const what = a.software ? 'a software rasteriser' : 'a hardware GPU';
      return { ok: a.software === expected, detail: `the adapter is ${what}` };
    }),
  wasmSimd: (expected, facts) => ({
    ok: facts.wasmSimd === expected,
    detail: `WebAssembly SIMD is ${facts.wasmSimd ? 'available' : 'not available'}`,
  }),
  minCores: (expected, facts) => ({
    ok: facts.cores >= expected,
    detail: `${facts.cores} core(s) ${facts.cores >= expected ? '>=' : '<'} ${expected}`,
  }),
  minMemoryGiB: (expected, facts) => ({
    ok: facts.memoryGiB >= expected,
    detail: `${facts.memoryGiB} GiB ${facts.memoryGiB >= expected ? '>=' : '<'} ${expected} GiB`,
  }),
  platform: (expected, facts) => textRule('platform', facts.platform, expected),
  arch: (expected, facts) => textRule('arch', facts.arch, expected),
};

function runRule<K extends keyof ProfileMatch>(
  rule: K,
  expected: NonNullable<ProfileMatch[K]>,
  facts: MachineFacts,
): RuleOutcome {
  const check = RULES[rule] as RuleCheck<K>;
  return { rule, ...check(expected, facts) };
}

/** Judges `profile` against `facts`. */
export function evaluateProfile(profile: HardwareProfile, facts: MachineFacts): ProfileEvaluation {
  const rules: RuleOutcome[] = [];
  for (const key of Object.keys(profile.match) as (keyof ProfileMatch)[]) {
    const expected = profile.match[key];
    // `key` is a union here, so TypeScript cannot pair it with its value's type; RULES is typed per key.
    if (expected !== undefined) rules.push(runRule(key, expected as never, facts));
  }
  return { profile, matched: rules.every((r) => r.ok), rules, specificity: rules.length };
}
