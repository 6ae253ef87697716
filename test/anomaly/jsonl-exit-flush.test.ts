import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readJsonlReports } from '../../ts/anomaly/jsonl-sink.js';
import { manyReports, tempDir } from './fixtures.js';

// The exit hook can only be seen from a process that really exits, so the sink is compiled with
// tsc into a temp dir (Node 20 cannot run .ts itself) and run in a child process.
const tmp = tempDir('jsonl-exit');
afterAll(() => tmp.cleanup());

describe('JsonlFileSink at process exit', () => {
  it('writes out buffered reports of a sink that was never flushed or closed', () => {
    const root = resolve(import.meta.dirname, '../..');
    const out = join(tmp.dir, 'build');
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        ...['--outDir', out, '--rootDir', root, '--module', 'nodenext', '--moduleResolution', 'nodenext'],
        ...['--target', 'es2022', '--types', 'node', '--skipLibCheck', '--strict'],
        join(root, 'ts/anomaly/jsonl-sink.ts'),
      ],
      { cwd: root, stdio: 'pipe' },
    );
    writeFileSync(join(out, 'package.json'), '{"type":"module"}');
    const file = join(tmp.dir, 'out', 'a.jsonl');
    const reports = manyReports(50); // well under 64 KiB: all of it is still buffered at exit
    const script = `
      const { JsonlFileSink } = await import(${JSON.stringify(join(out, 'ts/anomaly/jsonl-sink.js'))});
      const sink = new JsonlFileSink(${JSON.stringify(file)});
      for (const r of ${JSON.stringify(reports)}) sink.write(r);
      process.exit(0);
    `;
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'pipe' });
    expect(readJsonlReports(file)).toEqual(reports);
  });
});
