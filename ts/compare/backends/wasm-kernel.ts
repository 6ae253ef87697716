/**
 * Finds, compiles and instantiates the deviation kernel (`assembly/compare.ts`, built by
 * `npm run build:wasm` into `build/wasm/compare-{simd,scalar}.wasm`). A compiled module is cached
 * per file for the process: every comparator, and every worker thread it is posted to, instantiates
 * the same module on its own shared memory.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { assetPath } from '../../assets.js';
import { type WasmMemory, type WasmModule, webAssemblyApi } from './wasm-api.js';
import { WasmKernelInvalidError, WasmKernelMissingError, WasmUnsupportedError } from './wasm-errors.js';

/** The two builds of the one kernel source. */
export type KernelVariant = 'simd' | 'scalar';

/** The kernel's exports (see `assembly/compare.ts`); every pointer is a byte offset in the shared memory. */
export interface KernelExports {
  /** Bytes of the folded layout table for `fieldCount` fields. */
  layoutTableBytes(fieldCount: number): number;
  /** Folds weights (f64), tolerances (f64) and kinds (u8) into the table at `table`. */
  prepareLayout(weights: number, tolerances: number, categorical: number, fieldCount: number, table: number): void;
  /** Compares `rowCount` rows from the given first rows; writes deviations (f64) and mask words (u32). */
  compareRows(
    primary: number,
    mirror: number,
    rowCount: number,
    stride: number,
    fieldCount: number,
    table: number,
    missingWeight: number,
    deviation: number,
    affected: number,
  ): void;
}

const EXPORTS = ['layoutTableBytes', 'prepareLayout', 'compareRows'] as const;

/** Where the build puts `variant` (under the package root, so from ts/ and from dist/ alike). */
export function kernelPath(variant: KernelVariant): string {
  return assetPath(`build/wasm/compare-${variant}.wasm`);
}

const modules = new Map<string, Promise<WasmModule>>();

/**
 * The compiled kernel, cached per file. A failure is not cached, so a build run afterwards is seen.
 * @throws WasmKernelMissingError when the file is not there; WasmKernelInvalidError when it does not
 *   compile; WasmUnsupportedError without WebAssembly.
 */
export function loadKernelModule(variant: KernelVariant): Promise<WasmModule> {
  return loadKernelModuleFrom(kernelPath(variant));
}

/** {@link loadKernelModule} for an explicit file (tests point it at a missing or broken one). */
export function loadKernelModuleFrom(path: string): Promise<WasmModule> {
  let module = modules.get(path);
  if (module === undefined) {
    module = compileKernel(path);
    modules.set(path, module);
    module.catch(() => modules.delete(path));
  }
  return module;
}

async function compileKernel(path: string): Promise<WasmModule> {
  const api = webAssemblyApi();
  if (api === undefined) throw new WasmUnsupportedError('this runtime has no WebAssembly');
  if (!existsSync(path)) throw new WasmKernelMissingError(path);
  const bytes = await readFile(path);
  try {
    return await api.compile(bytes);
  } catch (cause) {
    throw new WasmKernelInvalidError(path, `it does not compile here (${String(cause)})`, { cause });
  }
}

/**
 * Instantiates `module` on `memory` and checks its exports.
 * @throws WasmKernelInvalidError when instantiation fails or an export is missing.
 */
export function instantiateKernel(module: WasmModule, memory: WasmMemory, path: string): KernelExports {
  const api = webAssemblyApi();
  if (api === undefined) throw new WasmUnsupportedError('this runtime has no WebAssembly');
  let exports: Readonly<Record<string, unknown>>;
  try {
    exports = new api.Instance(module, { env: { memory } }).exports;
  } catch (cause) {
    throw new WasmKernelInvalidError(path, `it does not instantiate on a shared memory (${String(cause)})`, { cause });
  }
  for (const name of EXPORTS) {
    if (typeof exports[name] !== 'function') throw new WasmKernelInvalidError(path, `it has no exported function ${name}`);
  }
  return exports as unknown as KernelExports;
}
