/// <reference types="@webgpu/types" />
/**
 * The `webgpu` comparison backend: the deviation of DESIGN.md section 6 as a WGSL compute shader,
 * through Dawn (the `webgpu` package) or any injected `navigator.gpu`-like source.
 *
 * Precision: f32 only on the device, so values travel as hi/lo/tail f32 (f32-pair.ts) and the shader
 * computes in df64 with certified error margins. Masks are exact; deviations are within
 * GPU_DEVIATION_RELATIVE_BOUND (2^-32, derived in gpu-precision.ts); whatever the device cannot decide
 * exactly (values outside its range, close calls) is recomputed on the host by the oracle, counted in
 * `stats`. On a software adapter (Mesa lavapipe) this is slower than the CPU backends; it is there
 * for correctness, and for GPU nodes.
 *
 * Files: webgpu-device.ts (adapter and device), webgpu-device-guard.ts (errors and device loss),
 * webgpu-pipelines.ts (pipelines, built once), webgpu-buffers.ts (buffers, grown only when needed),
 * webgpu-self-test.ts (df64 known-answer test), webgpu-comparator.ts (compare), webgpu-resident*.ts
 * (matrices resident on the device, deltas, compaction).
 */
import type { BackendDefinition, BackendSettings, ProbeResult } from '../backend.js';
import type { Comparator, ComparisonLayout } from '../comparator.js';
import { WebGpuBackendError } from './gpu-errors.js';
import { emptyRecheckCounts, type RecheckCounts } from './gpu-recheck.js';
import { emptyGpuCounters, type GpuCounters } from './webgpu-buffers.js';
import { DeviceComparison } from './webgpu-comparator.js';
import type { WebGpuContext } from './webgpu-context.js';
import { describe, findAdapter, type GpuSourceLoader, loadDawn, openDevice } from './webgpu-device.js';
import { DeviceGuard } from './webgpu-device-guard.js';
import { buildPipelines } from './webgpu-pipelines.js';
import { createResidentFleet } from './webgpu-resident.js';
import type { ResidentFleet, ResidentFleetOptions } from './webgpu-resident-types.js';
import { runDf64SelfTest } from './webgpu-self-test.js';

export { type GpuSource, type GpuSourceLoader, loadDawn } from './webgpu-device.js';
export type {
  OverThresholdOptions,
  OverThresholdResult,
  ResidentFleet,
  ResidentFleetOptions,
  ResidentSide,
} from './webgpu-resident-types.js';

/** Default threads per workgroup of the compare shader. */
export const DEFAULT_WORKGROUP_SIZE = 64;

/** What a webgpu comparator has done, a snapshot. */
export interface WebGpuStats extends GpuCounters, RecheckCounts {
  /** compare() calls that reached the device or the host fallback. */
  readonly compares: number;
}

/** The webgpu comparator: a Comparator, plus device-resident fleets and stats. */
export interface WebGpuComparator extends Comparator {
  /** The adapter, as Dawn reports it (vendor, architecture, device, description). */
  readonly adapter: string;
  readonly workgroupSize: number;
  /** Counters: pipelines and buffers created (reuse), dispatches, rows recomputed on the host by reason. */
  readonly stats: WebGpuStats;
  /**
   * Both matrices of a fleet of `capacity` rows kept on this comparator's device: deltas in, rows
   * over a threshold out (DESIGN.md section 7). Disposed with the comparator at the latest.
   */
  createResidentFleet(layout: ComparisonLayout, capacity: number, options?: ResidentFleetOptions): ResidentFleet;
}

/** A webgpu backend definition whose create() is typed with the extra API. */
export interface WebGpuBackendDefinition extends BackendDefinition {
  create(settings?: BackendSettings): Promise<WebGpuComparator>;
}

/**
 * A webgpu backend reading its adapter from `source` (default: Dawn). Injecting a source is how
 * tests see "no adapter" and "device lost", and how a host with its own WebGPU uses that.
 */
