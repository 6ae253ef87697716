/**
 * The deviation kernel of the `wasm-simd`, `wasm-scalar` and `piscina` comparison backends
 * (DESIGN.md section 6), compiled twice from this one source by `asconfig.json`: with SIMD
 * (`--enable simd`, f64x2 lanes) and without (a scalar loop). `ASC_FEATURE_SIMD` is a compile-time
 * constant, so each build holds only its own path.
 *
 * Memory: imported, shared (worker threads run this module on the same memory) and never
 * allocated from here (`--runtime stub`, no data segments): every pointer is a byte offset the
 * TypeScript side chose in its arena. Nothing is written but the output regions passed in.
 *
 * The rule is `ts/compare/backends/js.ts`'s (the oracle), restated per field so one formula covers
 * every case (branch-free in the SIMD path; the scalar path branches on it). {@link prepareLayout} folds weight, tolerance and kind into:
 *   weight      w_j
 *   threshold   +Infinity when w_j === 0 (never compared), 0 when categorical, else t_j
 *   categorical all-ones when categorical (the contribution is w_j * 1 instead of w_j * d)
 *   active      all-ones for j < fieldCount (padding lanes of the last group of 4 are never affected)
 * and per field, with d = |p - m|:
 *   oneMissing  = (p is NaN) xor (m is NaN), and active          -> missingWeight, affected
 *   compared    = d > threshold (false when d is NaN)             -> w * (categorical ? 1 : d), affected
 *   otherwise 0, not affected.
 * Why this equals the oracle: both NaN gives d NaN, so nothing (rule 1); p === m gives d = 0, never
 * above a threshold >= 0, or d NaN for equal infinities (rule 3); weight 0 has threshold Infinity,
 * which no d exceeds (rule 4); for finite p !== m, p - m is never 0 (gradual underflow), so a
 * categorical field with threshold 0 is affected exactly when p !== m (rule 5); a numeric one when
 * d > t, i.e. not d <= t (rule 6). w * 1 is w exactly, and w * d is the same IEEE product as the
 * oracle's, so each contribution is bit-identical.
 *
 * Bit-exact sums: contributions are computed two fields at a time (SIMD) but added to the row's
 * sum one at a time, in field order 0, 1, 2, ..., as the oracle does. Adding the +0 of an
 * unaffected field leaves the sum unchanged (the sum starts at +0 and never becomes -0). The
 * scalar and SIMD builds therefore agree bit for bit with the oracle and with each other.
 */

/** Bytes of the table {@link prepareLayout} writes for `fieldCount` fields (4 arrays of 8-byte lanes). */
export function layoutTableBytes(fieldCount: i32): i32 {
  return paddedFields(fieldCount) << 5;
}

/** Fields rounded up to a group of 4: the SIMD path reads whole groups (stride is a multiple of 4). */
function paddedFields(fieldCount: i32): i32 {
  return (fieldCount + 3) & ~3;
}

/**
 * Writes the folded layout (see the header) at `table` (16-byte aligned, {@link layoutTableBytes}
 * long) from the layout's `weights` (f64), `tolerances` (f64) and `categorical` (u8) arrays.
 */
export function prepareLayout(weights: usize, tolerances: usize, categorical: usize, fieldCount: i32, table: usize): void {
  const lanes = paddedFields(fieldCount);
  const thresholds = table + ((<usize>lanes) << 3);
  const categoricalMasks = thresholds + ((<usize>lanes) << 3);
  const activeMasks = categoricalMasks + ((<usize>lanes) << 3);
  for (let j = 0; j < lanes; j++) {
    const at = (<usize>j) << 3;
    if (j < fieldCount) {
      const w = load<f64>(weights + at);
      const isCategorical = load<u8>(categorical + <usize>j) !== 0;
      store<f64>(table + at, w);
      store<f64>(thresholds + at, w === 0 ? Infinity : isCategorical ? 0 : load<f64>(tolerances + at));
      store<i64>(categoricalMasks + at, isCategorical ? -1 : 0);
      store<i64>(activeMasks + at, -1);
    } else {
      store<f64>(table + at, 0);
      store<f64>(thresholds + at, Infinity);
      store<i64>(categoricalMasks + at, 0);
      store<i64>(activeMasks + at, 0);
    }
  }
}

