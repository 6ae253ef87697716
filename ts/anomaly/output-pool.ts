/**
 * Result arrays the detector's fleet rounds write into and hand back, so a periodic comparison of
 * a large fleet allocates nothing: a fresh 1,000,000-row result is 12 MB of new ArrayBuffers, and
 * that allocation made V8 run full collections (measured in bench/compare.bench.ts). Arrays come
 * from the comparator's storage when it has one, so the wasm kernels write them in place. Rounds
 * may overlap, so it is a pool: each round takes its own arrays and gives them back.
 */
import type { ComparisonOutput } from '../compare/comparator.js';
import type { MatrixStorage } from '../compare/matrix-storage.js';

interface Pooled extends ComparisonOutput {
  /** The storage block both arrays are views of (undefined: plain heap arrays). */
  readonly block: Float64Array | undefined;
  readonly rows: number;
  readonly words: number;
}

export class OutputPool {
  readonly #free: Pooled[] = [];

  constructor(private readonly storage: MatrixStorage | undefined) {}

  /** Arrays for at least `rows` deviations and `words` mask words; give them back with {@link give}. */
  take(rows: number, words: number): ComparisonOutput {
    const i = this.#free.findIndex((p) => p.rows >= rows && p.words >= words);
    if (i >= 0) return this.#free.splice(i, 1)[0]!;
    // Round sizes up so a growing fleet does not allocate on every round.
    const capRows = Math.max(1024, 2 ** Math.ceil(Math.log2(rows)));
    const capWords = Math.max(1024, 2 ** Math.ceil(Math.log2(Math.max(1, words))));
    if (this.storage === undefined) {
      return {
        deviation: new Float64Array(capRows),
        affected: new Uint32Array(capWords),
        block: undefined,
        rows: capRows,
        words: capWords,
      } as Pooled;
    }
    const block = this.storage.allocate(capRows + Math.ceil(capWords / 2));
    const affected = new Uint32Array(block.buffer, block.byteOffset + capRows * 8, capWords);
    return { deviation: block.subarray(0, capRows), affected, block, rows: capRows, words: capWords } as Pooled;
  }

  /** Returns arrays from {@link take}; keeps at most a few (rounds rarely overlap more). */
  give(output: ComparisonOutput): void {
    const pooled = output as Pooled;
    if (this.#free.length < 4) {
      this.#free.push(pooled);
      return;
    }
    if (pooled.block !== undefined) this.storage?.release(pooled.block);
  }
}