export function defineWebGpuBackend(source: GpuSourceLoader = loadDawn): WebGpuBackendDefinition {
  let probed: Promise<ProbeResult> | undefined;
  return {
    name: 'webgpu',
    probe() {
      probed ??= findAdapter(source).then(
        (found): ProbeResult =>
          found.adapter === null ? { available: false, reason: found.reason } : { available: true, detail: found.detail },
        (error: unknown): ProbeResult => ({ available: false, reason: `probe failed: ${describe(error)}` }),
      );
      return probed;
    },
    create(settings) {
      return createWebGpuComparator(source, settings);
    },
  };
}

/** The registry's `webgpu` backend, on Dawn. */
export const webgpuBackend: WebGpuBackendDefinition = defineWebGpuBackend();

/**
 * Opens a device on the source's adapter, builds the pipelines, checks the df64 arithmetic, and
 * returns the comparator. Rejects with a WebGpuBackendError (WEBGPU_UNAVAILABLE, WEBGPU_NO_ADAPTER,
 * WEBGPU_INVALID_SETTINGS, WEBGPU_SETUP_FAILED, WEBGPU_ARITHMETIC_UNSOUND).
 */
export async function createWebGpuComparator(
  source: GpuSourceLoader = loadDawn,
  settings: BackendSettings = {},
): Promise<WebGpuComparator> {
  const found = await findAdapter(source);
  if (found.adapter === null) throw new WebGpuBackendError(found.code, found.reason);
  const { adapter } = found;
  const workgroupSize = settings.workgroupSize ?? DEFAULT_WORKGROUP_SIZE;
  const maxWorkgroup = Math.min(adapter.limits.maxComputeInvocationsPerWorkgroup, adapter.limits.maxComputeWorkgroupSizeX);
  if (!Number.isSafeInteger(workgroupSize) || workgroupSize < 1 || workgroupSize > maxWorkgroup) {
    throw new WebGpuBackendError(
      'WEBGPU_INVALID_SETTINGS',
      `workgroupSize must be an integer from 1 to ${maxWorkgroup} (this adapter's limit), got ${String(workgroupSize)}`,
    );
  }
  let device: GPUDevice;
  try {
    device = await openDevice(adapter);
  } catch (error) {
    throw new WebGpuBackendError('WEBGPU_SETUP_FAILED', `the adapter refused a device: ${describe(error)}`, { cause: error });
  }
  const guard = new DeviceGuard(device, 'webgpu comparator');
  const counters = emptyGpuCounters();
  try {
    const building = buildPipelines(device, workgroupSize, counters).catch((error: unknown): never => {
      throw new WebGpuBackendError('WEBGPU_SETUP_FAILED', `the shaders did not build: ${describe(error)}`, { cause: error });
    });
    const pipelines = await guard.wait(building, 'shader build');
    await runDf64SelfTest(guard, pipelines, counters);
    const ctx: WebGpuContext = {
      guard,
      device,
      pipelines,
      counters,
      recheck: emptyRecheckCounts(),
      workgroupSize,
      adapterDetail: found.detail,
      maxBindingBytes: Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize),
    };
    return comparatorOn(ctx);
  } catch (error) {
    guard.dispose();
    throw error;
  }
}

function comparatorOn(ctx: WebGpuContext): WebGpuComparator {
  const comparison = new DeviceComparison(ctx);
  const fleets = new Set<ResidentFleet>();
  let compares = 0;
  return {
    name: 'webgpu',
    adapter: ctx.adapterDetail,
    workgroupSize: ctx.workgroupSize,
    get stats(): WebGpuStats {
      return { ...ctx.counters, ...ctx.recheck, compares };
    },
    async compare(primary, mirror, layout, options) {
      const result = await comparison.compare(primary, mirror, layout, options);
      compares++;
      return result;
    },
    createResidentFleet(layout, capacity, options) {
      const fleet = createResidentFleet(ctx, layout, capacity, options);
      fleets.add(fleet);
      return fleet;
    },
    dispose() {
      if (!ctx.guard.usable) return;
      for (const fleet of fleets) fleet.dispose();
      fleets.clear();
      comparison.destroy();
      ctx.guard.dispose();
    },
  };
}
