/**
 * How close the GPU backends' deviations are to the oracle's, and why (DESIGN.md section 6: "its
 * error bound is written in the code and tested").
 *
 * What is exact. Affected masks always: every decision (equal, missing, d <= t) is either made on
 * exact inputs with a certified error margin, or the row is flagged and recomputed on the host by
 * the oracle. Rows recomputed on the host are exact in every respect.
 *
 * What is bounded. A deviation computed on the device, per row:
 *
 *   |gpu - oracle| <= GPU_DEVIATION_RELATIVE_BOUND * oracle     (2^-32, about 2.3e-10)
 *
 * Derivation (u = 2^-24, the f32 unit roundoff; all contributions are >= 0, so no cancellation in
 * the row sum):
 * - d = |p - m|: from exact parts, summed by a cascade whose only rounding is bounded on the device;
 *   a difference whose bound exceeds 2^-40 * d is flagged, so d is within 2^-40 relative.
 * - weights and missingWeight as hi/lo pairs: within 2^-48 relative.
 * - w * d in df64 (TwoProduct + cross terms): within about 4u^2 = 2^-46 relative.
 * - the row sum of n non-negative df64 contributions: within about 3u^2 per addition, n * 2^-46.4.
 * - the host adds hi + lo in float64: exact (the pair's bits fit in 53).
 * Total at most 2^-39.9 + (n + 1) * 2^-46 relative; for n <= GPU_MAX_FIELDS (4096) that is below
 * 2^-34, so the stated 2^-32 keeps a factor of four in hand. The oracle itself rounds each of its
 * n additions (2^-53 each), which is far inside the margin. Layouts with more fields are compared
 * on the host.
 *
 * The derivation assumes each f32 operation rounds where it is written; shader compilers may fold
 * floating-point algebra, which is why shaders/df64.wgsl launders each step (and gpujs-kernel.ts adds
 * an opaque 0), and why each device and gpu.js mode passes a known-answer test before use. gpu.js's
 * cpu mode computes in float64: every step is then more exact than assumed, so the bound holds there
 * too.
 *
 * The bound is a guarantee, not the typical error: on random data, and on large values with small
 * differences, the measured error stays below 1e-14 relative (test/compare/webgpu-conformance.test.ts
 * and gpujs-conformance.test.ts assert < 1e-13).
 */

/** Relative error bound of a deviation computed on the device (see the module header). */
export const GPU_DEVIATION_RELATIVE_BOUND = 2 ** -32;

/** Most fields for which {@link GPU_DEVIATION_RELATIVE_BOUND} is derived; wider layouts run on the host. */
export const GPU_MAX_FIELDS = 4096;

/**
 * Resident compaction: a device deviation within this relative margin of the threshold (twice the
 * bound) is too close to call, and its row is recomputed on the host, so the rows returned are
 * exactly the oracle's `deviation > threshold`.
 */
export const THRESHOLD_MARGIN = 2 * GPU_DEVIATION_RELATIVE_BOUND;

/**
 * Why a row was recomputed on the host (result flags of the shaders; gpu.js uses the same values).
 * Any flag means "recompute"; the kinds are counted separately in the stats.
 */
export const FLAG_HOST_VALUE = 1;
/** A decision too close to call within the certified margin, or a difference lost to cancellation. */
export const FLAG_UNCERTAIN = 2;
/** A weight or contribution outside f32's safe range. */
export const FLAG_RANGE = 4;
