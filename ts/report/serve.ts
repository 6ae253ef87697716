/**
 * `wfmirror report --serve`: the report page served on localhost and kept current while a run
 * writes to the store. The page is rebuilt from the store when a request finds the input files
 * changed (size, modification time or inode of the store, its `-wal` file, and the recovery
 * logs: a stat per request, no rebuild while nothing changed), and the page polls `./version`, a
 * hash of the data it shows, reloading itself when that changed.
 *
 * Routes: `/` the page (with an ETag, so a reload of an unchanged store is a 304), `/version`
 * the current version as text, `/data.json` the page's data. Bound to 127.0.0.1 by default: the
 * page shows workflow ids and values, which are no one else's business.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { type BuiltReport, loadReportData, type ReportOptions } from './build.js';
import { InvalidReportOptionError } from './errors.js';
import { escapeHtml, jsonForScript } from './format.js';
import { contentSecurityPolicy, renderReportHtml } from './render.js';
import type { ReportData } from './report-data.js';

/** Options of {@link serveReport}. */
export interface ReportServerOptions extends ReportOptions {
  /** Default 0: a free port chosen by the system (see {@link ReportServer.url}). */
  readonly port?: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** How often the page polls for a change (ms). Default 2,000. */
  readonly refreshMs?: number;
  /** Told when a rebuild fails (the page then shows the error and keeps polling). */
  readonly onError?: (error: unknown) => void;
}

/** A running report server. */
export interface ReportServer {
  /** `http://host:port/` */
  readonly url: string;
  readonly port: number;
  /** The current version of the page's content (what `/version` answers; rebuilt first if the files changed). */
  version(): string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Starts the server once a first build succeeded, so a missing or wrong input fails here, with
 * its typed error, rather than as an error page.
 */
export async function serveReport(options: ReportServerOptions): Promise<ReportServer> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidReportOptionError('port', `must be an integer from 0 to 65535, got ${String(port)}`);
  }
  const refreshMs = options.refreshMs ?? 2_000;
  if (!Number.isFinite(refreshMs) || refreshMs < 100) {
    throw new InvalidReportOptionError('refreshMs', `must be at least 100 ms, got ${String(refreshMs)}`);
  }
  const host = options.host ?? '127.0.0.1';
  const watched = watchedFiles(options);

  // Rebuilt when the files' stats change; the version the page compares is a hash of the data,
  // so a change of the files that changes nothing shown (a WAL checkpoint moving pages into the
  // main file) does not reload the page. A failed build is kept too, until the files change.
  let cached: Snapshot | undefined;
  const current = (): Snapshot => {
    const stat = statVersion(watched);
    if (cached?.stat === stat) return cached;
    try {
      const data = loadReportData(options);
      const version = contentVersion(data);
      const html = renderReportHtml(data, { live: { version, intervalMs: refreshMs } });
      cached = { stat, version, built: { html, data } };
    } catch (error) {
      cached = { stat, version: `error-${stat}`, error };
      options.onError?.(error);
    }
    return cached;
  };
  const first = current(); // fail fast on a bad input or option
  if (first.error !== undefined) throw first.error;

  const server = createServer((request, response) => {
    try {
      route(request, response);
    } catch (error) {
      options.onError?.(error);
      send(response, 500, 'text/plain; charset=utf-8', `${(error as Error).message}\n`, { 'Cache-Control': 'no-store' });
    }
  });

  const route = (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/version') {
      send(response, 200, 'text/plain; charset=utf-8', current().version, { 'Cache-Control': 'no-store' });
    } else if (path === '/' || path === '/index.html') {
      const { version, built, error } = current();
      if (built === undefined) {
        send(response, 500, 'text/html; charset=utf-8', errorPage(error, version, refreshMs), { 'Cache-Control': 'no-store' });
        return;
      }
      const etag = `"${version}"`;
      if (request.headers['if-none-match'] === etag) {
        response.writeHead(304, { ETag: etag, 'Cache-Control': 'no-cache' }).end();
        return;
      }
      send(
        response,
        200,
        'text/html; charset=utf-8',
        built.html,
        { ETag: etag, 'Cache-Control': 'no-cache' },
        request.method === 'HEAD',
      );
    } else if (path === '/data.json') {
      const { built, error } = current();
      if (built === undefined) send(response, 500, 'text/plain; charset=utf-8', `${(error as Error).message}\n`);
      else send(response, 200, 'application/json', jsonForScript(built.data), { 'Cache-Control': 'no-store' });
    } else {
      send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  };

  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      listening();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    port: address.port,
    version: () => current().version,
    close: () =>
      new Promise<void>((closed) => {
        server.close(() => closed());
        server.closeAllConnections();
      }),
  };
}

/** The files whose change means the page may change: the input, the recovery logs, and their WAL files. */
function watchedFiles(options: ReportOptions): string[] {
  // The demo's failover log may appear after the server started: watched by name whether or not it exists yet.
  const logs = options.logs ?? [options.input, join(dirname(options.input), 'failover.db')];
  const files = new Set<string>();
  for (const path of [options.input, ...logs]) {
    files.add(path);
    files.add(`${path}-wal`);
  }
  return [...files];
}

/** The page as last built from the files, or why it could not be. */
interface Snapshot {
  /** {@link statVersion} of the watched files when built. */
  readonly stat: string;
  /** {@link contentVersion} of the data, or `error-<stat>` when the build failed. */
  readonly version: string;
  readonly built?: BuiltReport;
  readonly error?: unknown;
}

/**
 * A short hash of the watched files' sizes, modification times (ns) and inodes: changes with
 * every write (SQLite in WAL mode writes to the `-wal` file first; a checkpoint changes the main
 * file), so it says when to rebuild; what the page compares is {@link contentVersion}.
 */
export function statVersion(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    const stat = statSync(file, { bigint: true, throwIfNoEntry: false });
    hash.update(`${file}\0${stat === undefined ? '-' : `${stat.size}:${stat.mtimeNs}:${stat.ino}`}\n`);
  }
  return hash.digest('hex').slice(0, 20);
}

/** A short hash of what the page shows (its data, less the build time). */
export function contentVersion(data: ReportData): string {
  return createHash('sha256')
    .update(jsonForScript({ ...data, generatedAt: 0 }))
    .digest('hex')
    .slice(0, 20);
}

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
  headOnly = false,
): void {
  response.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  response.end(headOnly ? undefined : body);
}

/** A page that says what went wrong and keeps polling, so it recovers when the input does. */
function errorPage(error: unknown, version: string, refreshMs: number): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const script = `
setInterval(() => fetch('./version', { cache: 'no-store' }).then((r) => r.text()).then((v) => { if (v.trim() !== ${jsonForScript(version)}) location.reload(); }).catch(() => {}), ${refreshMs});
`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(script)}"><title>wfmirror report: error</title></head><body><h1>The report could not be built</h1><pre>${escapeHtml(message)}</pre><p>This page reloads when the input changes.</p><script>${script}</script></body></html>`;
}
