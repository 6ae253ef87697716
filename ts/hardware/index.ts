/**
 * Hardware detection and profiles (DESIGN.md section 7): what the machine is, which profile fits it,
 * and what that profile means for a batch.
 */

export type { DetectOptions, SystemFacts } from './detect.js';
export { detectMachine, readSystemFacts } from './detect.js';
export {
  DuplicateHardwareProfileError,
  InvalidHardwareProfileError,
  NoMatchingHardwareProfileError,
  type ProfileProblem,
  UnknownHardwareProfileError,
  UnsupportedSchemaError,
} from './errors.js';
export { evaluateProfile, type ProfileEvaluation, type RuleOutcome } from './match-profile.js';
export {
  backendForRows,
  backendOrderForRows,
  backendSettingsOf,
  cpuBackendOf,
  GPU_BACKENDS,
  isGpuBackend,
} from './profile-use.js';
export {
  BUILT_IN_PROFILE_DIR,
  chooseProfile,
  type HardwareProfileFile,
  loadBuiltInProfiles,
  loadProfileFile,
  loadProfiles,
  type ProfileChoice,
} from './profiles.js';
export { type HardwareResolution, type ResolveOptions, resolveHardwareProfile } from './resolve-profile.js';
export type {
  GpuAdapterFacts,
  GpuPrecision,
  HardwareProfile,
  MachineFacts,
  MeasuredTiming,
  ProfileMatch,
  ProfileMeasurement,
  WebGpuFacts,
} from './types.js';
export { PROFILE_SCHEMA_FILE, parseProfile, validateProfile } from './validate-profile.js';
export { detectWasmSimd, SIMD_PROBE_MODULE } from './wasm-simd.js';
export { DEFAULT_GPU_TIMEOUT_MS, dawnGpuSource, detectWebGpu, type GpuAdapterLike, type GpuSource } from './webgpu-adapter.js';