/**
 * Compares `rowCount` rows of two row-major matrices. `primary` and `mirror` point at the first
 * compared row; `stride` is values per row; `table` is {@link prepareLayout}'s output. Writes one
 * f64 per row at `deviation` and `ceil(fieldCount / 32)` (at least 1) u32 words per row at
 * `affected`: bit (j & 31) of word (j >> 5) is set when field j is affected.
 */
export function compareRows(
  primary: usize,
  mirror: usize,
  rowCount: i32,
  stride: i32,
  fieldCount: i32,
  table: usize,
  missingWeight: f64,
  deviation: usize,
  affected: usize,
): void {
  const maskWords = max<i32>(1, (fieldCount + 31) >> 5);
  const rowBytes = (<usize>stride) << 3;
  const wordBytes = (<usize>maskWords) << 2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    // Two rows per step: each row's sum is one chain of dependent adds (the order is fixed, see
    // the header), so a second row's chain gives the CPU independent work to overlap with it.
    i = rowCount & ~1;
    compareRowPairsSimd(primary, mirror, i >> 1, rowBytes, fieldCount, maskWords, table, missingWeight, deviation, affected);
  }
  for (; i < rowCount; i++) {
    const offset = <usize>i * rowBytes;
    const words = affected + <usize>i * wordBytes;
    const sum = ASC_FEATURE_SIMD
      ? compareRowSimd(primary + offset, mirror + offset, fieldCount, maskWords, table, missingWeight, words)
      : compareRowScalar(primary + offset, mirror + offset, fieldCount, maskWords, table, missingWeight, words);
    store<f64>(deviation + ((<usize>i) << 3), sum);
  }
}

/**
 * Two fields of one row: each lane holds the field's contribution (>= +0, never NaN) with its sign
 * bit set when the field is affected. One vector carries both answers: `i64x2.bitmask` reads the
 * affected bits, `f64x2.abs` restores the contributions.
 */
function fieldPair(p: v128, m: v128, weight: v128, threshold: v128, categorical: v128, active: v128, missing: v128): v128 {
  const d = f64x2.abs(f64x2.sub(p, m));
  const compared = f64x2.gt(d, threshold);
  const oneMissing = v128.and(v128.xor(f64x2.ne(p, p), f64x2.ne(m, m)), active);
  const product = v128.and(f64x2.mul(weight, v128.bitselect(f64x2.splat(1.0), d, categorical)), compared);
  const contribution = v128.bitselect(missing, product, oneMissing);
  // The sign bit of each lane (a constant after optimization; a top-level v128 constant would not
  // compile in the scalar build).
  const signBits = i64x2.splat(<i64>0x8000000000000000);
  return v128.or(contribution, v128.and(v128.or(compared, oneMissing), signBits));
}

/** Adds a pair's two contributions to `sum`, lane 0 then lane 1 (field order: the oracle's rounding, bit for bit). */
function addInOrder(sum: f64, signed: v128): f64 {
  const contributions = f64x2.abs(signed);
  return sum + f64x2.extract_lane(contributions, 0) + f64x2.extract_lane(contributions, 1);
}

/** The affected bits of fields 4g .. 4g + 3, from their two signed pairs, in place for the mask word. */
function groupBits(low: v128, high: v128, g: i32): u32 {
  return (<u32>i64x2.bitmask(low) | ((<u32>i64x2.bitmask(high)) << 2)) << ((<u32>g & 7) << 2);
}

/**
 * One row, four fields (two f64x2 pairs) per step. A group of 4 never straddles a mask word
 * (32 is a multiple of 4), and the last group's padding lanes are inactive, so no tail loop.
 */
