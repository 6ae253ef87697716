// Applies state-vector deltas to a resident matrix: delta i writes its three packed parts (hi, lo,
// tail, as produced by ts/compare/backends/f32-pair.ts) to value slot targets[i] of the bound
// side. A bit copy (u32), no arithmetic. The host removes duplicate targets within a batch first
// (the last delta wins there), so no two invocations write the same slot.

struct ScatterParams {
  count: u32,
  reserved0: u32,
  reserved1: u32,
  reserved2: u32,
}

@group(0) @binding(0) var<uniform> scatter: ScatterParams;
@group(0) @binding(1) var<storage, read> targets: array<u32>;
@group(0) @binding(2) var<storage, read> values: array<u32>;
@group(0) @binding(3) var<storage, read_write> side: array<u32>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn scatter_deltas(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= scatter.count) {
    return;
  }
  let dst = targets[i] * 3u;
  side[dst] = values[i * 3u];
  side[dst + 1u] = values[i * 3u + 1u];
  side[dst + 2u] = values[i * 3u + 2u];
}
