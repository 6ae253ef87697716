// The deviation rule of ts/compare/backends/js.ts (the oracle) for one row, on values packed by
// ts/compare/backends/f32-pair.ts: three f32 per value (hi, lo, tail, exactly the double), finite
// marks for missing and host-held values, so no NaN or infinity ever reaches this code.
//
// Whatever this code cannot decide exactly, it does not guess: it sets a flag and the host recomputes
// the row with the oracle. So masks are always exact, and a deviation computed here is within
// GPU_DEVIATION_RELATIVE_BOUND (ts/compare/backends/gpu-precision.ts, where the bound is derived).
// Included after df64.wgsl and before an entry file, which declares `mask_out` (binding 4).

struct Params {
  row_count: u32,        // rows this dispatch evaluates
  field_count: u32,
  mask_words: u32,
  row_offset: u32,       // first row evaluated, in the bound value arrays (compaction only)
  global_row_base: u32,  // fleet row of the arrays' row 0 (compaction only)
  missing_state: u32,    // WEIGHT_* of missingWeight
  over_capacity: u32,    // entries mask_out can take (compaction only)
  recheck_capacity: u32, // entries recheck_out can take (compaction only)
  opaque_zero: u32,      // 0; see "OPAQUE ROUNDING" in df64.wgsl
  missing_hi: f32,
  missing_lo: f32,
  threshold_up_hi: f32,  // threshold * (1 + margin) (compaction only)
  threshold_up_lo: f32,
  threshold_down_hi: f32, // threshold * (1 - margin) (compaction only)
  threshold_down_lo: f32,
  reserved: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
// FIELD_PARAM_WORDS (8) f32 per field: categorical, weight state, weight hi, lo, tolerance state, hi, lo, tail.
@group(0) @binding(1) var<storage, read> fields: array<f32>;
@group(0) @binding(2) var<storage, read> primary: array<f32>;
@group(0) @binding(3) var<storage, read> mirror: array<f32>;

// Constants of f32-pair.ts.
const MISSING_MARK: f32 = 0x1p100f;
const HOST_MARK: f32 = 0x1p110f;
const CONTRIBUTION_MIN: f32 = 0x1p-70f;
const CONTRIBUTION_MAX: f32 = 0x1p100f;
const WEIGHT_ZERO: u32 = 0u;
const WEIGHT_PAIR: u32 = 1u;
const TOLERANCE_TRIPLE: u32 = 1u;
const TOLERANCE_ALL_PASS: u32 = 2u;
const TOLERANCE_HOST: u32 = 3u;

// Why a row goes back to the host (flags of the result; any of them means "recompute").
const FLAG_HOST_VALUE: u32 = 1u; // a value the device does not carry (infinity, huge, tiny)
const FLAG_UNCERTAIN: u32 = 2u;  // d vs tolerance too close to call, or a difference lost to cancellation
const FLAG_RANGE: u32 = 4u;      // a weight or contribution outside f32's safe range

struct RowResult {
  deviation: vec2<f32>,
  flags: u32,
}

// |p - m| (p != m) as a df64 in .xy and a bound on its absolute error in .z.
// p - m is exactly the sum of six f32: the TwoSum of each part's difference. They are added by
// Ogita-Rump-Oishi's cascade (Sum2): `acc` takes every term through an exact TwoSum whose errors q
// are summed plainly into `sigma`; p - m == acc + sum(q) exactly, so the only error is sigma's own
// rounding, 4 additions: at most 4u * sum|q| (u = 2^-24). The bound returned is 2^-21 * sum|q| (8u:
// twice that, which also covers the rounding of sum|q| itself). It is 0 whenever sigma was exact.
fn certified_difference(ph: f32, pl: f32, pt: f32, mh: f32, ml: f32, mt: f32) -> vec3<f32> {
  let a = two_sum(ph, -mh);
  let b = two_sum(pl, -ml);
  let c = two_sum(pt, -mt);
  var acc = a.x;
  var t = two_sum(acc, b.x);
  acc = t.x;
  var sigma = t.y;
  var spread = abs(t.y);
  t = two_sum(acc, a.y);
  acc = t.x;
  sigma = sigma + t.y;
  spread = spread + abs(t.y);
  t = two_sum(acc, c.x);
  acc = t.x;
  sigma = sigma + t.y;
  spread = spread + abs(t.y);
  t = two_sum(acc, b.y);
  acc = t.x;
  sigma = sigma + t.y;
  spread = spread + abs(t.y);
  t = two_sum(acc, c.y);
  acc = t.x;
  sigma = sigma + t.y;
  spread = spread + abs(t.y);
  let d = two_sum(acc, sigma);
  let bound = 0x1p-21f * spread;
  if (d.x < 0.0) {
    return vec3<f32>(-d.x, -d.y, bound);
  }
  return vec3<f32>(d.x, d.y, bound);
}

// Whether d (from certified_difference) exceeds the exact tolerance th + tl + tt:
// 1 above, 0 within (d <= t, the dead-band is closed), 2 too close to call.
// g = d - t by the same cascade (3 rounded additions into sigma, at most 3u * sum|q|); the margin
// 2^-20 * sum|q| + 2 * d.z is at least twice the possible error, so a sign seen beyond it is right.
// When nothing was rounded the margin is 0 and the sign of g is exact (d == t gives 0: within).
fn exceeds_tolerance(d: vec3<f32>, th: f32, tl: f32, tt: f32) -> u32 {
  var t = two_sum(d.x, -th);
  var acc = t.x;
  var sigma = t.y;
  var spread = abs(t.y);
  t = two_sum(acc, d.y);
  acc = t.x;
  sigma = sigma + t.y;
  spread = spread + abs(t.y);
  t = two_sum(acc, -tl);
  acc = t.x;
  sigma = sigma + t.y;
  spread = spread + abs(t.y);
  t = two_sum(acc, -tt);
  acc = t.x;
  sigma = sigma + t.y;
  spread = spread + abs(t.y);
  let g = two_sum(acc, sigma);
  let margin = 0x1p-20f * spread + 2.0 * d.z;
  if (g.x > margin) {
    return 1u;
  }
  if (g.x <= -margin) {
    return 0u;
  }
  return 2u;
}

// Evaluates row `row` of the bound arrays. Writes the mask words to mask_out[mask_base ..] when
// write_masks is set (words of flagged rows are meaningless: the host replaces the row).
fn eval_row(row: u32, mask_base: u32, write_masks: bool) -> RowResult {
  let n = params.field_count;
  let row_base = row * n * 3u;
  var sum = vec2<f32>(0.0, 0.0);
  var flags = 0u;
  for (var w = 0u; w < params.mask_words; w = w + 1u) {
    var word = 0u;
    let j_end = min(n, (w + 1u) * 32u);
    for (var j = w * 32u; j < j_end; j = j + 1u) {
      let b = row_base + j * 3u;
      let ph = primary[b];
      let pl = primary[b + 1u];
      let pt = primary[b + 2u];
      let mh = mirror[b];
      let ml = mirror[b + 1u];
      let mt = mirror[b + 2u];
      // Equal values, equal parts (the packing is canonical, -0 is +0); both missing lands here too.
      // Two host-held values look equal here whatever they are: the host decides (-Inf vs +Inf).
      if (ph == mh && pl == ml && pt == mt) {
        if (ph == HOST_MARK) {
          flags = flags | FLAG_HOST_VALUE;
        }
        continue;
      }
      if (ph == HOST_MARK || mh == HOST_MARK) {
        flags = flags | FLAG_HOST_VALUE;
        continue;
      }
      let bit = 1u << (j & 31u);
      // Exactly one side missing: affected whatever the weight.
      if (ph == MISSING_MARK || mh == MISSING_MARK) {
        word = word | bit;
        if (params.missing_state == WEIGHT_PAIR) {
          sum = df64_add(sum, vec2<f32>(params.missing_hi, params.missing_lo));
        } else if (params.missing_state != WEIGHT_ZERO) {
          flags = flags | FLAG_RANGE;
        }
        continue;
      }
      let f = j * 8u;
      let weight_state = u32(fields[f + 1u]);
      if (weight_state == WEIGHT_ZERO) {
        continue;
      }
      let weight = vec2<f32>(fields[f + 2u], fields[f + 3u]);
      if (fields[f] != 0.0) {
        word = word | bit;
        if (weight_state == WEIGHT_PAIR) {
          sum = df64_add(sum, weight);
        } else {
          flags = flags | FLAG_RANGE;
        }
        continue;
      }
      let tolerance_state = u32(fields[f + 4u]);
      if (tolerance_state == TOLERANCE_ALL_PASS) {
        continue;
      }
      if (tolerance_state == TOLERANCE_HOST) {
        flags = flags | FLAG_UNCERTAIN;
        continue;
      }
      let d = certified_difference(ph, pl, pt, mh, ml, mt);
      if (d.x == 0.0) {
        flags = flags | FLAG_UNCERTAIN;
        continue;
      }
      // TOLERANCE_ZERO: p != m, so d > 0 >= t.
      if (tolerance_state == TOLERANCE_TRIPLE) {
        let verdict = exceeds_tolerance(d, fields[f + 5u], fields[f + 6u], fields[f + 7u]);
        if (verdict == 0u) {
          continue;
        }
        if (verdict == 2u) {
          flags = flags | FLAG_UNCERTAIN;
          continue;
        }
      }
      word = word | bit;
      // The contribution needs d to 2^-40 relative; heavy cancellation inside the parts can cost more.
      if (d.z > 0x1p-40f * d.x) {
        flags = flags | FLAG_UNCERTAIN;
        continue;
      }
      if (weight_state != WEIGHT_PAIR) {
        flags = flags | FLAG_RANGE;
        continue;
      }
      let c = df64_mul(weight, d.xy);
      if (c.x < CONTRIBUTION_MIN || c.x >= CONTRIBUTION_MAX) {
        flags = flags | FLAG_RANGE;
        continue;
      }
      sum = df64_add(sum, c);
    }
    if (write_masks) {
      mask_out[mask_base + w] = word;
    }
  }
  if (sum.x >= CONTRIBUTION_MAX) {
    flags = flags | FLAG_RANGE;
  }
  return RowResult(sum, flags);
}
