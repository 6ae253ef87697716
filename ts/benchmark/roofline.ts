/**
 * The memory-bandwidth roofline of this machine: a plain float64 sum (wasm SIMD,
 * `assembly/roofline.ts`, built to `build/wasm/roofline.wasm`, which the package ships) over the
 * same two matrices a comparison reads, on the calling thread and on N worker threads over one
 * shared memory. Bytes read / time is the most any kernel that reads those bytes once reaches here.
 *
 * The same code as the benchmark suite's `bench/roofline.ts`, here so that the installed CLI does
 * not depend on the suite, which is a development tool.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { assetPath } from '../assets.js';
import {
  sharedWasmMemorySupported,
  type WasmMemory,
  type WasmModule,
  wasmSimdSupported,
  webAssemblyApi,
} from '../compare/backends/wasm-api.js';
import { RooflineUnavailableError } from './errors.js';

/** Package-relative path of the roofline module. */
export const ROOFLINE_WASM = 'build/wasm/roofline.wasm';

interface RooflineExports {
  sumF64(ptr: number, count: number): number;
}

/**
 * The compiled roofline module (it imports a shared memory, as the comparison kernels do).
 * @throws RooflineUnavailableError when the file is missing or this engine lacks SIMD or shared memory
 */
export async function loadRooflineModule(): Promise<WasmModule> {
  const api = webAssemblyApi();
  if (api === undefined) throw new RooflineUnavailableError('this runtime has no WebAssembly');
  if (!wasmSimdSupported())
    throw new RooflineUnavailableError('this engine has no WebAssembly SIMD, which the roofline sum uses');
  if (!sharedWasmMemorySupported()) throw new RooflineUnavailableError('this engine cannot create a shared WebAssembly memory');
  const path = assetPath(ROOFLINE_WASM);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new RooflineUnavailableError(`roofline module not found at ${path}: run \`npm run build:wasm\``, { cause });
  }
  try {
    return await api.compile(bytes);
  } catch (cause) {
    throw new RooflineUnavailableError(`roofline module ${path} does not compile: ${String(cause)}`, { cause });
  }
}

/** A summer of arrays that live in `memory`, on the calling thread. */
export function singleThreadSum(module: WasmModule, memory: WasmMemory): (arrays: readonly Float64Array[]) => number {
  const { sumF64 } = new (webAssemblyApi()!.Instance)(module, { env: { memory } }).exports as unknown as RooflineExports;
  return (arrays) => {
    let total = 0;
    for (const a of arrays) total += sumF64(a.byteOffset, a.length);
    return total;
  };
}

// Plain CommonJS evaluated in each worker (no file to find once installed): it instantiates the
// module on the shared memory and sums what it is asked.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { sumF64 } = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports;
parentPort.on('message', (m) => parentPort.postMessage(sumF64(m.ptr, m.count)));
`;

/** N workers summing shards of arrays that live in `memory` (shared), split the way the piscina backend splits rows. */
export class ThreadedSum {
  readonly #workers: Worker[];
  /** The first error of a worker, kept so that a worker dying between sums fails the next sum instead of crashing or hanging it. */
  #failure: unknown;

  constructor(module: WasmModule, memory: WasmMemory, threads: number) {
    this.#workers = Array.from({ length: threads }, () => {
      const worker = new Worker(WORKER, { eval: true, workerData: { module, memory } });
      worker.on('error', (error) => {
        this.#failure ??= error;
      });
      return worker;
    });
  }

  get threads(): number {
    return this.#workers.length;
  }

  /** Each array is cut into one contiguous shard per worker (64-byte multiples); resolves with the total. */
  async sum(arrays: readonly Float64Array[]): Promise<number> {
    if (this.#failure !== undefined) throw this.#failure;
    const n = this.#workers.length;
    const parts = this.#workers.map(
      (worker, w) =>
        new Promise<number>((resolve, reject) => {
          const shards = arrays.map((a) => {
            const per = Math.ceil(a.length / n / 8) * 8;
            const from = Math.min(a.length, w * per);
            return { ptr: a.byteOffset + from * 8, count: Math.min(a.length, from + per) - from };
          });
          let pending = shards.length;
          let total = 0;
          const onExit = (code: number) => {
            done();
            reject(this.#failure ?? new Error(`a roofline worker exited (code ${code}) during a sum`));
          };
          const onMessage = (s: number) => {
            total += s;
            if (--pending === 0) {
              done();
              resolve(total);
            }
          };
          const done = () => {
            worker.off('message', onMessage);
            worker.off('exit', onExit);
          };
          worker.on('message', onMessage);
          worker.on('exit', onExit);
          for (const shard of shards) worker.postMessage(shard);
        }),
    );
    return (await Promise.all(parts)).reduce((x, y) => x + y, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
