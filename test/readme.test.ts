import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { MirrorEngine } from '../ts/index.js';
import { SqliteEventLog } from '../ts/index.js';

const root = new URL('..', import.meta.url);
const run = promisify(execFile);

/**
 * Checks that the README's first `ts` block (containing `marker`, when given) is
 * `examples/<example>.ts` from its first import on, as a user imports it (from the package, not
 * from ../ts/index.js).
 */
function expectReadmeShows(example: string, marker?: string): void {
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  const shown =
    [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].find((m) => marker === undefined || m[1]!.includes(marker))?.[1] ?? '';
  const file = readFileSync(new URL(`examples/${example}.ts`, root), 'utf8');
  const body = file.slice(file.indexOf('\nimport ') + 1);
  expect(body.replace("from '../ts/index.js';", "from 'workflow-mirror';")).toBe(shown);
}

describe('README', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wfmirror-readme-'));
  const cwd = process.cwd();
  afterAll(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens with the install-and-demo command and the test command', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = firstBlock
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter(Boolean);
    expect(commands).toEqual(['npm install && npx wfmirror demo', 'npm test']);
  });

  it('shows library code that is examples/readme-order.ts, which compiles (tsc) and runs', async () => {
    expectReadmeShows('readme-order');

    // It writes ./wfmirror.db: run it in a scratch folder (vitest runs this file in a forked process).
    process.chdir(dir);
    await import('../examples/readme-order.js');
    const log = SqliteEventLog.open({ path: join(dir, 'wfmirror.db') });
    const history = await log.readInstance('order-42');
    await log.close();
    expect(history.map((e) => e.type)).toEqual([
      'WorkflowStarted',
      'ActivityScheduled',
      'ActivityCompleted',
      'WorkflowCompleted',
    ]);
  });

  it('shows worker-mirror code that is examples/readme-worker-mirror.ts; run from dist/, its shared mirror equals the primary', async () => {
    expectReadmeShows('readme-worker-mirror', 'WorkerMirror.start');

    // Its workers import built JavaScript, so the built example runs (the global setup builds dist/).
    const { stdout } = await run(process.execPath, [fileURLToPath(new URL('dist/examples/readme-worker-mirror.js', root))], {
      cwd: dir,
    });
    expect(stdout.trim()).toBe('1000 0 0');
  }, 60_000);

  it('shows checkpoint code that is examples/readme-checkpoint.ts; its restored mirror ends where the live one does', async () => {
    expectReadmeShows('readme-checkpoint', 'MirrorEngine.restore');

    const lines: unknown[][] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => lines.push(args);
    let mirrors: { restored: MirrorEngine; live: MirrorEngine };
    try {
      ({ mirrors } = (await import('../examples/readme-checkpoint.js')) as { mirrors: typeof mirrors });
    } finally {
      console.log = log;
    }
    expect(lines).toEqual([[true], ['completed', 'completed']]);
    const live = [...mirrors.live.allInstances()];
    expect(live).toHaveLength(100);
    for (const instance of live) {
      const twin = mirrors.restored.instance(instance.workflowId)!;
      expect([twin.seq, twin.status, twin.state]).toEqual([instance.seq, instance.status, instance.state]);
    }
  });
});
