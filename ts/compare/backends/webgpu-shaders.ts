/**
 * The WGSL of the `webgpu` backend, read from the package's `shaders/` folder (shipped beside the
 * code, found through assetPath so it works from `ts/` and from `dist/`). WGSL has no includes, so
 * a module is its files joined in order: shared functions first, the entry point last.
 */
import { readFileSync } from 'node:fs';
import { assetPath } from '../../assets.js';

/** The shader modules the backend builds, each a list of files under `shaders/`. */
export const SHADER_MODULES = {
  /** Comparator.compare: one row per invocation, results per row. */
  compare: ['df64.wgsl', 'row-deviation.wgsl', 'compare.wgsl'],
  /** Resident fleets: rows over threshold and rows to recheck, compacted by atomic counters. */
  compact: ['df64.wgsl', 'row-deviation.wgsl', 'compact.wgsl'],
  /** Resident fleets: deltas written into the device matrices. */
  scatter: ['scatter.wgsl'],
  /** Known-answer test of the df64 arithmetic (same bindings as compare). */
  selfTest: ['df64.wgsl', 'row-deviation.wgsl', 'df64-self-test.wgsl'],
} as const;

export type ShaderModuleName = keyof typeof SHADER_MODULES;

const sources = new Map<ShaderModuleName, string>();

/** The WGSL source of `name` (read once per process). */
export function shaderSource(name: ShaderModuleName): string {
  let source = sources.get(name);
  if (source === undefined) {
    source = SHADER_MODULES[name]
      .map((file) => `// ---- shaders/${file}\n${readFileSync(assetPath(`shaders/${file}`), 'utf8')}`)
      .join('\n');
    sources.set(name, source);
  }
  return source;
}
