import { describe, expect, it } from 'vitest';
import { InvalidObserveOptionsError } from '../../ts/observe/errors.js';
import { logSink } from '../../ts/observe/log-sink.js';
import { componentLogger, createLogger, type LogDestination } from '../../ts/observe/logger.js';
import { makeReport } from '../anomaly/fixtures.js';

/** A destination that keeps what is written; `isTTY` as asked. */
function capture(isTTY = false): LogDestination & { text: () => string; lines: () => string[] } {
  const chunks: string[] = [];
  return {
    isTTY,
    write: (line: string) => chunks.push(line),
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== ''),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are what is looked for
const ANSI = /\u001b\[/;

describe('createLogger', () => {
  it('writes one JSON object per line when the destination is not a terminal, with level, time and msg', () => {
    const out = capture(false);
    const logger = createLogger({ destination: out });
    componentLogger(logger, 'demo').info({ instances: 3 }, 'demo starting');
    logger.warn('careful');
    const records = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ level: 30, msg: 'demo starting', component: 'demo', instances: 3, name: 'wfmirror' });
    expect(records[0]!['time']).toEqual(expect.any(Number));
    expect(records[1]).toMatchObject({ level: 40, msg: 'careful' });
  });

  it('is synchronous: the line is written before the call returns', () => {
    const out = capture(false);
    createLogger({ destination: out }).info('now');
    expect(out.lines()).toHaveLength(1);
  });

  it('drops records below its level; silent drops all', () => {
    const out = capture(false);
    const logger = createLogger({ destination: out, level: 'warn' });
    logger.info('no');
    logger.error('yes');
    createLogger({ destination: out, level: 'silent' }).fatal('never');
    expect(out.lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['yes']);
  });

  it('is human-readable on a terminal: no JSON braces on the message line, the component as a tag, colours', () => {
    const out = capture(true);
    componentLogger(createLogger({ destination: out }), 'demo').info({ instances: 3 }, 'demo starting');
    const [first] = out.lines();
    expect(first).toMatch(/INFO/);
    expect(first).toContain('[demo] demo starting');
    expect(first).not.toContain('{');
    expect(first).not.toContain('"msg"');
    expect(out.text()).toMatch(ANSI);
    expect(out.text()).toContain('instances');
  });

  it('pretty can be forced off a terminal, then without colours', () => {
    const out = capture(false);
    createLogger({ destination: out, pretty: true }).error('broke');
    expect(out.text()).toMatch(/ERROR.*broke/);
    expect(out.text()).not.toMatch(ANSI);
    expect(() => JSON.parse(out.lines()[0]!)).toThrow();
  });

  it('refuses an unknown level with a typed error', () => {
    expect(() => createLogger({ level: 'loud' as never, destination: capture() })).toThrow(InvalidObserveOptionsError);
  });
});

describe('logSink', () => {
  it('logs each report at the level of its severity, from minSeverity up', () => {
    const out = capture(false);
    const sink = logSink(createLogger({ destination: out, level: 'trace' }), { minSeverity: 'warning' });
    sink.write(makeReport({ severity: 'info', workflowId: 'wf-i' }));
    sink.write(makeReport({ severity: 'warning', workflowId: 'wf-w' }));
    sink.write(makeReport({ severity: 'critical', workflowId: 'wf-c', cause: 'lost-event' }));
    const records = out.lines().map((l) => JSON.parse(l) as { level: number; msg: string; anomaly: Record<string, unknown> });
    expect(records.map((r) => [r.level, r.anomaly['workflowId']])).toEqual([
      [40, 'wf-w'],
      [50, 'wf-c'],
    ]);
    expect(records[1]!.msg).toContain('critical anomaly in order wf-c at seq 17: lost-event');
    expect(records[1]!.anomaly).toMatchObject({ cause: 'lost-event', fields: ['total', 'status'], deviation: 1005 });
  });
});
