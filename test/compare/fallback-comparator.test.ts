/**
 * The fallback chain: a backend that fails at run time is marked failed once, and the batch it
 * dropped is redone on the next backend, so every comparison still gets the oracle's answer.
 */
import { describe, expect, it } from 'vitest';
import type { BackendName } from '../../ts/compare/backend.js';
import { compareRowsSync, createJsComparator } from '../../ts/compare/backends/js.js';
import type { Comparator } from '../../ts/compare/comparator.js';
import { AllBackendsFailedError, ComparisonInputError } from '../../ts/compare/errors.js';
import { FallbackComparator, type FallbackEvent } from '../../ts/compare/fallback-comparator.js';
import { expectSameResult, randomLayout, randomMatrices } from './conformance.js';

/** A comparator that answers like the reference for `okBatches` batches, then throws (a device lost mid-run). */
function failingAfter(okBatches: number, name = 'flaky'): Comparator & { calls: number; disposed: boolean } {
  const js = createJsComparator();
  const c = {
    name,
    calls: 0,
    disposed: false,
    async compare(...args: Parameters<Comparator['compare']>) {
      c.calls++;
      if (c.calls > okBatches) throw new Error('device lost');
      return js.compare(...args);
    },
    dispose() {
      c.disposed = true;
    },
  };
  return c;
}

/** A comparator that records which batches reached it. */
function recording(name: string): Comparator & { rows: number[] } {
  const js = createJsComparator();
  const c = {
    name,
    rows: [] as number[],
    async compare(...args: Parameters<Comparator['compare']>) {
      c.rows.push(args[3]?.rowCount ?? -1);
      return js.compare(...args);
    },
    dispose() {},
  };
  return c;
}

const layout = randomLayout(33, 7);
const { primary, mirror } = randomMatrices(layout, 200, 8);

describe('FallbackComparator', () => {
  it('redoes a batch whose backend fails mid-run on the next one, with the right result, and tells it once', async () => {
    const flaky = failingAfter(2);
    const events: FallbackEvent[] = [];
    const chain = new FallbackComparator(
      [
        { name: 'webgpu', comparator: flaky, onCpu: false },
        { name: 'js', comparator: createJsComparator(), onCpu: true },
      ],
      { onFallback: (e) => events.push(e) },
    );
    expect(chain.name).toBe('webgpu');
    for (let batch = 0; batch < 6; batch++) {
      const options = { rowStart: batch * 30, rowCount: 30 };
      expectSameResult(await chain.compare(primary, mirror, layout, options), compareRowsSync(primary, mirror, layout, options));
    }
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ failed: 'webgpu', next: 'js' });
    expect((events[0]!.error as Error).message).toBe('device lost');
    // The failed backend is not asked again: 2 good batches and the one that failed.
    expect(flaky.calls).toBe(3);
    expect(chain.name).toBe('js');
    expect(chain.stats()).toEqual({ batches: { webgpu: 2, js: 4 }, failed: ['webgpu'] });
    chain.dispose();
    expect(flaky.disposed).toBe(true);
  });

  it('walks several failed backends in order before the reference answers', async () => {
    const events: FallbackEvent[] = [];
    const chain = new FallbackComparator(
      [
        { name: 'webgpu', comparator: failingAfter(0), onCpu: false },
        { name: 'wasm-simd', comparator: failingAfter(0), onCpu: true },
        { name: 'js', comparator: createJsComparator(), onCpu: true },
      ],
      { onFallback: (e) => events.push(e) },
    );
    expectSameResult(await chain.compare(primary, mirror, layout), compareRowsSync(primary, mirror, layout));
    expect(events.map((e) => [e.failed, e.next])).toEqual([
      ['webgpu', 'wasm-simd'],
      ['wasm-simd', 'js'],
    ]);
  });

  it('passes invalid input to the caller without marking the backend failed', async () => {
    const gpu = recording('webgpu');
    const events: FallbackEvent[] = [];
    const chain = new FallbackComparator(
      [
        { name: 'webgpu', comparator: gpu, onCpu: false },
        { name: 'js', comparator: createJsComparator(), onCpu: true },
      ],
      { onFallback: (e) => events.push(e) },
    );
    await expect(chain.compare(primary, mirror, layout, { rowStart: 500 })).rejects.toBeInstanceOf(ComparisonInputError);
    expect(events).toEqual([]);
    expect(chain.stats().failed).toEqual([]);
    await chain.compare(primary, mirror, layout, { rowCount: 10 });
    expect(chain.stats().batches).toEqual({ webgpu: 1 });
  });

  it('sends batches under the crossover to the first CPU backend and larger ones to the head', async () => {
    const gpu = recording('webgpu');
    const cpu = recording('wasm-simd');
    const chain = new FallbackComparator(
      [
        { name: 'webgpu', comparator: gpu, onCpu: false },
        { name: 'wasm-simd', comparator: cpu, onCpu: true },
        { name: 'js', comparator: createJsComparator(), onCpu: true },
      ],
      { crossoverRows: 100 },
    );
    await chain.compare(primary, mirror, layout, { rowCount: 99 });
    await chain.compare(primary, mirror, layout, { rowCount: 100 });
    await chain.compare(primary, mirror, layout); // all 200 rows
    expect(cpu.rows).toEqual([99]);
    expect(gpu.rows).toEqual([100, -1]);
  });

  it('rejects with AllBackendsFailedError, the last error as cause, when no link is left', async () => {
    const chain = new FallbackComparator([{ name: 'webgpu' as BackendName, comparator: failingAfter(0), onCpu: false }], {
      onFallback: () => undefined,
    });
    const error = await chain.compare(primary, mirror, layout).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllBackendsFailedError);
    expect((error as AllBackendsFailedError).code).toBe('ALL_BACKENDS_FAILED');
    expect(((error as Error).cause as Error).message).toBe('device lost');
  });

  it('creates a later link only when a batch reaches it, and treats a failed creation as a failed backend', async () => {
    let opened = 0;
    const events: FallbackEvent[] = [];
    const chain = new FallbackComparator(
      [
        { name: 'wasm-simd', comparator: failingAfter(1), onCpu: true },
        {
          name: 'webgpu',
          onCpu: false,
          open: async () => {
            opened++;
            throw new Error('no adapter');
          },
        },
        {
          name: 'js',
          onCpu: true,
          open: async () => {
            opened++;
            return createJsComparator();
          },
        },
      ],
      { onFallback: (e) => events.push(e) },
    );
    await chain.compare(primary, mirror, layout);
    expect(opened).toBe(0);
    expectSameResult(await chain.compare(primary, mirror, layout), compareRowsSync(primary, mirror, layout));
    expect(opened).toBe(2);
    expect(events.map((e) => e.failed)).toEqual(['wasm-simd', 'webgpu']);
    expect((events[1]!.error as Error).message).toBe('no adapter');
  });
});
