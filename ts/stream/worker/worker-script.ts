/**
 * Where the shard worker's built JavaScript is. Worker threads get no TypeScript transform, so
 * the worker always runs from the build: beside this module when this module is itself built
 * (`dist/ts/stream/worker/`), else in the package's `dist/` (sources run under a test runner).
 * `tsc -p tsconfig.build.json` (part of `npm run build`) produces it; nothing needs copying.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assetPath } from '../../assets.js';
import { MirrorWorkerScriptMissingError } from './errors.js';

/** The path of `shard-worker.js`. @throws MirrorWorkerScriptMissingError when neither place has it. */
export function shardWorkerPath(): string {
  const candidates = [fileURLToPath(new URL('./shard-worker.js', import.meta.url))];
  try {
    candidates.push(assetPath('dist/ts/stream/worker/shard-worker.js'));
  } catch {
    // No package root above this module: only the first place counts.
  }
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) throw new MirrorWorkerScriptMissingError(candidates);
  return found;
}
