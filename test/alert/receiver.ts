/**
 * A local Alertmanager stand-in for the alert tests: a node:http server on a free port that
 * answers `failFirst` requests with `failStatus`, then takes each POST whose body is a valid
 * Alertmanager v2 `postableAlerts` array (and answers 400 to one that is not, like Alertmanager).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One alert as Alertmanager's v2 API receives it. */
export interface ReceivedAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt?: string;
  readonly generatorURL?: string;
}

export interface Receiver {
  readonly url: string;
  /** Alerts of the requests answered 2xx, in arrival order. */
  readonly accepted: ReceivedAlert[];
  /** Every request: when it came, how many alerts it carried, what it was answered. */
  readonly requests: { at: number; alerts: number; status: number }[];
  /** Shape problems found in request bodies (should stay empty). */
  readonly problems: string[];
  close(): Promise<void>;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** RFC 3339 date-time, as the OpenAPI `format: date-time` of startsAt/endsAt. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * What is wrong with `body` as an Alertmanager v2 `postableAlerts` (the OpenAPI schema plus the
 * checks Alertmanager's `Validate` makes: at least one label, valid label names, non-empty label
 * values, times that parse, endsAt not before startsAt, generatorURL a URI).
 */
export function alertmanagerV2Problems(body: unknown): string[] {
  if (!Array.isArray(body)) return ['body is not an array'];
  const problems: string[] = [];
  body.forEach((alert: unknown, i) => {
    const at = `[${i}]`;
    if (typeof alert !== 'object' || alert === null) {
      problems.push(`${at} is not an object`);
      return;
    }
    const a = alert as Record<string, unknown>;
    for (const key of Object.keys(a)) {
      if (!['labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL'].includes(key))
        problems.push(`${at}.${key} is not in the schema`);
    }
    const labels = a['labels'];
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels) || Object.keys(labels).length === 0) {
      problems.push(`${at}.labels must be a non-empty object`);
    } else {
      for (const [name, value] of Object.entries(labels)) {
        if (!LABEL_NAME.test(name)) problems.push(`${at}.labels has invalid name ${name}`);
        if (typeof value !== 'string' || value === '') problems.push(`${at}.labels.${name} must be a non-empty string`);
      }
    }
    const annotations = a['annotations'];
    if (annotations !== undefined) {
      if (typeof annotations !== 'object' || annotations === null || Array.isArray(annotations))
        problems.push(`${at}.annotations must be an object`);
      else
        for (const [name, value] of Object.entries(annotations))
          if (typeof value !== 'string') problems.push(`${at}.annotations.${name} must be a string`);
    }
    for (const key of ['startsAt', 'endsAt']) {
      const t = a[key];
      if (t !== undefined && (typeof t !== 'string' || !DATE_TIME.test(t) || Number.isNaN(Date.parse(t))))
        problems.push(`${at}.${key} is not an RFC 3339 time`);
    }
    if (
      typeof a['startsAt'] === 'string' &&
      typeof a['endsAt'] === 'string' &&
      Date.parse(a['endsAt']) < Date.parse(a['startsAt'])
    ) {
      problems.push(`${at}.endsAt is before startsAt`);
    }
    const url = a['generatorURL'];
    if (url !== undefined && (typeof url !== 'string' || !URL.canParse(url))) problems.push(`${at}.generatorURL is not a URI`);
  });
  return problems;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Starts a receiver; `failStatus` defaults to 503. */
export async function startReceiver(options: { failFirst?: number; failStatus?: number } = {}): Promise<Receiver> {
  const failFirst = options.failFirst ?? 0;
  const failStatus = options.failStatus ?? 503;
  const accepted: ReceivedAlert[] = [];
  const requests: Receiver['requests'] = [];
  const problems: string[] = [];
  const server = createServer(async (request, response) => {
    const text = await readBody(request);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const alerts = Array.isArray(body) ? body.length : 0;
    if (request.method !== 'POST' || request.url !== '/api/v2/alerts') problems.push(`${request.method} ${request.url}`);
    if (requests.length < failFirst) {
      requests.push({ at: performance.now(), alerts, status: failStatus });
      response.writeHead(failStatus, { 'content-type': 'text/plain' }).end('receiver not ready');
      return;
    }
    const found = alertmanagerV2Problems(body);
    if (found.length > 0) {
      problems.push(...found);
      requests.push({ at: performance.now(), alerts, status: 400 });
      response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: found.join('; ') }));
      return;
    }
    requests.push({ at: performance.now(), alerts, status: 200 });
    accepted.push(...(body as ReceivedAlert[]));
    response.writeHead(200, { 'content-type': 'application/json' }).end('');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v2/alerts`,
    accepted,
    requests,
    problems,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A URL on which nothing listens: a port taken from the OS, then let go. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/api/v2/alerts`;
}

/** How many times each (workflow_id, cause) arrived. */
export function arrivals(alerts: readonly ReceivedAlert[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const a of alerts) {
    const key = `${a.labels['workflow_id']}|${a.labels['cause']}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
