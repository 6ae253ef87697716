/** The `/metrics` endpoint: a bare node:http server, so scraping needs no web framework. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidObserveOptionsError, MetricsServerError } from './errors.js';

/** What the endpoint serves: a {@link WfmirrorMetrics}, or a prom-client registry. */
export interface MetricsText {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** Options of {@link serveMetrics}. */
export interface ServeMetricsOptions {
  readonly metrics: MetricsText;
  /** 0 picks a free port (the returned `url` says which). */
  readonly port: number;
  /** Default `127.0.0.1`: metrics say a lot about a system, so they are not on every interface unless asked. */
  readonly host?: string;
}

/** A running endpoint. */
export interface MetricsServer {
  /** e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and ends open connections (keep-alive ones included). Calling it again does nothing. */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (and `HEAD`); other paths answer 404, other methods 405. A scrape that
 * fails answers 500 with the reason, and the server keeps serving.
 * @throws InvalidObserveOptionsError for a bad port or host; MetricsServerError when it cannot listen
 */
export async function serveMetrics(options: ServeMetricsOptions): Promise<MetricsServer> {
  const { metrics, port } = options;
  const host = options.host ?? '127.0.0.1';
  if (typeof metrics?.metrics !== 'function')
    throw new InvalidObserveOptionsError('serveMetrics.metrics', 'must have a metrics() method');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidObserveOptionsError('serveMetrics.port', `must be an integer in [0, 65535] (got ${String(port)})`);
  }
  if (typeof host !== 'string' || host === '')
    throw new InvalidObserveOptionsError('serveMetrics.host', 'must be a non-empty string');

  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    metrics.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': metrics.contentType });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`scrape failed: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
  });
  await listen(server, port, host);
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${bound}/metrics`,
    port: bound,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection would hold close() open until it times out.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(new MetricsServerError(host, port, { cause: error }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
