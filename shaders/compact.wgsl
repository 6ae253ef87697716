// Entry point of a resident fleet's compareOverThreshold: evaluates rows where they live on the device
// and appends only what the host must see, through atomic counters:
//   mask_out (over-threshold entries, 3 + mask_words u32): fleet row, deviation hi, lo (f32 bits), mask words;
//   recheck_out (rows the host must recompute, 2 + 6 * field_count u32): fleet row, flags (0 for a
//     deviation too close to the threshold), then the row's packed primary values, then its mirror
//     values (f32 bits), so the host needs no copy of its own.
// A row goes to recheck_out when eval_row flagged it, or when its deviation is too close to the
// threshold to call within the error bound (between threshold * (1 - margin) and * (1 + margin)).
// Counters keep counting past the capacities: the host then grows the outputs and runs again.
// Included after df64.wgsl and row-deviation.wgsl.

@group(0) @binding(4) var<storage, read_write> mask_out: array<u32>;
@group(0) @binding(5) var<storage, read_write> counters: array<atomic<u32>, 2>;
@group(0) @binding(6) var<storage, read_write> recheck_out: array<u32>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn compact_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  opaque_zero = params.opaque_zero;
  let local = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (local >= params.row_count) {
    return;
  }
  let row = params.row_offset + local;
  let fleet_row = params.global_row_base + row;
  let result = eval_row(row, 0u, false);
  var recheck = result.flags != 0u;
  var over = false;
  if (!recheck) {
    let up = vec2<f32>(params.threshold_up_hi, params.threshold_up_lo);
    let down = vec2<f32>(params.threshold_down_hi, params.threshold_down_lo);
    if (df64_gt(result.deviation, up)) {
      over = true;
    } else if (df64_gt(result.deviation, down)) {
      recheck = true;
    }
  }
  if (over) {
    let slot = atomicAdd(&counters[0], 1u);
    if (slot < params.over_capacity) {
      let base = slot * (3u + params.mask_words);
      mask_out[base] = fleet_row;
      mask_out[base + 1u] = bitcast<u32>(result.deviation.x);
      mask_out[base + 2u] = bitcast<u32>(result.deviation.y);
      // Second pass for the mask words only: rows over threshold are few, and this keeps the first
      // pass free of a per-invocation mask array.
      _ = eval_row(row, base + 3u, true);
    }
  }
  if (recheck) {
    let slot = atomicAdd(&counters[1], 1u);
    if (slot < params.recheck_capacity) {
      let values = params.field_count * 3u;
      let base = slot * (2u + 2u * values);
      recheck_out[base] = fleet_row;
      recheck_out[base + 1u] = result.flags;
      for (var k = 0u; k < values; k = k + 1u) {
        recheck_out[base + 2u + k] = bitcast<u32>(primary[row * values + k]);
        recheck_out[base + 2u + values + k] = bitcast<u32>(mirror[row * values + k]);
      }
    }
  }
}
