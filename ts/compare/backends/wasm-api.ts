/**
 * The few pieces of the WebAssembly JS API the wasm backends use, typed here. The project's
 * `lib` is ES2022 without the DOM, so TypeScript has no `WebAssembly` declarations; declaring a
 * global namespace would clash with any other module (or a later `lib`) that does. Reading it
 * off `globalThis` through a local interface keeps the declarations private to these backends.
 */

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

/**
 * `(module (func (result v128) i32.const 0 i8x16.splat))`: the smallest function whose validation
 * needs SIMD (a v128 result and a 0xfd-prefixed opcode). Validating it asks the engine itself.
 */
const SIMD_PROBE_MODULE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // magic "\0asm", version 1
  0x01,
  0x05,
  0x01,
  0x60,
  0x00,
  0x01,
  0x7b, // type section: one func type () -> v128
  0x03,
  0x02,
  0x01,
  0x00, // function section: one function of type 0
  0x0a,
  0x08,
  0x01,
  0x06,
  0x00,
  0x41,
  0x00,
  0xfd,
  0x0f,
  0x0b, // code: no locals, i32.const 0, i8x16.splat, end
]);

/** Whether this engine compiles WebAssembly SIMD. */
export function wasmSimdSupported(): boolean {
  try {
    return webAssemblyApi()?.validate(SIMD_PROBE_MODULE) === true;
  } catch {
    return false;
  }
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
