/**
 * A throwaway redis-server for the transport and node tests: a free port on 127.0.0.1, no RDB
 * snapshots, AOF on (so a stop and restart keeps the streams and groups), data in a temporary
 * folder. It can be stopped (SIGTERM: Redis writes its AOF and exits; SIGKILL: it just dies) and
 * restarted on the same port and folder. Processes are killed by pid, never by name.
 *
 * When `redis-server` is not installed the tests skip with the reason, unless
 * WFMIRROR_REQUIRE_REDIS=1 (CI), where a missing server fails them.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The server binary (override with WFMIRROR_REDIS_SERVER). */
export const REDIS_SERVER = process.env.WFMIRROR_REDIS_SERVER ?? 'redis-server';

/**
 * Why the Redis tests cannot run here, or undefined when they can.
 * @throws Error when the server is missing and WFMIRROR_REQUIRE_REDIS=1
 */
export function redisServerMissing(): string | undefined {
  try {
    execFileSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    const reason = `${REDIS_SERVER} is not installed (apt-get install redis-server); set WFMIRROR_REDIS_SERVER to its path`;
    if (process.env.WFMIRROR_REQUIRE_REDIS === '1') throw new Error(`WFMIRROR_REQUIRE_REDIS=1 but ${reason}`);
    return reason;
  }
}

/** A free TCP port on 127.0.0.1 (asked from the OS, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One PING over a raw socket: true when the server answers +PONG (not -LOADING, not refused). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

/** A redis-server child process on a port and data folder of its own. */
export class TestRedisServer {
  readonly port: number;
  readonly dir: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  readonly #extraArgs: readonly string[];

  private constructor(port: number, dir: string, extraArgs: readonly string[]) {
    this.port = port;
    this.dir = dir;
    this.#extraArgs = extraArgs;
  }

  /** Starts a server and waits until it answers PING. */
  static async start(extraArgs: readonly string[] = []): Promise<TestRedisServer> {
    const server = new TestRedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'wfm-redis-')), extraArgs);
    await server.restart();
    return server;
  }

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The server's pid while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the server again on the same port and folder (it loads its AOF); waits for PING. */
  async restart(timeoutMs = 10_000): Promise<void> {
    if (this.#child !== undefined) throw new Error('redis-server is running; stop() it first');
    const child = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'yes',
        '--dir',
        this.dir,
        ...this.#extraArgs,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + timeoutMs;
    while (!(await ping(this.port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops the server (SIGTERM: Redis flushes its AOF first; SIGKILL: no goodbye) and waits for it to exit. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, signal);
    await this.#exited;
    this.#child = undefined;
  }

  /** Stops the server and deletes its folder. */
  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Redis server tests can share (they keep apart by key prefix) but never stop or restart. */
export interface SharedRedis {
  readonly url: string;
  /** Releases it: stops the server when this test file started it, leaves CI's running. */
  dispose(): Promise<void>;
}

/**
 * CI's Redis (`WFMIRROR_REDIS_URL`: `.ci/run` starts it on a free loopback port and stops it by
 * pid at the end), or, outside CI, a server of this test file's own.
 */
export async function sharedRedis(): Promise<SharedRedis> {
  const url = process.env.WFMIRROR_REDIS_URL;
  if (url !== undefined && url !== '') return { url, dispose: async () => undefined };
  const server = await TestRedisServer.start();
  return { url: server.url, dispose: () => server.dispose() };
}
