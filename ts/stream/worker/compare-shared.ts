/**
 * Comparing the primary's matrix with a shared mirror matrix in place: the existing Comparator
 * (any backend) gets the primary's array and the shared array itself, so nothing is copied for
 * the comparison (the wasm backends copy rows of arrays outside their arena, as for any array).
 *
 * The workers keep writing while a comparison runs, so the comparison alone cannot tell a
 * deviation from a row caught mid-update. The row versions (the seqlock of
 * shared-state-matrix.ts) can: each row's version is read before and after the comparison, and a
 * row whose version was odd or changed is `moved` (its result describes no single state; compare
 * it again later). Rows whose two sides stand at different seqs are `lagging`, as in the anomaly
 * detector: lag is reported, never judged as deviation. The primary's seqs are read around the
 * comparison too, since the primary runs on this thread between the comparison's awaits.
 */
import type { Comparator, ComparisonLayout, ComparisonOutput, ComparisonResult } from '../../compare/comparator.js';
import type { StateMatrix } from '../../state/state-matrix.js';
import { SharedMatrixError } from './errors.js';
import type { SharedStateMatrix } from './shared-state-matrix.js';

/** Options of {@link compareWithSharedMirror}. */
export interface SharedCompareOptions {
  /** First row compared. Default 0. */
  readonly rowStart?: number;
  /** Rows compared. Default: every row both matrices hold from rowStart. */
  readonly rowCount?: number;
  readonly missingWeight?: number;
  readonly output?: ComparisonOutput;
}

/** A comparison of primary and shared mirror rows, with the rows whose result must not be judged. */
export interface SharedComparison {
  readonly result: ComparisonResult;
  /** Absolute rows written (on either side) while the comparison ran. */
  readonly moved: readonly number[];
  /** Absolute rows (not moved) whose primary and mirror seqs differ. */
  readonly lagging: readonly number[];
}

/**
 * Compares `primary` with the shared `mirror` over a row range, reading the mirror in place.
 * @throws SharedMatrixError when the range is outside either matrix; the comparator's errors.
 */
export async function compareWithSharedMirror(
  comparator: Comparator,
  primary: StateMatrix,
  mirror: SharedStateMatrix,
  layout: ComparisonLayout,
  options: SharedCompareOptions = {},
): Promise<SharedComparison> {
  const rowStart = options.rowStart ?? 0;
  const held = Math.min(primary.rowCount, mirror.rowCount);
  const rowCount = options.rowCount ?? Math.max(0, held - rowStart);
  if (
    !Number.isSafeInteger(rowStart) ||
    rowStart < 0 ||
    !Number.isSafeInteger(rowCount) ||
    rowCount < 0 ||
    rowStart + rowCount > held
  ) {
    throw new SharedMatrixError(
      `compare rows ${String(rowStart)}..${String(rowStart + rowCount - 1)}: the primary holds ${primary.rowCount} rows, the shared mirror ${mirror.rowCount}`,
    );
  }
  const versions = mirror.versions;
  const before = new Int32Array(rowCount);
  for (let i = 0; i < rowCount; i++) before[i] = Atomics.load(versions, rowStart + i);
  const primarySeqs = primary.seqs.slice(rowStart, rowStart + rowCount);
  const result = await comparator.compare(primary.data, mirror.data, layout, {
    rowStart,
    rowCount,
    ...(options.missingWeight !== undefined ? { missingWeight: options.missingWeight } : {}),
    ...(options.output !== undefined ? { output: options.output } : {}),
  });
  const moved: number[] = [];
  const lagging: number[] = [];
  const seqsNow = primary.seqs;
  const mirrorSeqs = mirror.seqs;
  for (let i = 0; i < rowCount; i++) {
    const r = rowStart + i;
    const version = before[i]!;
    // Seq read between the two version reads: it belongs to the state that was compared.
    const mirrorSeq = mirrorSeqs[r]!;
    if ((version & 1) !== 0 || Atomics.load(versions, r) !== version || seqsNow[r] !== primarySeqs[i]) moved.push(r);
    else if (primarySeqs[i] !== mirrorSeq) lagging.push(r);
  }
  return { result, moved, lagging };
}
