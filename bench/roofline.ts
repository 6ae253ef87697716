/**
 * The memory-bandwidth roofline of this machine, as the comparator benchmark measures it: a plain
 * float64 sum (wasm SIMD, `assembly/roofline.ts`) over the same arrays the comparison reads, on
 * one thread and on N worker threads over the same shared memory. bytes read / time is the most
 * any kernel that reads those bytes once can reach here.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { assetPath } from '../ts/assets.js';
import { type WasmMemory, type WasmModule, webAssemblyApi } from '../ts/compare/backends/wasm-api.js';

interface RooflineExports {
  sumF64(ptr: number, count: number): number;
}

/** A compiled roofline module (shared-memory import, as the comparison kernels). */
export async function rooflineModule(): Promise<WasmModule> {
  return webAssemblyApi()!.compile(readFileSync(assetPath('build/wasm/roofline.wasm')));
}

/** Sums arrays living in `memory` on the calling thread. */
export function singleThreadRoofline(module: WasmModule, memory: WasmMemory): (arrays: readonly Float64Array[]) => number {
  const { sumF64 } = new (webAssemblyApi()!.Instance)(module, { env: { memory } }).exports as unknown as RooflineExports;
  return (arrays) => {
    let total = 0;
    for (const a of arrays) total += sumF64(a.byteOffset, a.length);
    return total;
  };
}

// Plain CommonJS evaluated in each worker: it instantiates the module on the shared memory and sums what it is asked.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { sumF64 } = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports;
parentPort.on('message', (m) => parentPort.postMessage(sumF64(m.ptr, m.count)));
`;

/** N workers summing shards of arrays living in `memory` (shared), the way the piscina backend splits rows. */
export class ThreadedRoofline {
  readonly #workers: Worker[];

  constructor(module: WasmModule, memory: WasmMemory, threads: number) {
    this.#workers = Array.from({ length: threads }, () => new Worker(WORKER, { eval: true, workerData: { module, memory } }));
  }

  /** Each array is cut into one contiguous shard per worker; resolves with the total. */
  async sum(arrays: readonly Float64Array[]): Promise<number> {
    const n = this.#workers.length;
    const parts = this.#workers.map(
      (worker, w) =>
        new Promise<number>((resolve, reject) => {
          let pending = arrays.length;
          let total = 0;
          const onMessage = (s: number) => {
            total += s;
            if (--pending === 0) {
              worker.off('message', onMessage);
              worker.off('error', reject);
              resolve(total);
            }
          };
          worker.on('message', onMessage);
          worker.once('error', reject);
          for (const a of arrays) {
            const per = Math.ceil(a.length / n / 8) * 8;
            const from = Math.min(a.length, w * per);
            const count = Math.min(a.length, from + per) - from;
            worker.postMessage({ ptr: a.byteOffset + from * 8, count });
          }
        }),
    );
    return (await Promise.all(parts)).reduce((x, y) => x + y, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
