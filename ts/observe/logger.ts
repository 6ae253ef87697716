/**
 * Structured logs on pino: one JSON object per line where a machine reads them (stderr is a pipe
 * or a file), one readable line per record on a terminal. Pretty lines are formatted in the same
 * call (pino-pretty's formatter, not its transport stream or a worker thread), so a CLI that logs
 * and then exits loses nothing and lines keep their order with the rest of its output.
 */
import { type DestinationStream, type Level, type Logger, pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { InvalidObserveOptionsError } from './errors.js';

export type { Logger } from 'pino';

/** The levels a logger can be set to, least verbose last; `silent` logs nothing. */
export const LOG_LEVELS: readonly (Level | 'silent')[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Where log lines go: anything with `write(line)`; `isTTY` decides the default format. */
export interface LogDestination {
  write(line: string): unknown;
  readonly isTTY?: boolean;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Default `info`. */
  readonly level?: Level | 'silent';
  /** Readable lines instead of JSON. Default: when the destination is a terminal. */
  readonly pretty?: boolean;
  /** Default `process.stderr`: stdout stays free for a command's own output (a summary, JSON). */
  readonly destination?: LogDestination;
  /** The `name` field of every record. Default `wfmirror`. */
  readonly name?: string;
}

/** True when `value` is one of {@link LOG_LEVELS}. */
export function isLogLevel(value: unknown): value is Level | 'silent' {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/** A logger; see the module comment. @throws InvalidObserveOptionsError for an unknown level */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level: unknown = options.level ?? 'info';
  if (!isLogLevel(level))
    throw new InvalidObserveOptionsError('createLogger.level', `must be one of ${LOG_LEVELS.join(', ')} (got ${String(level)})`);
  const destination = options.destination ?? process.stderr;
  if (typeof destination?.write !== 'function')
    throw new InvalidObserveOptionsError('createLogger.destination', 'must have a write(line) method');
  const pretty = options.pretty ?? destination.isTTY === true;
  const stream: DestinationStream = pretty
    ? prettyStream(destination)
    : { write: (line: string) => void destination.write(line) };
  return pino({ name: options.name ?? 'wfmirror', level }, stream);
}

/** The logger of one component: every record carries `component`, so one can filter a run's logs by it. */
export function componentLogger(logger: Logger, component: string): Logger {
  return logger.child({ component });
}

/** JSON lines in, readable lines out, synchronously; colours only on a terminal. */
function prettyStream(destination: LogDestination): DestinationStream {
  const format = prettyFactory({
    colorize: destination.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    // `anomaly` (logSink's facts) repeats what its message says; JSON lines keep it for machines.
    ignore: 'pid,hostname,name,component,anomaly',
    // The component first, as a tag: `[demo] instances started`.
    messageFormat: '{if component}[{component}] {end}{msg}',
  });
  return { write: (line: string) => void destination.write(format(line)) };
}
