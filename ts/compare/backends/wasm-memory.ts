/**
 * An arena over one shared WebAssembly memory: the {@link MatrixStorage} of the wasm and piscina
 * backends, and the place their kernels read and write. State matrices allocated here are compared
 * in place (zero-copy); worker threads run the same kernel on the same memory.
 *
 * Blocks are 16-byte aligned (the kernel's v128 loads) and never move: the memory only grows, and
 * a shared memory grows in place (its pages are reserved up to the maximum at creation), so an
 * array handed out stays valid forever, across every grow.
 *
 * "Is this array in my memory?": after a grow, `memory.buffer` is a new, longer SharedArrayBuffer
 * object over the same bytes, while views made before keep the older object. Every view this arena
 * makes is built on the buffer object current at that moment, and each such object is recorded
 * (one per grow, see {@link WasmArena.owns}); a view is in the memory exactly when its `buffer` is
 * one of them. Identity, not address or length, so an unrelated SharedArrayBuffer never passes.
 *
 * Releases wait for comparisons: a comparison that runs on worker threads reads its matrices while
 * the main thread goes on, so a released block returns to the free list only once every comparison
 * that began before the release has ended ({@link WasmArena.beginComparison}). Blocks are reused
 * best-fit, coalesced with free neighbours; bytes never written since the memory grew are known to
 * be zero, so only reused bytes are cleared.
 */
import type { MatrixStorage } from '../matrix-storage.js';
import { WASM_PAGE_BYTES, type WasmMemory, webAssemblyApi } from './wasm-api.js';
import { StorageAllocationError, StorageReleaseError, WasmMemoryExhaustedError, WasmUnsupportedError } from './wasm-errors.js';

/**
 * The memory's maximum in pages: 65536 = 4 GiB, all a wasm32 pointer reaches. A shared memory
 * must declare a maximum; it reserves address space, not RAM. Must equal `maximumMemory` in
 * asconfig.json (an imported memory's maximum may not exceed the module's).
 */
export const MAX_MEMORY_PAGES = 65_536;

/** Page 0 is never handed out, so offset 0 is never a block (the kernel has no static data either). */
const ARENA_START = WASM_PAGE_BYTES;
const ALIGN = 16;

interface FreeBlock {
  offset: number;
  bytes: number;
}

interface PendingRelease {
  readonly offset: number;
  readonly bytes: number;
  /** The last comparison ticket issued before the release: only tickets <= this can still read the block. */
  readonly afterTicket: number;
}

export interface WasmArenaOptions {
  /** Initial size in pages (default 16 = 1 MiB). */
  readonly initialPages?: number;
  /** Maximum size in pages (default {@link MAX_MEMORY_PAGES}); smaller only to test exhaustion. */
  readonly maximumPages?: number;
}

/** Counters a test or a caller can read. */
export interface WasmArenaStats {
  /** Current size of the memory in bytes. */
  readonly memoryBytes: number;
  /** Blocks handed out and not yet released. */
  readonly liveBlocks: number;
  /** Released blocks still waiting for comparisons that began before their release. */
  readonly pendingReleases: number;
  /** Comparisons begun and not yet ended. */
  readonly comparisonsInFlight: number;
  /** How many times the memory grew. */
  readonly grows: number;
}

export class WasmArena implements MatrixStorage {
  readonly memory: WasmMemory;
  readonly #maximumPages: number;
  /** Every buffer object a view of this arena was built on (one per grow): the ownership test. */
  readonly #buffers = new Set<ArrayBufferLike>();
  #current: ArrayBufferLike;
  /** First byte never handed out; everything from here to the end of the memory is free. */
  #top = ARENA_START;
  /** First byte never written by anyone: memory from here on is still zero. */
  #cleanFrom = ARENA_START;
  /** Free blocks below #top, sorted by offset, never adjacent (coalesced). */
  readonly #free: FreeBlock[] = [];
  /** offset -> bytes of every block handed out. */
  readonly #live = new Map<number, number>();
  #pending: PendingRelease[] = [];
  #lastTicket = 0;
  readonly #inFlight = new Set<number>();
  #grows = 0;

