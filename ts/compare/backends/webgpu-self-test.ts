/// <reference types="@webgpu/types" />
/**
 * Known-answer test of the df64 arithmetic on a device, run once when a comparator is created.
 * Why: the error bound of the backend (gpu-precision.ts) holds only if TwoSum and TwoProduct are
 * exact, and a shader compiler that simplifies algebraically breaks them silently (Mesa lavapipe
 * did, in chained TwoSums, until the opaque rounding of shaders/df64.wgsl). A device that fails
 * here is refused (`WEBGPU_ARITHMETIC_UNSOUND`) rather than trusted with plausible-looking results.
 *
 * Each test is a pair of doubles p, m in the same binade (so p - m is exact in float64), packed
 * like matrix values. The shader returns certified_difference(p, m) (the chained TwoSums the rule
 * relies on), TwoSum and TwoProduct of their hi parts; the host checks the primitives bit for bit
 * and that |p - m| is within the difference's own certified bound.
 */
import { PARTS_PER_VALUE, packValue } from './f32-pair.js';
import { WebGpuBackendError } from './gpu-errors.js';
import type { GpuCounters } from './webgpu-buffers.js';
import { BUFFER_USAGE, MAP_MODE_READ } from './webgpu-constants.js';
import { encodeRowParams, ROW_PARAMS_BYTES } from './webgpu-context.js';
import type { DeviceGuard } from './webgpu-device-guard.js';
import { bindBuffers, type GpuPipelines } from './webgpu-pipelines.js';

/** f32 the shader writes per test. */
export const SELF_TEST_OUTPUT_WORDS = 8;

/** Test pairs (p, m), interleaved: fixed hard ones, then random ones of many magnitudes and closenesses. */
export function selfTestInputs(count = 256): Float64Array {
  const fixed = [
    [1.1, 2.3],
    [1e12 + 0.01, 1e12],
    [0.1 + 0.2, 0.3],
    [123456.789, 123456.7891],
    [-3.3, -1.7000000000000002],
    [1 / 3, 2 / 3],
    [2 ** 59 + 2 ** 7, 2 ** 59 - 1],
  ];
  const out = new Float64Array(count * 2);
  fixed.forEach(([p, m], i) => {
    out[i * 2] = p!;
    out[i * 2 + 1] = m!;
  });
  let seed = 0x5eed;
  const rand = (): number => {
    // mulberry32: deterministic, so a failure names the same pair on every run.
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = fixed.length; i < count; i++) {
    const sign = rand() < 0.5 ? -1 : 1;
    const p = sign * (1 + rand()) * 2 ** Math.floor(rand() * 80 - 40);
    // Closeness from one part in 2 down to one in 2^50; m stays within [p/2, 2p], so p - m is exact.
    const m = p * (1 + (rand() - 0.5) * 2 ** -Math.floor(rand() * 50));
    out[i * 2] = p;
    out[i * 2 + 1] = m;
  }
  return out;
}

/** The first test whose output is wrong, described, or undefined when all are right. */
export function checkSelfTestOutputs(inputs: Float64Array, outputs: Float32Array): string | undefined {
  const count = inputs.length / 2;
  for (let i = 0; i < count; i++) {
    const p = inputs[i * 2]!;
    const m = inputs[i * 2 + 1]!;
    const o = i * SELF_TEST_OUTPUT_WORDS;
    const difference = Math.abs(p - m); // exact: same binade
    const seen = outputs[o]! + outputs[o + 1]!;
    const bound = outputs[o + 2]!;
    if (difference !== 0 && !(Math.abs(seen - difference) <= bound)) {
      return `certified_difference(${p}, ${m}) gave ${seen} (bound ${bound}), exact ${difference}`;
    }
    const a = Math.fround(p);
    const b = Math.fround(m);
    const sum = a + b; // exact in float64: hi parts within a factor of 2
    const s = Math.fround(sum);
    const product = a * b; // exact: 24 + 24 bits
    const q = Math.fround(product);
    if (outputs[o + 4] !== s || outputs[o + 5] !== sum - s) {
      return `two_sum(${a}, ${b}) gave (${outputs[o + 4]}, ${outputs[o + 5]}), expected (${s}, ${sum - s})`;
    }
    if (outputs[o + 6] !== q || outputs[o + 7] !== product - q) {
      return `two_prod(${a}, ${b}) gave (${outputs[o + 6]}, ${outputs[o + 7]}), expected (${q}, ${product - q})`;
    }
  }
  return undefined;
}

