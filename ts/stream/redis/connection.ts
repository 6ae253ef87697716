/**
 * Opening Redis connections the way the transport needs them: commands wait (rather than fail)
 * while Redis is restarting, and are sent again after the reconnect, so a restart mid-run costs
 * time, not data. Whatever a resend repeats (an XADD whose reply was lost) is a duplicate the
 * consumers ignore.
 */
import { Redis } from 'ioredis';

/** Options of {@link openRedis}. */
export interface RedisConnectionOptions {
  /** Shown in `CLIENT LIST` (`wfm-<role>-<name>`). */
  readonly connectionName?: string;
  /** Told of connection errors (refused, reset); they are retried, so this is for logs only. Default: ignored. */
  readonly onError?: (error: Error) => void;
  /** Longest wait between two reconnection attempts (ms). Default 1,000. */
  readonly maxRetryDelayMs?: number;
}

/**
 * A connection to `url` (`redis://host:port/db`). It reconnects forever with a growing delay
 * (50 ms, 100 ms, ... up to `maxRetryDelayMs`); commands given while it is down are queued, and
 * commands in flight when it dropped are sent again once it is back (`maxRetriesPerRequest: null`).
 * Close it with `quit()` (waits for replies) or `disconnect()` (at once).
 */
export function openRedis(url: string, options: RedisConnectionOptions = {}): Redis {
  const maxDelay = options.maxRetryDelayMs ?? 1_000;
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    autoResendUnfulfilledCommands: true,
    retryStrategy: (times) => Math.min(50 * times, maxDelay),
    // A restarting Redis answers LOADING until its AOF is read: wait for it rather than fail commands.
    enableReadyCheck: true,
    ...(options.connectionName !== undefined ? { connectionName: options.connectionName } : {}),
  });
  // Without a listener, ioredis prints every connection error; they are retried, so they are only news.
  redis.on('error', (error: Error) => options.onError?.(error));
  return redis;
}

/** True for errors that mean "Redis is not there right now" (to be retried), as opposed to a refused command. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const text = `${error.name} ${error.message}`;
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection is closed|LOADING|MaxRetriesPerRequest|Stream isn't writeable/i.test(
    text,
  );
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits for `promise`, at most `ms`; true when it settled in time. For shutdowns while Redis is
 * away: commands wait for the reconnect, and a stop must not wait forever.
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes a connection: QUIT when Redis answers (replies first), else at once. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready' && (await settlesWithin(redis.quit(), 2_000))) return;
  redis.disconnect();
}