  constructor(options: WasmArenaOptions = {}) {
    const api = webAssemblyApi();
    if (api === undefined) throw new WasmUnsupportedError('this runtime has no WebAssembly');
    this.#maximumPages = options.maximumPages ?? MAX_MEMORY_PAGES;
    const initial = Math.max(2, options.initialPages ?? 16);
    try {
      this.memory = new api.Memory({ initial, maximum: this.#maximumPages, shared: true });
    } catch (cause) {
      throw new WasmUnsupportedError(`cannot create a shared WebAssembly memory: ${String(cause)}`);
    }
    this.#current = this.memory.buffer;
    this.#buffers.add(this.#current);
  }

  /** A zero-filled, 16-byte aligned array of `length` float64 values in this memory (MatrixStorage). */
  allocate(length: number): Float64Array {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new StorageAllocationError(`allocate: length must be a non-negative integer, got ${String(length)}`);
    }
    const clean = this.#cleanFrom;
    const offset = this.allocateBlock(length * 8);
    const cleared = Math.min(offset + length * 8, clean);
    if (cleared > offset) new Uint8Array(this.#buffer(), offset, cleared - offset).fill(0);
    return this.float64(offset, length);
  }

  /**
   * Gives back an array from {@link allocate} (MatrixStorage). Its block is reused only after every
   * comparison that began before this call has ended.
   * @throws StorageReleaseError for an array this arena did not allocate, or released twice.
   */
  release(array: Float64Array): void {
    const bytes = this.owns(array) ? this.#live.get(array.byteOffset) : undefined;
    if (bytes === undefined || array.byteLength > bytes) {
      throw new StorageReleaseError(
        'release: the array is not one this storage allocated (or it was already released, or it is a part of one)',
      );
    }
    this.#live.delete(array.byteOffset);
    if (this.#inFlight.size === 0) this.#addFree(array.byteOffset, bytes);
    else this.#pending.push({ offset: array.byteOffset, bytes, afterTicket: this.#lastTicket });
  }

  /** Whether `view` is a view of this arena's memory (see the module header for why by buffer identity). */
  owns(view: ArrayBufferView): boolean {
    return this.#buffers.has(view.buffer);
  }

  /**
   * Reserves `bytes` (rounded up to 16) and returns the byte offset; the contents are not cleared.
   * For the backends' own scratch; give it back with {@link freeBlock}.
   * @throws WasmMemoryExhaustedError when the memory cannot grow enough.
   */
  allocateBlock(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const offset = this.#takeFree(size) ?? this.#takeTop(size);
    this.#live.set(offset, size);
    return offset;
  }

  /** Frees a block from {@link allocateBlock} now: only for a block no comparison in flight can read. */
  freeBlock(offset: number): void {
    const bytes = this.#live.get(offset);
    if (bytes === undefined) throw new StorageReleaseError(`freeBlock: no block at offset ${offset}`);
    this.#live.delete(offset);
    this.#addFree(offset, bytes);
  }

  /** Marks the start of a comparison that may read arena memory; pass the ticket to {@link endComparison}. */
  beginComparison(): number {
    this.#lastTicket += 1;
    this.#inFlight.add(this.#lastTicket);
    return this.#lastTicket;
  }

  /** Ends a comparison; releases that were waiting only for it (and older ones) become free. */
  endComparison(ticket: number): void {
    this.#inFlight.delete(ticket);
    if (this.#pending.length === 0) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const t of this.#inFlight) oldest = Math.min(oldest, t);
    const waiting: PendingRelease[] = [];
    for (const p of this.#pending) {
      if (p.afterTicket < oldest) this.#addFree(p.offset, p.bytes);
      else waiting.push(p);
    }
    this.#pending = waiting;
  }

  /** A Float64Array over `length` values at byte `offset`. */
  float64(offset: number, length: number): Float64Array {
    return new Float64Array(this.#buffer(), offset, length);
  }

  /** A Uint32Array over `length` words at byte `offset`. */
  uint32(offset: number, length: number): Uint32Array {
    return new Uint32Array(this.#buffer(), offset, length);
  }

  /** A Uint8Array over `length` bytes at byte `offset`. */
  uint8(offset: number, length: number): Uint8Array {
    return new Uint8Array(this.#buffer(), offset, length);
  }

  get stats(): WasmArenaStats {
    return {
      memoryBytes: this.memory.buffer.byteLength,
      liveBlocks: this.#live.size,
      pendingReleases: this.#pending.length,
      comparisonsInFlight: this.#inFlight.size,
      grows: this.#grows,
    };
  }

  /** The memory's current buffer object, recorded as ours (it changes after each grow). */
  #buffer(): ArrayBufferLike {
    const buffer = this.memory.buffer;
    if (buffer !== this.#current) {
      this.#current = buffer;
      this.#buffers.add(buffer);
    }
    return buffer;
  }

  /** Best fit among the free blocks; the remainder stays free. */
  #takeFree(size: number): number | undefined {
    let best = -1;
    for (let i = 0; i < this.#free.length; i++) {
      const b = this.#free[i]!;
      if (b.bytes >= size && (best < 0 || b.bytes < this.#free[best]!.bytes)) best = i;
    }
    if (best < 0) return undefined;
    const block = this.#free[best]!;
    const offset = block.offset;
    if (block.bytes === size) this.#free.splice(best, 1);
    else {
      block.offset += size;
      block.bytes -= size;
    }
    return offset;
  }

  /** Takes `size` bytes at the top, growing the memory (at least doubling, to amortize) when needed. */
  #takeTop(size: number): number {
    const offset = this.#top;
    const end = offset + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = have / WASM_PAGE_BYTES;
      const needed = Math.ceil((end - have) / WASM_PAGE_BYTES);
      const room = this.#maximumPages - pages;
      if (needed > room) throw new WasmMemoryExhaustedError(size, have);
      try {
        this.memory.grow(Math.min(room, Math.max(needed, pages)));
      } catch {
        // The engine may refuse the doubling (address space, memory limits); try the bare minimum.
        try {
          this.memory.grow(needed);
        } catch (cause) {
          throw new WasmMemoryExhaustedError(size, have, { cause });
        }
      }
      this.#grows += 1;
    }
    this.#top = end;
    this.#cleanFrom = Math.max(this.#cleanFrom, end);
    return offset;
  }

  /** Returns a block to the free list, merging it with free neighbours and with the top. */
  #addFree(offset: number, bytes: number): void {
    const free = this.#free;
    // First free block after `offset` (binary search: the list is sorted by offset).
    let lo = 0;
    let hi = free.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (free[mid]!.offset < offset) lo = mid + 1;
      else hi = mid;
    }
    let start = offset;
    let size = bytes;
    const before = free[lo - 1];
    if (before !== undefined && before.offset + before.bytes === start) {
      start = before.offset;
      size += before.bytes;
      free.splice(--lo, 1);
    }
    const after = free[lo];
    if (after !== undefined && start + size === after.offset) {
      size += after.bytes;
      free.splice(lo, 1);
    }
    if (start + size === this.#top) this.#top = start;
    else free.splice(lo, 0, { offset: start, bytes: size });
  }
}
