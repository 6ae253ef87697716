/**
 * WebAssembly SIMD detection by validating a module that needs it (the habit of as-sha256's
 * `src/wasm.ts`): the engine says what it can compile, whatever the platform or flags.
 */

/**
 * `(module (func (result v128) i32.const 0 i8x16.splat))`: the smallest function whose validation
 * needs the SIMD proposal (a v128 result type and a 0xfd-prefixed opcode).
 */
// biome-ignore format: one line per wasm section reads as the module's structure
export const SIMD_PROBE_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic "\0asm", version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: one func type () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b, // code: no locals, i32.const 0, i8x16.splat, end
]);

/** `WebAssembly.validate` of this engine, if it has WebAssembly (the project's `lib` declares no `WebAssembly`). */
function engineValidate(bytes: Uint8Array): boolean {
  const api = (globalThis as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
  return api?.validate(bytes) === true;
}

/** Whether this engine validates a SIMD module. `validate` is injectable for tests. */
export function detectWasmSimd(validate: (bytes: Uint8Array) => boolean = engineValidate): boolean {
  try {
    return validate(SIMD_PROBE_MODULE) === true;
  } catch {
    // An engine without WebAssembly at all (a locked-down runtime) has no SIMD either.
    return false;
  }
}
