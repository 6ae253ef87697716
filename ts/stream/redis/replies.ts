/**
 * Reading the binary replies of the stream commands (sent with `callBuffer`, so payload bytes stay
 * bytes). Replies are checked for shape: an unexpected one is an UnexpectedRedisReplyError rather
 * than a TypeError somewhere later.
 */
import { UnexpectedRedisReplyError } from './errors.js';

/** One stream entry: its stream key, id and field/value list (null when the entry was deleted meanwhile). */
export interface StreamEntry {
  readonly stream: string;
  readonly id: string;
  readonly fields: Buffer[] | null;
}

function isBytes(value: unknown): value is Buffer {
  return Buffer.isBuffer(value);
}

function entriesOf(command: string, stream: string, raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw)) throw new UnexpectedRedisReplyError(command, 'entries are not a list');
  return raw.map((item: unknown) => {
    if (!Array.isArray(item) || item.length !== 2 || !isBytes(item[0])) {
      throw new UnexpectedRedisReplyError(command, 'an entry is not [id, fields]');
    }
    const fields: unknown = item[1];
    if (fields !== null && !(Array.isArray(fields) && fields.every(isBytes))) {
      throw new UnexpectedRedisReplyError(command, 'entry fields are not a list of strings');
    }
    return { stream, id: item[0].toString('latin1'), fields: fields as Buffer[] | null };
  });
}

/** The entries of an XREADGROUP / XREAD reply (null when the block timed out: no entries). */
export function parseReadReply(reply: unknown): StreamEntry[] {
  if (reply === null) return [];
  if (!Array.isArray(reply)) throw new UnexpectedRedisReplyError('XREADGROUP', 'not a list');
  const out: StreamEntry[] = [];
  for (const item of reply) {
    if (!Array.isArray(item) || item.length !== 2 || !isBytes(item[0])) {
      throw new UnexpectedRedisReplyError('XREADGROUP', 'a stream is not [key, entries]');
    }
    out.push(...entriesOf('XREADGROUP', item[0].toString('utf8'), item[1]));
  }
  return out;
}

/** An XAUTOCLAIM reply: the cursor to continue from ('0-0' when done), the entries claimed, and ids that no longer exist. */
export function parseAutoclaimReply(
  stream: string,
  reply: unknown,
): { readonly cursor: string; readonly entries: StreamEntry[]; readonly deleted: number } {
  if (!Array.isArray(reply) || reply.length < 2 || !isBytes(reply[0])) {
    throw new UnexpectedRedisReplyError('XAUTOCLAIM', 'not [cursor, entries, deleted]');
  }
  const deleted = Array.isArray(reply[2]) ? reply[2].length : 0;
  return { cursor: reply[0].toString('latin1'), entries: entriesOf('XAUTOCLAIM', stream, reply[1]), deleted };
}

/** Turns a flat [name, value, name, value...] reply (XINFO) into an object of name -> value. */
export function pairsToRecord(command: string, reply: unknown): Record<string, unknown> {
  if (!Array.isArray(reply) || reply.length % 2 !== 0) throw new UnexpectedRedisReplyError(command, 'not a list of pairs');
  const out: Record<string, unknown> = {};
  for (let i = 0; i < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
  return out;
}

/** Compares two stream ids (`ms-seq`): negative, 0 or positive. */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}