function compareRowSimd(
  p: usize,
  m: usize,
  fieldCount: i32,
  maskWords: i32,
  table: usize,
  missingWeight: f64,
  words: usize,
): f64 {
  const lanes = paddedFields(fieldCount);
  const groups = lanes >> 2;
  const thresholds = table + ((<usize>lanes) << 3);
  const categoricalMasks = thresholds + ((<usize>lanes) << 3);
  const activeMasks = categoricalMasks + ((<usize>lanes) << 3);
  const missing = f64x2.splat(missingWeight);
  let sum: f64 = 0;
  for (let w = 0; w < maskWords; w++) {
    const groupEnd = min<i32>(groups, (w + 1) << 3);
    let word: u32 = 0;
    for (let g = w << 3; g < groupEnd; g++) {
      const at = (<usize>g) << 5;
      const low = fieldPair(
        v128.load(p + at),
        v128.load(m + at),
        v128.load(table + at),
        v128.load(thresholds + at),
        v128.load(categoricalMasks + at),
        v128.load(activeMasks + at),
        missing,
      );
      const high = fieldPair(
        v128.load(p + at, 16),
        v128.load(m + at, 16),
        v128.load(table + at, 16),
        v128.load(thresholds + at, 16),
        v128.load(categoricalMasks + at, 16),
        v128.load(activeMasks + at, 16),
        missing,
      );
      sum = addInOrder(addInOrder(sum, low), high);
      word |= groupBits(low, high, g);
    }
    store<u32>(words + ((<usize>w) << 2), word);
  }
  return sum;
}

/**
 * `pairs` pairs of rows from `primary`, each pair with the result {@link compareRowSimd} gives one
 * row. Per mask word, one branch-free pass finds the groups where either row differs from its
 * mirror bit for bit ({@link differingGroups}); only those are computed, the layout vectors
 * loaded once for both rows. A healthy fleet (nearly every row equal) is then a streaming read
 * at the memory roofline, and a stressed one pays for its differing groups, not for a
 * mispredicted branch per group (measured: 25% differing rows went from 34 to 20 ms per 1M x 32
 * comparison, against an 18 ms plain sum). The loop over rows is in here rather
 * than a call per pair from the caller: Binaryen inlines only small or single-call functions, and
 * this file uses no `@inline` decorators (Biome parses it as TypeScript, where they are invalid).
 */
function compareRowPairsSimd(
  primary: usize,
  mirror: usize,
  pairs: i32,
  rowBytes: usize,
  fieldCount: i32,
  maskWords: i32,
  table: usize,
  missingWeight: f64,
  deviation: usize,
  affected: usize,
): void {
  const lanes = paddedFields(fieldCount);
  const groups = lanes >> 2;
  const thresholds = table + ((<usize>lanes) << 3);
  const categoricalMasks = thresholds + ((<usize>lanes) << 3);
  const activeMasks = categoricalMasks + ((<usize>lanes) << 3);
  const missing = f64x2.splat(missingWeight);
  const wordBytes = (<usize>maskWords) << 2;
  for (let pair = 0; pair < pairs; pair++) {
    const p = primary + <usize>pair * (rowBytes << 1);
    const m = mirror + <usize>pair * (rowBytes << 1);
    const p2 = p + rowBytes;
    const m2 = m + rowBytes;
    const words = affected + <usize>pair * (wordBytes << 1);
    const words2 = words + wordBytes;
    let sum: f64 = 0;
    let sum2: f64 = 0;
    for (let w = 0; w < maskWords; w++) {
      const first = w << 3;
      // The groups of this word where either row differs from its mirror, one bit each, found
      // without branching; then only those groups, lowest first (field order, as the sums need).
      // A differing row touches one to a few groups at random places, so a branch per group
      // would be mispredicted often; this loop has one hard-to-predict branch, its exit.
      let pending = differingGroups(p, m, rowBytes, first, min<i32>(groups, first + 8));
      let word: u32 = 0;
      let word2: u32 = 0;
      while (pending !== 0) {
        const g = first + <i32>ctz<u32>(pending);
        pending &= pending - 1;
        const at = (<usize>g) << 5;
        const weight = v128.load(table + at);
        const threshold = v128.load(thresholds + at);
        const categorical = v128.load(categoricalMasks + at);
        const active = v128.load(activeMasks + at);
        const weightHigh = v128.load(table + at, 16);
        const thresholdHigh = v128.load(thresholds + at, 16);
        const categoricalHigh = v128.load(categoricalMasks + at, 16);
        const activeHigh = v128.load(activeMasks + at, 16);
        const low = fieldPair(v128.load(p + at), v128.load(m + at), weight, threshold, categorical, active, missing);
        const high = fieldPair(
          v128.load(p + at, 16),
          v128.load(m + at, 16),
          weightHigh,
          thresholdHigh,
          categoricalHigh,
          activeHigh,
          missing,
        );
        const low2 = fieldPair(v128.load(p2 + at), v128.load(m2 + at), weight, threshold, categorical, active, missing);
        const high2 = fieldPair(
          v128.load(p2 + at, 16),
          v128.load(m2 + at, 16),
          weightHigh,
          thresholdHigh,
          categoricalHigh,
          activeHigh,
          missing,
        );
        // A group may differ in one row only: the other row's fields there are unaffected and
        // contribute +0, which leaves its sum unchanged, so both sums take all four additions.
        sum = addInOrder(addInOrder(sum, low), high);
        sum2 = addInOrder(addInOrder(sum2, low2), high2);
        word |= groupBits(low, high, g);
        word2 |= groupBits(low2, high2, g);
      }
      store<u32>(words + ((<usize>w) << 2), word);
      store<u32>(words2 + ((<usize>w) << 2), word2);
    }
    const at = deviation + ((<usize>pair) << 4);
    store<f64>(at, sum);
    store<f64>(at + 8, sum2);
  }
}

