/**
 * The copies of the compared rows that the GPU backends take at call time (the Comparator contract:
 * inputs are read before compare() returns; the engines go on writing the matrices). The arrays
 * are pooled and reused: a fresh 256 MiB array costs its page faults on first touch, measured at
 * about 0.9 s per side for 1,000,000 rows x 32 fields on the development VM, several times the whole
 * comparison; copying into a reused one costs the memcpy only.
 */

/** A pool of float64 arrays; an array is lent until given back, so queued comparisons never share one. */
export class SnapshotPool {
  private readonly free: Float64Array[] = [];

  /** Most arrays kept while free: one comparison's two sides (more in flight allocate more). */
  constructor(private readonly keep = 2) {}

  /** A copy of `source[from, to)`, in a lent array (longer arrays are viewed with subarray). */
  copy(source: Float64Array, from: number, to: number): Float64Array {
    const length = to - from;
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const candidate = this.free[i]!;
      if (candidate.length >= length && (best < 0 || candidate.length < this.free[best]!.length)) best = i;
    }
    const array = best < 0 ? new Float64Array(length) : this.free.splice(best, 1)[0]!;
    const view = array.length === length ? array : array.subarray(0, length);
    view.set(source.subarray(from, to));
    return view;
  }

  /** Gives back an array from {@link copy} (the view is enough); the oldest beyond `keep` are dropped. */
  release(view: Float64Array): void {
    const array = view.length * 8 === view.buffer.byteLength ? view : new Float64Array(view.buffer);
    this.free.push(array);
    if (this.free.length > this.keep) this.free.shift();
  }

  /** Drops every free array. */
  clear(): void {
    this.free.length = 0;
  }
}
