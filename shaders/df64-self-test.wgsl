// Known-answer test of the df64 arithmetic on this device (ts/compare/backends/webgpu-self-test.ts).
// Test i takes value i of `primary` and of `mirror` (packed hi, lo, tail, one field per row) and
// writes 8 f32 to mask_out: certified_difference (d hi, d lo, bound), 0, then two_sum and two_prod
// of the two hi parts. The host checks the primitives bit for bit against float64 arithmetic, and
// that the chained difference is within its own certified bound. Included after df64.wgsl and
// row-deviation.wgsl (it uses their bindings; `params.row_count` is the number of tests).

@group(0) @binding(4) var<storage, read_write> mask_out: array<u32>;

@compute @workgroup_size(64)
fn self_test(@builtin(global_invocation_id) gid: vec3<u32>) {
  opaque_zero = params.opaque_zero;
  let i = gid.x;
  if (i >= params.row_count) {
    return;
  }
  let b = i * 3u;
  let d = certified_difference(primary[b], primary[b + 1u], primary[b + 2u], mirror[b], mirror[b + 1u], mirror[b + 2u]);
  let s = two_sum(primary[b], mirror[b]);
  let p = two_prod(primary[b], mirror[b]);
  let o = i * 8u;
  mask_out[o] = bitcast<u32>(d.x);
  mask_out[o + 1u] = bitcast<u32>(d.y);
  mask_out[o + 2u] = bitcast<u32>(d.z);
  mask_out[o + 3u] = 0u;
  mask_out[o + 4u] = bitcast<u32>(s.x);
  mask_out[o + 5u] = bitcast<u32>(s.y);
  mask_out[o + 6u] = bitcast<u32>(p.x);
  mask_out[o + 7u] = bitcast<u32>(p.y);
}
