/**
 * The worker of the `piscina` comparison backend (`piscina.ts`). Plain JavaScript on purpose: a
 * worker thread gets no TypeScript transform (vitest transforms .ts in the main thread only), so
 * this one file loads the same way from the sources and from `dist/` (the build copies it there).
 *
 * workerData carries the compiled kernel (a WebAssembly.Module) and the comparator's shared
 * WebAssembly.Memory. Every worker instantiates the same module on the same memory: a task is
 * only the kernel's arguments (byte offsets into that memory, see `KernelCall` in
 * `wasm-staging.ts`), so no matrix is copied to or from a worker. The shard's outputs are written
 * by the kernel into the shared memory, where the main thread reads them.
 */
import { workerData } from 'node:worker_threads';

const { module, memory } = workerData;
const kernel = new WebAssembly.Instance(module, { env: { memory } }).exports;

/** Compares one shard; returns its row count (the main thread checks nothing else). */
export default function compareShard(call) {
  kernel.compareRows(
    call.primary,
    call.mirror,
    call.rowCount,
    call.stride,
    call.fieldCount,
    call.table,
    call.missingWeight,
    call.deviation,
    call.affected,
  );
  return call.rowCount;
}
