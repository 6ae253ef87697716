/**
 * The few pieces of the WebAssembly JS API the wasm backends use, typed here. The project's
 * `lib` is ES2022 without the DOM, so TypeScript has no `WebAssembly` declarations; declaring a
 * global namespace would clash with any other module (or a later `lib`) that does. Reading it
 * off `globalThis` through a local interface keeps the declarations private to these backends.
 */

import { detectWasmSimd } from '../../hardware/wasm-simd.js';

/** A compiled module; opaque, and can be posted to worker threads. */
export interface WasmModule {
  readonly __wasmModule: unique symbol;
}

/** `WebAssembly.Memory`. A shared memory's `buffer` is a SharedArrayBuffer, replaced by a longer one after each grow. */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  /** Grows by `pages` 64 KiB pages; returns the previous size in pages; throws a RangeError past the maximum. */
  grow(pages: number): number;
}

export interface WasmInstance {
  readonly exports: Readonly<Record<string, unknown>>;
}

interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
}

/** Bytes per WebAssembly page. */
export const WASM_PAGE_BYTES = 65_536;

/** The engine's WebAssembly API, or undefined in a runtime without one. */
export function webAssemblyApi(): WebAssemblyApi | undefined {
  return (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
}

/** Whether this engine compiles WebAssembly SIMD (the same probe module `wfmirror detect` validates). */
export function wasmSimdSupported(): boolean {
  return detectWasmSimd();
}

/** Whether this engine can create a shared WebAssembly memory (the threads proposal; every backend here needs one). */
export function sharedWasmMemorySupported(): boolean {
  try {
    const api = webAssemblyApi();
    return api !== undefined && new api.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}
