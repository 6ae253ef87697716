/**
 * WebGPU flag values, pinned by the WebGPU specification. Dawn exposes them as `globals`
 * (GPUBufferUsage, GPUMapMode), but reading them from there would tie this backend to the `webgpu`
 * package's globals and to polluting `globalThis`; with the values here, any `navigator.gpu`-like
 * object can be injected (tests inject fakes, a browser-like host passes its own).
 */

/** GPUBufferUsage flags. */
export const BUFFER_USAGE = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

/** GPUMapMode.READ. */
export const MAP_MODE_READ = 0x0001;

/** GPUShaderStage.COMPUTE. */
export const SHADER_STAGE_COMPUTE = 0x4;
