// df64 ("double-float") arithmetic: a value is an unevaluated sum hi + lo of two f32, which carries
// about 48 significant bits. Included first by every module that computes with it (the loader in
// ts/compare/backends/webgpu-shaders.ts joins the files), so it declares no bindings of its own.
//
// OPAQUE ROUNDING. The error-free transformations below are only exact if every operation is
// rounded where it is written. Shader compilers may simplify floating-point algebra (WGSL does not
// forbid it), and Mesa lavapipe does: measured, `e = (a - (s - (s - a))) + (b - (s - a))` with
// s = a + b came out as 0, which silently turns df64 back into f32. Multiplying each step by an
// opaque 1.0 was not enough either: once two TwoSums were chained, the error term was folded to 0
// again. So each rounded result goes through `opaque`, an XOR of its bits with a zero the compiler
// cannot see (the entry point loads it from its uniform): the value is unchanged, but the compiler
// can no longer relate it to the operands, so it can neither cancel nor reassociate nor contract
// across it. ts/compare/backends/webgpu-self-test.ts checks the primitives and a chained difference
// on each device before the backend is used.

var<private> opaque_zero: u32;

fn opaque(x: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(x) ^ opaque_zero);
}

// s + e == a + b exactly (Knuth's TwoSum), any order of magnitudes.
fn two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = opaque(a + b);
  let v = opaque(s - a);
  let e = opaque(a - opaque(s - v)) + opaque(b - v);
  return vec2<f32>(s, e);
}

// s + e == a + b exactly when |a| >= |b| or a == 0 (Dekker's FastTwoSum).
fn fast_two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = opaque(a + b);
  let e = b - opaque(s - a);
  return vec2<f32>(s, e);
}

// a == hi + lo with hi and lo of at most 12 significant bits each (Veltkamp, 2^12 + 1).
fn split(a: f32) -> vec2<f32> {
  let c = opaque(4097.0 * a);
  let big = opaque(c - a);
  let hi = opaque(c - big);
  return vec2<f32>(hi, a - hi);
}

// p + e == a * b exactly (Dekker's TwoProduct; every partial product is exact). Inputs stay below
// 2^115 so the split cannot overflow.
fn two_prod(a: f32, b: f32) -> vec2<f32> {
  let p = opaque(a * b);
  let x = split(a);
  let y = split(b);
  let e = opaque(opaque(opaque(opaque(x.x * y.x) - p) + opaque(x.x * y.y)) + opaque(x.y * y.x)) + opaque(x.y * y.y);
  return vec2<f32>(p, e);
}

// a * b in df64; relative error below 2^-45 (a few u^2, u = 2^-24).
fn df64_mul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let p = two_prod(a.x, b.x);
  let e = p.y + opaque(opaque(a.x * b.y) + opaque(a.y * b.x));
  return fast_two_sum(p.x, e);
}

// a + b in df64 for a, b >= 0 (the only sums of contributions there are): relative error at most
// 3u^2 for operands of one sign.
fn df64_add(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let s = two_sum(a.x, b.x);
  let e = s.y + opaque(a.y + b.y);
  return fast_two_sum(s.x, e);
}

// a > b for normalised pairs (|lo| at most half an ulp of hi).
fn df64_gt(a: vec2<f32>, b: vec2<f32>) -> bool {
  return a.x > b.x || (a.x == b.x && a.y > b.y);
}
