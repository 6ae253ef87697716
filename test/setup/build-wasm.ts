/**
 * vitest globalSetup: builds the wasm kernels (`npm run build:wasm`) before any test runs when a
 * built file is missing or older than its sources, so the wasm and piscina backends are tested on
 * the kernel the sources describe, with or without a prior `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const OUTPUTS = ['build/wasm/compare-simd.wasm', 'build/wasm/compare-scalar.wasm', 'build/wasm/roofline.wasm'];
const SOURCES = ['assembly/compare.ts', 'asconfig.json', 'assembly/roofline.ts', 'bench/roofline.asconfig.json'];

function mtime(relative: string): number {
  const path = join(root, relative);
  return existsSync(path) ? statSync(path).mtimeMs : Number.NaN;
}

export default function setup(): void {
  const newestSource = Math.max(...SOURCES.map(mtime).filter((t) => !Number.isNaN(t)));
  // NaN (missing output) fails every comparison, so a missing file triggers the build too.
  const stale = OUTPUTS.some((output) => !(mtime(output) >= newestSource));
  if (!stale) return;
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build:wasm'], { cwd: root, stdio: 'inherit' });
}
