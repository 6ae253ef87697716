/**
 * Where a fleet's state matrices live. By default a matrix is an ordinary Float64Array; a backend
 * that computes in memory of its own (wasm linear memory, shared with worker threads) provides a
 * storage so the matrices are allocated there once and every comparison reads them in place,
 * instead of copying the whole fleet per call (DESIGN.md section 7, "zero-copy").
 */
export interface MatrixStorage {
  /** A zero-filled array of `length` float64 values, 16-byte aligned, owned by the caller until released. */
  allocate(length: number): Float64Array;
  /**
   * Gives back an array from {@link allocate} (after the matrix grew into a new one). Its memory may
   * be reused only once no comparison that started before the release can still be reading it.
   */
  release(array: Float64Array): void;
}

/** The default: plain heap arrays, released by the garbage collector. */
export const HEAP_STORAGE: MatrixStorage = {
  allocate: (length) => new Float64Array(length),
  release: () => undefined,
};
