// The memory-bandwidth yardstick of the comparator benchmark (bench/compare.bench.ts): a plain
// sum of float64 values, read 64 bytes per step into four independent f64x2 accumulators, so the
// loads, not the additions, are what limits it. What the comparison kernel does per value is a
// superset of this; the ratio of the two is "how close to the roofline" the kernel runs.

/** Sum of `count` float64 values from byte offset `ptr` (16-byte aligned). */
export function sumF64(ptr: usize, count: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let a2 = f64x2.splat(0);
  let a3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    const p = ptr + ((<usize>i) << 3);
    a0 = f64x2.add(a0, v128.load(p));
    a1 = f64x2.add(a1, v128.load(p, 16));
    a2 = f64x2.add(a2, v128.load(p, 32));
    a3 = f64x2.add(a3, v128.load(p, 48));
  }
  const s = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
  let total = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < count; i++) total += load<f64>(ptr + ((<usize>i) << 3));
  return total;
}
