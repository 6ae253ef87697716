/**
 * The two shapes this module is about: what the machine is ({@link MachineFacts}, read by
 * `detect.ts`) and what to do on it ({@link HardwareProfile}, data under `hardware-profiles/`,
 * checked against `schemas/hardware-profile.schema.json`). Both are plain JSON-able data so that
 * `wfmirror detect --json` can print them as they are.
 */
import type { BackendName } from '../compare/backend.js';

/** What Dawn said about the adapter it would use. */
export interface GpuAdapterFacts {
  /** `adapter.info.vendor`, e.g. `nvidia`, `apple`, `mesa`. */
  readonly vendor: string;
  /** `adapter.info.architecture`, e.g. `ampere`, `common-3`, `software` (may be empty). */
  readonly architecture: string;
  /** `adapter.info.device` (Dawn puts a normalised model name here on some backends). */
  readonly device: string;
  /** `adapter.info.description` (model and driver). */
  readonly description: string;
  /** A software rasteriser (lavapipe/llvmpipe, SwiftShader, WARP): correct, but no faster than the CPU. */
  readonly software: boolean;
}

/** Whether WebGPU works here; when not, why (a fact to show, never an exception). */
export type WebGpuFacts =
  | { readonly available: true; readonly adapter: GpuAdapterFacts }
  | { readonly available: false; readonly reason: string };

/** The machine as detection read it. */
export interface MachineFacts {
  /** A WebAssembly module using v128 validates. */
  readonly wasmSimd: boolean;
  readonly webgpu: WebGpuFacts;
  /** `os.availableParallelism()`. */
  readonly cores: number;
  /** `os.totalmem()` in GiB, one decimal. */
  readonly memoryGiB: number;
  /** `process.platform`. */
  readonly platform: string;
  /** `process.arch`. */
  readonly arch: string;
  /** `process.versions.node`. */
  readonly nodeVersion: string;
}

/** Rules a machine must all satisfy for a profile to apply; see the schema for each one's meaning. */
export interface ProfileMatch {
  readonly gpuVendor?: string;
  readonly gpuArchitecture?: string;
  readonly gpuDescriptionIncludes?: string;
  readonly softwareGpu?: boolean;
  readonly wasmSimd?: boolean;
  readonly minCores?: number;
  readonly minMemoryGiB?: number;
  readonly platform?: string;
  readonly arch?: string;
}

/** One measured point: a backend comparing a batch of `rows` rows. */
export interface MeasuredTiming {
  readonly backend: BackendName;
  readonly rows: number;
  readonly medianMs: number;
  readonly samples?: number;
}

/** What `wfmirror calibrate` measured and where. */
export interface ProfileMeasurement {
  readonly date: string;
  readonly machine: string;
  readonly fieldCount?: number;
  readonly timings: readonly MeasuredTiming[];
}

/** GPU arithmetic: two f32 per f64 (agrees with the js reference) or plain f32. */
export type GpuPrecision = 'df64' | 'f32';

/** One hardware profile, as validated from its JSON file. */
export interface HardwareProfile {
  readonly $schema?: string;
  readonly name: string;
  readonly description: string;
  readonly match: ProfileMatch;
  readonly priority: number;
  /** Tried in order; always ends with `js`. */
  readonly backendOrder: readonly BackendName[];
  /** Batches below this many rows run on the first CPU backend of `backendOrder`. */
  readonly crossoverRows: number;
  readonly precision: GpuPrecision;
  readonly workgroupSize: number;
  /** Absent: one per available core. */
  readonly workers?: number;
  readonly minRowsPerWorker: number;
  readonly measured?: ProfileMeasurement;
}
