/// <reference types="@webgpu/types" />
/**
 * The compute pipelines of the `webgpu` backend and their bind group layouts, built once per
 * device and workgroup size and reused by every comparison and resident fleet of a comparator.
 * Layouts are explicit (not 'auto') so bind groups built for one pipeline are valid for it forever.
 */
import type { GpuCounters } from './webgpu-buffers.js';
import { SHADER_STAGE_COMPUTE } from './webgpu-constants.js';
import { type ShaderModuleName, shaderSource } from './webgpu-shaders.js';

type BindingKind = 'uniform' | 'read-only-storage' | 'storage';

/** Pipelines and layouts, ready to bind. */
export interface GpuPipelines {
  readonly compare: GPUComputePipeline;
  readonly compareLayout: GPUBindGroupLayout;
  readonly compact: GPUComputePipeline;
  readonly compactLayout: GPUBindGroupLayout;
  readonly scatter: GPUComputePipeline;
  readonly scatterLayout: GPUBindGroupLayout;
  /** Uses compareLayout. */
  readonly selfTest: GPUComputePipeline;
}

/**
 * Builds every pipeline (asynchronously: a shader that fails to compile rejects here, at creation,
 * not at the first comparison).
 */
export async function buildPipelines(device: GPUDevice, workgroupSize: number, counters: GpuCounters): Promise<GpuPipelines> {
  const rowLayout: BindingKind[] = ['uniform', 'read-only-storage', 'read-only-storage', 'read-only-storage', 'storage'];
  const compareLayout = bindGroupLayout(device, 'compare', rowLayout);
  const compactLayout = bindGroupLayout(device, 'compact', [...rowLayout, 'storage', 'storage']);
  const scatterLayout = bindGroupLayout(device, 'scatter', ['uniform', 'read-only-storage', 'read-only-storage', 'storage']);
  const constants = { WORKGROUP_SIZE: workgroupSize };
  const [compare, compact, scatter, selfTest] = await Promise.all([
    pipeline(device, 'compare', 'compare_rows', compareLayout, constants),
    pipeline(device, 'compact', 'compact_rows', compactLayout, constants),
    pipeline(device, 'scatter', 'scatter_deltas', scatterLayout, constants),
    pipeline(device, 'selfTest', 'self_test', compareLayout, {}),
  ]);
  counters.pipelinesCreated += 4;
  return { compare, compareLayout, compact, compactLayout, scatter, scatterLayout, selfTest };
}

function bindGroupLayout(device: GPUDevice, label: string, kinds: readonly BindingKind[]): GPUBindGroupLayout {
  return device.createBindGroupLayout({
    label,
    entries: kinds.map((type, binding) => ({ binding, visibility: SHADER_STAGE_COMPUTE, buffer: { type } })),
  });
}

function pipeline(
  device: GPUDevice,
  name: ShaderModuleName,
  entryPoint: string,
  layout: GPUBindGroupLayout,
  constants: Record<string, number>,
): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ label: name, code: shaderSource(name) });
  return device.createComputePipelineAsync({
    label: name,
    layout: device.createPipelineLayout({ label: name, bindGroupLayouts: [layout] }),
    compute: { module, entryPoint, constants },
  });
}

/** A bind group of whole buffers, binding i = buffers[i]. */
export function bindBuffers(
  device: GPUDevice,
  layout: GPUBindGroupLayout,
  label: string,
  buffers: readonly GPUBuffer[],
): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout,
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}

/**
 * Workgroups for `items` invocations: a 2D grid when one dimension would pass the device's limit
 * (the shaders fold gid.y back into a flat index).
 */
export function dispatchGrid(device: GPUDevice, items: number, workgroupSize: number): [number, number] {
  const groups = Math.max(1, Math.ceil(items / workgroupSize));
  const x = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
  return [x, Math.ceil(groups / x)];
}
