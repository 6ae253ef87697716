/**
 * vitest globalSetup: compiles TypeScript into dist/ (`tsc -p tsconfig.build.json`) when a source
 * is newer than the build, so tests that run built code in a child process (the crash test's
 * primary, the CLI test) run what the sources say, with or without a prior `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE_DIRS = ['ts', 'examples', 'test/recovery/crash'];
/** Built files whose age stands for the build's. */
const OUTPUTS = ['dist/ts/index.js', 'dist/test/recovery/crash/primary-child.js'];

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

export default function setup(): void {
  // For runs that need no built code (and must not rebuild it while others edit the sources).
  if (process.env.WFMIRROR_SKIP_DIST_BUILD === '1') return;
  const newestSource = Math.max(
    ...SOURCE_DIRS.map((dir) => newest(join(root, dir))),
    statSync(join(root, 'tsconfig.build.json')).mtimeMs,
  );
  const stale = OUTPUTS.some((output) => {
    const path = join(root, output);
    return !existsSync(path) || statSync(path).mtimeMs < newestSource;
  });
  if (!stale) return;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['exec', '--', 'tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  execFileSync(npm, ['run', 'build:workers'], { cwd: root, stdio: 'inherit' });
}