/** Runs the known-answer test on the device; rejects with WEBGPU_ARITHMETIC_UNSOUND when it fails. */
export async function runDf64SelfTest(guard: DeviceGuard, pipelines: GpuPipelines, counters: GpuCounters): Promise<void> {
  const device = guard.device;
  const inputs = selfTestInputs();
  const count = inputs.length / 2;
  const primary = new Float32Array(count * PARTS_PER_VALUE);
  const mirror = new Float32Array(count * PARTS_PER_VALUE);
  for (let i = 0; i < count; i++) {
    packValue(inputs[i * 2]!, primary, i * PARTS_PER_VALUE);
    packValue(inputs[i * 2 + 1]!, mirror, i * PARTS_PER_VALUE);
  }
  const outBytes = count * SELF_TEST_OUTPUT_WORDS * 4;
  const storage = BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_DST;
  const buffers = {
    params: device.createBuffer({
      label: 'self-test params',
      size: ROW_PARAMS_BYTES,
      usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST,
    }),
    fields: device.createBuffer({ label: 'self-test fields', size: 32, usage: storage }),
    primary: device.createBuffer({ label: 'self-test primary', size: primary.byteLength, usage: storage }),
    mirror: device.createBuffer({ label: 'self-test mirror', size: mirror.byteLength, usage: storage }),
    output: device.createBuffer({ label: 'self-test out', size: outBytes, usage: BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC }),
    readback: device.createBuffer({
      label: 'self-test read',
      size: outBytes,
      usage: BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST,
    }),
  };
  counters.buffersCreated += 6;
  try {
    const params = encodeRowParams(
      {
        rowCount: count,
        fieldCount: 1,
        maskWords: 1,
        rowOffset: 0,
        globalRowBase: 0,
        missingWeight: 0,
        overCapacity: 0,
        recheckCapacity: 0,
        thresholdUp: 0,
        thresholdDown: 0,
      },
      new ArrayBuffer(ROW_PARAMS_BYTES),
    );
    await guard.scoped('df64 self-test', () => {
      device.queue.writeBuffer(buffers.params, 0, params);
      device.queue.writeBuffer(buffers.primary, 0, primary);
      device.queue.writeBuffer(buffers.mirror, 0, mirror);
      const encoder = device.createCommandEncoder({ label: 'self-test' });
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipelines.selfTest);
      pass.setBindGroup(
        0,
        bindBuffers(device, pipelines.compareLayout, 'self-test', [
          buffers.params,
          buffers.fields,
          buffers.primary,
          buffers.mirror,
          buffers.output,
        ]),
      );
      pass.dispatchWorkgroups(Math.ceil(count / 64));
      pass.end();
      encoder.copyBufferToBuffer(buffers.output, 0, buffers.readback, 0, outBytes);
      device.queue.submit([encoder.finish()]);
      counters.dispatches++;
    });
    await guard.wait(buffers.readback.mapAsync(MAP_MODE_READ), 'df64 self-test readback');
    const outputs = new Float32Array(buffers.readback.getMappedRange().slice(0));
    buffers.readback.unmap();
    const failure = checkSelfTestOutputs(inputs, outputs);
    if (failure !== undefined) {
      throw new WebGpuBackendError(
        'WEBGPU_ARITHMETIC_UNSOUND',
        `the shader compiler of this adapter breaks df64 arithmetic, so its deviations could not be trusted: ${failure}`,
      );
    }
  } finally {
    for (const buffer of Object.values(buffers)) buffer.destroy();
  }
}
