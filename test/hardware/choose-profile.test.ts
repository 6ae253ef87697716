import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DuplicateHardwareProfileError,
  InvalidHardwareProfileError,
  NoMatchingHardwareProfileError,
} from '../../ts/hardware/errors.js';
import { chooseProfile, loadBuiltInProfiles, loadProfileFile, loadProfiles } from '../../ts/hardware/profiles.js';
import type { HardwareProfile, MachineFacts } from '../../ts/hardware/types.js';
import { machines } from './machines.js';

const builtIns = loadBuiltInProfiles().map((p) => p.profile);
const chosen = (facts: MachineFacts) => chooseProfile(facts, builtIns).profile.name;

const dir = mkdtempSync(join(tmpdir(), 'wfmirror-profiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function profile(name: string, priority: number, match: HardwareProfile['match']): HardwareProfile {
  return {
    name,
    description: `test profile ${name}`,
    match,
    priority,
    backendOrder: ['js'],
    crossoverRows: 0,
    precision: 'df64',
    workgroupSize: 64,
    minRowsPerWorker: 1,
  };
}

describe('chooseProfile with the built-in profiles', () => {
  it.each([
    ['noSimd', 'cpu-scalar'],
    ['simdNoGpu', 'cpu-simd'],
    ['bigCpu', 'cpu-multicore'],
    ['lavapipe', 'software-vulkan'],
    ['h100', 'nvidia-h100'],
    ['h100DriverDescription', 'nvidia-h100'],
    ['h200', 'nvidia-h200'],
    ['rtx4090', 'generic-gpu'],
    ['appleM2', 'apple-silicon'],
  ] as const)('a %s machine gets %s', (machine, expected) => {
    expect(chosen(machines[machine])).toBe(expected);
  });

  it('gives the reasons the profile matched and why it beat the runner-up', () => {
    const choice = chooseProfile(machines.h100, builtIns);
    expect(choice.reasons).toEqual([
      'GPU vendor is "nvidia"',
      'GPU "NVIDIA H100 80GB HBM3" includes "H100"',
      'the adapter is a hardware GPU',
      'priority 100 beats generic-gpu (50)',
    ]);
  });

  it('ranks every profile: matching ones in winning order, then the rest, each rule with its outcome', () => {
    const { ranked } = chooseProfile(machines.lavapipe, builtIns);
    expect(ranked.filter((e) => e.matched).map((e) => e.profile.name)).toEqual(['software-vulkan', 'cpu-simd', 'cpu-scalar']);
    expect(ranked.slice(0, 3).every((e) => e.matched)).toBe(true);
    const h100 = ranked.find((e) => e.profile.name === 'nvidia-h100');
    expect(h100?.matched).toBe(false);
    expect(h100?.rules.find((r) => r.rule === 'gpuVendor')).toEqual({
      rule: 'gpuVendor',
      ok: false,
      detail: 'GPU vendor is "mesa", not "nvidia"',
    });
    expect(h100?.rules.find((r) => r.rule === 'softwareGpu')).toMatchObject({
      ok: false,
      detail: 'the adapter is a software rasteriser',
    });
  });

  it('fails every GPU rule, with the reason, when there is no adapter', () => {
    const { ranked } = chooseProfile(machines.simdNoGpu, builtIns);
    const generic = ranked.find((e) => e.profile.name === 'generic-gpu');
    expect(generic?.rules).toEqual([{ rule: 'softwareGpu', ok: false, detail: 'no WebGPU adapter (Dawn found no adapter)' }]);
  });
});

describe('chooseProfile: priority and ties', () => {
  const facts = machines.h100;

  it('prefers the higher priority over the more specific profile', () => {
    const broad = profile('broad', 10, {});
    const narrow = profile('narrow', 5, { gpuVendor: 'nvidia', wasmSimd: true });
    const choice = chooseProfile(facts, [narrow, broad]);
    expect(choice.profile.name).toBe('broad');
    expect(choice.reasons.at(-1)).toBe('priority 10 beats narrow (5)');
  });

  it('on equal priority, prefers the profile with more match rules', () => {
    const one = profile('one-rule', 7, { gpuVendor: 'nvidia' });
    const two = profile('two-rules', 7, { gpuVendor: 'nvidia', minCores: 4 });
    const choice = chooseProfile(facts, [one, two]);
    expect(choice.profile.name).toBe('two-rules');
    expect(choice.reasons.at(-1)).toBe('same priority as one-rule, but 2 match rules against 1');
  });

  it('on equal priority and rule count, takes the first name alphabetically, whatever the input order', () => {
    const b = profile('bravo', 7, { wasmSimd: true });
    const a = profile('alpha', 7, { minCores: 1 });
    expect(chooseProfile(facts, [b, a]).profile.name).toBe('alpha');
    expect(chooseProfile(facts, [a, b]).profile.name).toBe('alpha');
  });

  it('never picks a non-matching profile, however high its priority', () => {
    const impossible = profile('impossible', 1000, { minCores: 10_000 });
    const floor = profile('floor', 0, {});
    const choice = chooseProfile(facts, [impossible, floor]);
    expect(choice.profile.name).toBe('floor');
    expect(choice.reasons).toEqual(['no match rules: applies to every machine', 'the only matching profile']);
  });

  it('throws a typed error listing each failed rule when nothing matches', () => {
    const run = () =>
      chooseProfile(facts, [profile('huge', 1, { minMemoryGiB: 4096 }), profile('mac', 1, { platform: 'darwin' })]);
    expect(run).toThrow(NoMatchingHardwareProfileError);
    expect(run).toThrow(/huge: 128 GiB < 4096 GiB/);
    expect(run).toThrow(/mac: platform is "linux", not "darwin"/);
  });

  it('matches text rules case-insensitively and minimums inclusively', () => {
    const p = profile('exact', 1, { gpuVendor: 'NVIDIA', gpuDescriptionIncludes: 'h100 80gb', minCores: 16, minMemoryGiB: 128 });
    expect(chooseProfile(facts, [p]).profile.name).toBe('exact');
  });
});

describe('loading profile files', () => {
  it('loadProfileFile names the file when it is unreadable, not JSON, or invalid', () => {
    const missing = join(dir, 'missing.json');
    expect(() => loadProfileFile(missing)).toThrow(InvalidHardwareProfileError);
    expect(() => loadProfileFile(missing)).toThrow(/missing\.json:\n {2}\(document\): cannot be read/);

    const notJson = join(dir, 'not-json.json');
    writeFileSync(notJson, '{ "name": ');
    expect(() => loadProfileFile(notJson)).toThrow(/not-json\.json:\n {2}\(document\): is not JSON/);

    const invalid = join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ ...profile('bad', 1, {}), precision: 'f16' }));
    try {
      loadProfileFile(invalid);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidHardwareProfileError);
      expect((error as InvalidHardwareProfileError).file).toBe(invalid);
      expect((error as InvalidHardwareProfileError).problems).toEqual([
        { path: '/precision', message: 'must be one of "df64", "f32"; got "f16"' },
      ]);
    }
  });

  it('a user profile joins the built-ins, and replaces a built-in of the same name', () => {
    const mine = join(dir, 'mine.json');
    writeFileSync(mine, JSON.stringify(profile('my-box', 500, { wasmSimd: true })));
    const calibrated = join(dir, 'calibrated-h100.json');
    writeFileSync(calibrated, JSON.stringify({ ...profile('nvidia-h100', 100, { gpuVendor: 'nvidia' }), crossoverRows: 4096 }));

    const all = loadProfiles([mine, calibrated]);
    const names = all.map((p) => p.profile.name);
    expect(names.filter((n) => n === 'nvidia-h100')).toHaveLength(1);
    expect(all.find((p) => p.profile.name === 'nvidia-h100')).toMatchObject({ file: calibrated, builtIn: false });
    expect(all.find((p) => p.profile.name === 'my-box')?.builtIn).toBe(false);
    expect(names.length).toBe(loadBuiltInProfiles().length + 1);
    expect(
      chooseProfile(
        machines.lavapipe,
        all.map((p) => p.profile),
      ).profile.name,
    ).toBe('my-box');
  });

  it('refuses two user profiles with one name, and two files with one name in a folder', () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, JSON.stringify(profile('same', 1, {})));
    writeFileSync(b, JSON.stringify(profile('same', 2, {})));
    expect(() => loadProfiles([a, b])).toThrow(DuplicateHardwareProfileError);
    const folder = mkdtempSync(join(dir, 'folder-'));
    writeFileSync(join(folder, 'a.json'), JSON.stringify(profile('same', 1, {})));
    writeFileSync(join(folder, 'b.json'), JSON.stringify(profile('same', 2, {})));
    expect(() => loadBuiltInProfiles(folder)).toThrow(/"same" is defined twice/);
  });
});