/**
 * Bit k set when group `first + k` (of `first` .. `end - 1`, at most 8) is not bit-identical
 * between either of two consecutive rows (at `p` and `p + rowBytes`) and its mirror row. Padding
 * lanes are not masked: a group that differs only there is computed and contributes nothing.
 */
function differingGroups(p: usize, m: usize, rowBytes: usize, first: i32, end: i32): u32 {
  let bits: u32 = 0;
  for (let g = first; g < end; g++) {
    const at = (<usize>g) << 5;
    const same = v128.and(
      v128.and(i64x2.eq(v128.load(p + at), v128.load(m + at)), i64x2.eq(v128.load(p + at, 16), v128.load(m + at, 16))),
      v128.and(
        i64x2.eq(v128.load(p + rowBytes + at), v128.load(m + rowBytes + at)),
        i64x2.eq(v128.load(p + rowBytes + at, 16), v128.load(m + rowBytes + at, 16)),
      ),
    );
    bits |= (<u32>!i64x2.all_true(same)) << (<u32>(g - first));
  }
  return bits;
}

/**
 * One row, one field at a time, from the same folded table as the SIMD path. Branchy on purpose:
 * equal values, the common case in a healthy fleet, skip the rest at once (as fast as the SIMD
 * path when ~98% of the fields agree, measured). Branch-free variants (float selects, which V8
 * turns into branches anyway, or integer masks) only won on random data, and lost 3x on mostly
 * equal rows.
 */
function compareRowScalar(
  p: usize,
  m: usize,
  fieldCount: i32,
  maskWords: i32,
  table: usize,
  missingWeight: f64,
  words: usize,
): f64 {
  const lanes = paddedFields(fieldCount);
  const thresholds = table + ((<usize>lanes) << 3);
  const categoricalMasks = thresholds + ((<usize>lanes) << 3);
  let sum: f64 = 0;
  for (let w = 0; w < maskWords; w++) {
    const fieldEnd = min<i32>(fieldCount, (w + 1) << 5);
    let word: u32 = 0;
    for (let j = w << 5; j < fieldEnd; j++) {
      const at = (<usize>j) << 3;
      const pj = load<f64>(p + at);
      const mj = load<f64>(m + at);
      // Equal values contribute 0 (NaN is never equal to itself, so it is not skipped here).
      if (pj === mj) continue;
      const pMissing = F64.isNaN(pj);
      const mMissing = F64.isNaN(mj);
      if (pMissing || mMissing) {
        if (pMissing !== mMissing) {
          sum += missingWeight;
          word |= (<u32>1) << (<u32>j & 31);
        }
        continue;
      }
      const d = abs<f64>(pj - mj);
      if (d > load<f64>(thresholds + at)) {
        sum += load<f64>(table + at) * (load<i64>(categoricalMasks + at) !== 0 ? 1.0 : d);
        word |= (<u32>1) << (<u32>j & 31);
      }
    }
    store<u32>(words + ((<usize>w) << 2), word);
  }
  return sum;
}
