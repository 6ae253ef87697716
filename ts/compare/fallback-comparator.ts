/**
 * A comparator over an ordered chain of backends (DESIGN.md section 7): a batch runs on the first
 * backend still healthy; one that throws at run time is marked failed, told once to `onFallback`,
 * and the same batch is redone on the next, so no comparison is lost. Invalid input is not a
 * backend failure (every backend would refuse it): it is passed to the caller as it is.
 *
 * Batch size routes too: batches under `crossoverRows` start at the first CPU backend of the
 * chain (a device round trip costs more than comparing a few rows), larger ones at the head.
 *
 * A redone batch reads the matrices when it is redone, not when it was first asked for. The
 * anomaly detector is safe with that: it skips every row whose seq moved on since the call.
 */
import type { BackendName } from './backend.js';
import type { Comparator, CompareOptions, ComparisonLayout, ComparisonResult } from './comparator.js';
import { AllBackendsFailedError, ComparisonInputError } from './errors.js';
import type { MatrixStorage } from './matrix-storage.js';

/**
 * One link of the chain: a comparator, or how to create one the first time a batch reaches the
 * link (so a fallback that is never needed costs nothing: no device, no worker pool), and whether
 * it runs on the host CPU. A link whose `open` rejects counts as failed, like one that throws.
 */
export type ChainLink =
  | { readonly name: BackendName; readonly onCpu: boolean; readonly comparator: Comparator }
  | { readonly name: BackendName; readonly onCpu: boolean; readonly open: () => Promise<Comparator> };

interface LinkState {
  readonly name: BackendName;
  readonly onCpu: boolean;
  comparator: Comparator | undefined;
  readonly open: (() => Promise<Comparator>) | undefined;
}

/** What `onFallback` is told, once per failed backend. */
export interface FallbackEvent {
  readonly failed: BackendName;
  readonly error: unknown;
  /** The backend the batch is redone on, or undefined when none is left. */
  readonly next: BackendName | undefined;
}

export interface FallbackComparatorOptions {
  /** Batches with fewer rows start at the first CPU link. Default 0 (every batch starts at the head). */
  readonly crossoverRows?: number;
  /** Told once per failed backend; default: one console.warn line. */
  readonly onFallback?: (event: FallbackEvent) => void;
}

/** Counts per backend, for `stats()` and tests. */
export interface FallbackStats {
  readonly batches: Readonly<Partial<Record<BackendName, number>>>;
  readonly failed: readonly BackendName[];
}

function warnOnce(event: FallbackEvent): void {
  const why = event.error instanceof Error ? event.error.message : String(event.error);
  console.warn(
    `workflow-mirror: comparison backend ${event.failed} failed (${why}); using ${event.next ?? 'nothing'} from now on`,
  );
}

export class FallbackComparator implements Comparator {
  readonly #links: readonly LinkState[];
  readonly #failed = new Set<BackendName>();
  readonly #batches: Partial<Record<BackendName, number>> = {};
  readonly #crossoverRows: number;
  readonly #onFallback: (event: FallbackEvent) => void;
  #disposed = false;

  constructor(links: readonly ChainLink[], options: FallbackComparatorOptions = {}) {
    if (links.length === 0) throw new TypeError('FallbackComparator: the chain is empty');
    this.#links = links.map((l) =>
      'comparator' in l
        ? { name: l.name, onCpu: l.onCpu, comparator: l.comparator, open: undefined }
        : { name: l.name, onCpu: l.onCpu, comparator: undefined, open: l.open },
    );
    this.#crossoverRows = options.crossoverRows ?? 0;
    this.#onFallback = options.onFallback ?? warnOnce;
  }

  /** The backend large batches run on now (the head of the healthy chain). */
  get name(): string {
    return this.#healthy()[0]?.name ?? 'none';
  }

  /** The backends of the chain in order, failed ones included. */
  get chain(): readonly BackendName[] {
    return this.#links.map((l) => l.name);
  }

  /**
   * Where matrices should live: the storage of the head link when it has one (so the fastest
   * backend reads them in place). A later link reads the same arrays, so a fallback needs no move.
   */
  get storage(): MatrixStorage | undefined {
    return this.#links[0]!.comparator?.storage;
  }

  /** The comparator of backend `name` when its link exists and was created (for its own stats). */
  backend(name: BackendName): Comparator | undefined {
    return this.#links.find((l) => l.name === name)?.comparator;
  }

  stats(): FallbackStats {
    return { batches: { ...this.#batches }, failed: [...this.#failed] };
  }

  async compare(
    primary: Float64Array,
    mirror: Float64Array,
    layout: ComparisonLayout,
    options?: CompareOptions,
  ): Promise<ComparisonResult> {
    const rows = options?.rowCount ?? primary.length / Math.max(1, layout.stride) - (options?.rowStart ?? 0);
    const healthy = this.#healthy();
    const small = rows < this.#crossoverRows;
    const firstCpu = healthy.findIndex((l) => l.onCpu);
    const order = small && firstCpu > 0 ? [...healthy.slice(firstCpu), ...healthy.slice(0, firstCpu)] : healthy;
    let lastError: unknown;
    for (let i = 0; i < order.length; i++) {
      const link = order[i]!;
      if (this.#failed.has(link.name)) continue;
      try {
        link.comparator ??= await link.open!();
        const result = await link.comparator.compare(primary, mirror, layout, options);
        this.#batches[link.name] = (this.#batches[link.name] ?? 0) + 1;
        return result;
      } catch (error) {
        if (error instanceof ComparisonInputError) throw error;
        lastError = error;
        this.#failed.add(link.name);
        const next = order.slice(i + 1).find((l) => !this.#failed.has(l.name));
        this.#onFallback({ failed: link.name, error, next: next?.name });
      }
    }
    throw new AllBackendsFailedError(this.chain, { cause: lastError });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const link of this.#links) link.comparator?.dispose();
  }

  #healthy(): LinkState[] {
    return this.#links.filter((l) => !this.#failed.has(l.name));
  }
}
