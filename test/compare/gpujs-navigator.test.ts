/**
 * gpu.js's webgpu mode reads the global navigator.gpu; the backend installs Dawn's there only when
 * there is none, and never replaces a host's own (a browser-like runtime, a test harness).
 * Its own file: it changes globalThis.navigator, and vitest runs each file in its own process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { provideNavigatorGpu } from '../../ts/compare/backends/gpujs-loader.js';

type Holder = { navigator?: { gpu?: unknown } };
const holder = globalThis as Holder;
/** What navigator.gpu is now (a function, so TypeScript does not narrow it across awaits). */
const currentGpu = (): { requestAdapter?: unknown } | undefined =>
  (globalThis as Holder).navigator?.gpu as { requestAdapter?: unknown };
const original = Object.getOwnPropertyDescriptor(globalThis, 'navigator');

afterEach(() => {
  if (original === undefined) delete holder.navigator;
  else Object.defineProperty(globalThis, 'navigator', original);
});

describe('navigator.gpu for gpu.js', () => {
  it('keeps a navigator.gpu that is already there', async () => {
    const own = { requestAdapter: async () => null };
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: own }, configurable: true, writable: true });
    await expect(provideNavigatorGpu()).resolves.toEqual({ ok: true });
    expect(currentGpu()).toBe(own);
  });

  it('installs Dawn when there is a navigator without gpu, or no navigator at all', async () => {
    Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'test' }, configurable: true, writable: true });
    const result = await provideNavigatorGpu();
    if (!result.ok) return expect(result.reason).toMatch(/did not load/);
    expect(typeof currentGpu()?.requestAdapter).toBe('function');
    expect((holder.navigator as { userAgent?: string }).userAgent).toBe('test');

    delete holder.navigator;
    await expect(provideNavigatorGpu()).resolves.toEqual({ ok: true });
    expect(typeof currentGpu()?.requestAdapter).toBe('function');
  });
});
