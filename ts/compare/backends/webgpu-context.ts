/// <reference types="@webgpu/types" />
/**
 * What a `webgpu` comparator and its resident fleets share: one device (with its guard), the
 * pipelines built for it, the counters, and the small helpers every dispatch needs.
 */
import { packWeight } from './f32-pair.js';
import type { RecheckCounts } from './gpu-recheck.js';
import type { GpuCounters } from './webgpu-buffers.js';
import type { DeviceGuard } from './webgpu-device-guard.js';
import type { GpuPipelines } from './webgpu-pipelines.js';

export interface WebGpuContext {
  readonly guard: DeviceGuard;
  readonly device: GPUDevice;
  readonly pipelines: GpuPipelines;
  readonly counters: GpuCounters;
  readonly recheck: RecheckCounts;
  readonly workgroupSize: number;
  /** The adapter as Dawn reports it. */
  readonly adapterDetail: string;
  /** Largest buffer the shaders may bind (the smaller of the binding and buffer limits). */
  readonly maxBindingBytes: number;
}

/** Bytes of the `Params` uniform of shaders/row-deviation.wgsl. */
export const ROW_PARAMS_BYTES = 64;

/** The fields of the `Params` uniform (shaders/row-deviation.wgsl), in its order. */
export interface RowParams {
  rowCount: number;
  fieldCount: number;
  maskWords: number;
  rowOffset: number;
  globalRowBase: number;
  missingWeight: number;
  overCapacity: number;
  recheckCapacity: number;
  thresholdUp: number;
  thresholdDown: number;
}

/** Encodes {@link RowParams} for the uniform buffer into `out` (ROW_PARAMS_BYTES, reused). */
export function encodeRowParams(params: RowParams, out: ArrayBuffer): ArrayBuffer {
  const words = new Uint32Array(out);
  const floats = new Float32Array(out);
  const missing = packWeight(params.missingWeight);
  words[0] = params.rowCount;
  words[1] = params.fieldCount;
  words[2] = params.maskWords;
  words[3] = params.rowOffset;
  words[4] = params.globalRowBase;
  words[5] = missing.state;
  words[6] = params.overCapacity;
  words[7] = params.recheckCapacity;
  words[8] = 0; // the opaque zero of shaders/df64.wgsl
  floats[9] = missing.hi;
  floats[10] = missing.lo;
  const up = Math.fround(params.thresholdUp);
  floats[11] = up;
  floats[12] = Math.fround(params.thresholdUp - up);
  const down = Math.fround(params.thresholdDown);
  floats[13] = down;
  floats[14] = Math.fround(params.thresholdDown - down);
  floats[15] = 0;
  return out;
}
