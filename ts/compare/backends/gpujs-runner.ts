/**
 * One gpu.js mode with the compare kernel built: a GPU instance, the helpers, the kernel (built
 * once, output and argument sizes dynamic so every chunk reuses it), and a uniform async call
 * (gpu.js's cpu and webasm modes return results, its webgpu mode a promise of them).
 */
import { GpuJsBackendError } from './gpu-errors.js';
import { HELPER_SOURCES, KERNEL_ARGUMENT_TYPES, KERNEL_SOURCE, PRECISION_PROBE_SOURCE } from './gpujs-kernel.js';
import { type GpuJsInstance, type GpuJsKernel, type GpuJsMode, loadGpuJs, provideNavigatorGpu } from './gpujs-loader.js';
import { describe } from './webgpu-device.js';

/** Inputs of one kernel run (a chunk of rows, packed by f32-pair.ts). */
export interface KernelInputs {
  readonly primary: Float32Array;
  readonly mirror: Float32Array;
  readonly fields: Float32Array;
  readonly fieldCount: number;
  readonly chunks: number;
  readonly missingState: number;
  readonly missingHi: number;
  readonly missingLo: number;
  /** Outputs to compute: rows * outputsPerRow. */
  readonly outputs: number;
}

export class GpuJsRunner {
  private constructor(
    readonly mode: GpuJsMode,
    /** Whether this mode computes in float64 (gpu.js cpu mode does): the kernel re-splits its outputs. */
    readonly float64: boolean,
    private readonly gpu: GpuJsInstance,
    private readonly kernel: GpuJsKernel,
  ) {}

  /** Builds the kernel in `mode`; rejects with GPUJS_UNAVAILABLE / GPUJS_MODE_UNAVAILABLE. */
  static async open(mode: GpuJsMode): Promise<GpuJsRunner> {
    let module: ReturnType<typeof loadGpuJs>;
    try {
      module = loadGpuJs();
    } catch (error) {
      throw new GpuJsBackendError('GPUJS_UNAVAILABLE', `gpu.js did not load: ${describe(error)}`, { cause: error });
    }
    if (mode === 'webgpu') {
      const provided = await provideNavigatorGpu();
      if (!provided.ok) throw new GpuJsBackendError('GPUJS_MODE_UNAVAILABLE', `gpu.js webgpu mode: ${provided.reason}`);
    }
    let gpu: GpuJsInstance | undefined;
    try {
      gpu = new module.GPU({ mode });
      for (const helper of HELPER_SOURCES) gpu.addFunction(helper);
      const probe = gpu.createKernel(PRECISION_PROBE_SOURCE, {
        output: [1],
        argumentTypes: { a: 'Float', b: 'Float', z: 'Float' },
      });
      const lowBits = (await settle(probe(1, 2 ** -30, 0)))[0];
      const kernel = gpu.createKernel(KERNEL_SOURCE, {
        output: [1],
        dynamicOutput: true,
        dynamicArguments: true,
        argumentTypes: KERNEL_ARGUMENT_TYPES,
        // gpu.js needs a bound for loops whose end is an argument; 4096 fields is the backend's limit.
        loopMaxIterations: 4096,
        precision: 'single',
        tactic: 'precision',
      });
      return new GpuJsRunner(mode, lowBits !== 0, gpu, kernel);
    } catch (error) {
      await destroyQuietly(gpu);
      if (error instanceof GpuJsBackendError) throw error;
      throw new GpuJsBackendError('GPUJS_MODE_UNAVAILABLE', `gpu.js ${mode} mode: ${describe(error)}`, { cause: error });
    }
  }

  /** Runs the kernel on one chunk; resolves with its flat output. */
  async run(inputs: KernelInputs): Promise<Float32Array> {
    try {
      this.kernel.setOutput([inputs.outputs]);
      const output = await settle(
        this.kernel(
          inputs.primary,
          inputs.mirror,
          inputs.fields,
          inputs.fieldCount,
          inputs.chunks,
          inputs.missingState,
          inputs.missingHi,
          inputs.missingLo,
          0,
          this.float64 ? 1 : 0,
        ),
      );
      if (output.length < inputs.outputs) throw new Error(`returned ${output.length} values, expected ${inputs.outputs}`);
      return output;
    } catch (error) {
      if (error instanceof GpuJsBackendError) throw error;
      throw new GpuJsBackendError('GPUJS_KERNEL_FAILED', `gpu.js ${this.mode} kernel failed: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  destroy(): Promise<void> {
    return destroyQuietly(this.gpu);
  }
}

/** A kernel's result, awaited when it is a promise, checked to be a Float32Array. */
async function settle(result: unknown): Promise<Float32Array> {
  const value = await result;
  if (!(value instanceof Float32Array)) {
    throw new Error(`expected a Float32Array result, got ${value === null ? 'null' : typeof value}`);
  }
  return value;
}

async function destroyQuietly(gpu: GpuJsInstance | undefined): Promise<void> {
  try {
    await gpu?.destroy();
  } catch {
    // Destroying is best effort: a mode that failed to build may not hold anything to free.
  }
}
