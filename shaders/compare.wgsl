// Entry point of a batch comparison (Comparator.compare): one invocation per row of the chunk.
// Included after df64.wgsl and row-deviation.wgsl.
// Result per row, 3 + mask_words u32: deviation hi and lo (f32 bits), flags, mask words.

@group(0) @binding(4) var<storage, read_write> mask_out: array<u32>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn compare_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  opaque_zero = params.opaque_zero;
  // Two-dimensional grids for chunks of more than 65,535 workgroups.
  let row = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (row >= params.row_count) {
    return;
  }
  let width = 3u + params.mask_words;
  let result = eval_row(row, row * width + 3u, true);
  mask_out[row * width] = bitcast<u32>(result.deviation.x);
  mask_out[row * width + 1u] = bitcast<u32>(result.deviation.y);
  mask_out[row * width + 2u] = result.flags;
}
