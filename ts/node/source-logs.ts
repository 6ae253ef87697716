/**
 * Where a mirror finds a primary node's durable log, by the node's name (every stream entry names
 * its source). On one machine the registered path is opened read-only; a log on another machine
 * cannot be read this way (docs/DEPLOYMENT.md: what cross-machine needs), and says so.
 */
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { StreamKeys } from '../stream/redis/keys.js';
import { SourceLogUnavailableError } from './errors.js';
import { readPrimaryRegistration, readPrimaryRegistrations } from './node-registry.js';
import { type LogReader, ReadonlySqliteLog } from './readonly-sqlite-log.js';

/** The primaries' logs, by primary node name. */
export interface SourceLogs {
  /** The log of `source`. @throws SourceLogUnavailableError */
  get(source: string): Promise<LogReader>;
  /** Every primary node known now (for a mirror's catch-up at start). */
  sources(): Promise<string[]>;
  close(): Promise<void>;
}

/** Logs given directly (tests, a single process). */
export class FixedSourceLogs implements SourceLogs {
  constructor(private readonly logs: ReadonlyMap<string, LogReader>) {}

  async get(source: string): Promise<LogReader> {
    const log = this.logs.get(source);
    if (log === undefined) throw new SourceLogUnavailableError(source, 'is not known here');
    return log;
  }

  async sources(): Promise<string[]> {
    return [...this.logs.keys()];
  }

  async close(): Promise<void> {}
}

/** Logs found through the primaries' registrations in Redis, opened read-only on first use. */
export class RegisteredSourceLogs implements SourceLogs {
  readonly #open = new Map<string, LogReader>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: StreamKeys,
    private readonly host = hostname(),
  ) {}

  async get(source: string): Promise<LogReader> {
    const cached = this.#open.get(source);
    if (cached !== undefined) return cached;
    const registration = await readPrimaryRegistration(this.redis, this.keys, source);
    if (registration === undefined) throw new SourceLogUnavailableError(source, 'is not registered in Redis');
    if (registration.host !== this.host) {
      throw new SourceLogUnavailableError(
        source,
        `is on host ${registration.host}, not this one (${this.host}); give the mirror a log reader for it (docs/DEPLOYMENT.md)`,
      );
    }
    const log = ReadonlySqliteLog.open(registration.logPath, source);
    this.#open.set(source, log);
    return log;
  }

  async sources(): Promise<string[]> {
    return (await readPrimaryRegistrations(this.redis, this.keys)).map((r) => r.name);
  }

  async close(): Promise<void> {
    for (const log of this.#open.values()) await log.close();
    this.#open.clear();
  }
}
