/**
 * createComparator: which chain a choice and a profile give, the errors for bad choices, and the
 * library path end to end (a WorkflowMirror on wasm-simd keeps its fleets in the wasm arena).
 */
import { describe, expect, it } from 'vitest';
import { order, simulatedOrderActivities } from '../../examples/order.js';
import type { WasmComparator } from '../../ts/compare/backends/wasm.js';
import { UnknownBackendError } from '../../ts/compare/errors.js';
import { createComparator } from '../../ts/compare/select-backend.js';
import { InvalidHardwareProfileError, UnknownHardwareProfileError } from '../../ts/hardware/errors.js';
import { loadBuiltInProfiles } from '../../ts/hardware/profiles.js';
import { VirtualClock, WorkflowMirror } from '../../ts/index.js';
import { machines } from '../hardware/machines.js';
import { randomLayout, randomMatrices } from './conformance.js';

describe('createComparator', () => {
  it('follows the detected profile for auto: a SIMD machine without GPU starts on wasm-simd and ends on js', async () => {
    const c = await createComparator({ facts: machines.simdNoGpu });
    expect(c.name).toBe('wasm-simd');
    expect(c.chain[c.chain.length - 1]).toBe('js');
    expect(c.storage).toBeDefined();
    c.dispose();
  });

  it('follows a built-in profile given by name', async () => {
    const c = await createComparator({ profile: 'cpu-scalar' });
    const profile = loadBuiltInProfiles().find((f) => f.profile.name === 'cpu-scalar')!.profile;
    expect(c.chain).toEqual(profile.backendOrder);
    c.dispose();
  });

  it('puts a backend asked for by name first, then js when no profile is given', async () => {
    const c = await createComparator('wasm-scalar');
    expect(c.chain).toEqual(['wasm-scalar', 'js']);
    const layout = randomLayout(12, 1);
    const { primary, mirror } = randomMatrices(layout, 50, 2);
    await c.compare(primary, mirror, layout);
    expect(c.stats().batches).toEqual({ 'wasm-scalar': 1 });
    c.dispose();
  });

  it('refuses an unknown backend, an unknown profile name and an invalid profile with typed errors', async () => {
    await expect(createComparator({ backend: 'cuda' as never })).rejects.toBeInstanceOf(UnknownBackendError);
    await expect(createComparator({ profile: 'nvidia-b200' })).rejects.toBeInstanceOf(UnknownHardwareProfileError);
    await expect(createComparator({ profile: { name: 'x' } as never })).rejects.toBeInstanceOf(InvalidHardwareProfileError);
  });
});

describe('WorkflowMirror with an accelerator', () => {
  it('allocates the fleets in the wasm arena, so fleet comparisons read them in place', async () => {
    const wm = await WorkflowMirror.open({
      workflows: [order],
      activities: simulatedOrderActivities(),
      log: { kind: 'memory' },
      clock: new VirtualClock(0),
      accelerator: { backend: 'wasm-simd' },
      anomalies: { store: false },
    });
    for (let i = 0; i < 100; i++) await wm.start('order', `o-${i}`, { amount: 10 + i, items: 1, express: false });
    await wm.settle();
    const rounds = await wm.compareAll();
    expect(rounds.reduce((n, r) => n + r.compared, 0)).toBe(100);
    expect(wm.stats().backend).toBe('wasm-simd');
    expect(wm.comparator.stats().batches['wasm-simd']).toBeGreaterThan(0);
    const wasm = wm.comparator.backend('wasm-simd') as WasmComparator;
    expect(wasm.stats.zeroCopyInputs).toBeGreaterThan(0);
    expect(wasm.stats.copiedInputs).toBe(0);
    await wm.close();
  });
});
