/**
 * One staging region reused by every synchronous comparison of a comparator, so a periodic
 * comparison of a fleet allocates nothing in the arena after its first call. It only grows (to the
 * largest comparison seen); the memory of a WebAssembly instance never shrinks anyway.
 */
import type { WasmArena } from './wasm-memory.js';

export class ReusableScratch {
  #offset = 0;
  #bytes = 0;

  constructor(private readonly arena: WasmArena) {}

  /**
   * The offset of a region of at least `bytes`. Valid until the next call: only for comparisons
   * that run to completion on the calling thread before anything else can use it.
   */
  take(bytes: number): number {
    if (bytes > this.#bytes) {
      // Nothing reads the old region: the comparison that used it finished synchronously.
      if (this.#bytes > 0) this.arena.freeBlock(this.#offset);
      this.#bytes = Math.max(bytes, 4096);
      this.#offset = this.arena.allocateBlock(this.#bytes);
    }
    return this.#offset;
  }
}
