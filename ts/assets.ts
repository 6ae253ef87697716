/**
 * Files the package ships beside its code (WGSL shaders, built wasm kernels, hardware profiles).
 * Code runs from `ts/` under the test runner and from `dist/ts/` once built, at different depths,
 * so assets are found from the package root (the nearest folder up with this package.json) rather
 * than by a fixed relative path.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The folder holding this package's package.json. */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'workflow-mirror') {
      root = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`workflow-mirror: package root not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** Absolute path of `relative` (e.g. `shaders/compare.wgsl`) under the package root. */
export function assetPath(relative: string): string {
  return join(packageRoot(), relative);
}
