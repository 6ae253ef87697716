/** Event builders and temp-dir helpers shared by the history tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Json, NewEvent } from '../../ts/history/events.js';

/** A valid WorkflowStarted event. */
export function started(input: Json = { amount: 10 }, time = 1_000): NewEvent {
  return { type: 'WorkflowStarted', time, payload: { workflowType: 'order', version: 1, fingerprint: 'f1', input } };
}

/** A valid ActivityScheduled event. */
export function scheduled(name = 'charge', input: Json = { amount: 10 }, time = 1_001): NewEvent {
  return { type: 'ActivityScheduled', time, payload: { name, input } };
}

/** A valid ActivityCompleted event. */
export function completed(scheduledSeq = 2, result: Json = { ok: true }, time = 1_002): NewEvent {
  return { type: 'ActivityCompleted', time, payload: { name: 'charge', scheduledSeq, result } };
}

/** `n` valid events, varied in type, with `time` = base + index. */
export function someEvents(n: number, base = 1_000): NewEvent[] {
  const out: NewEvent[] = [];
  for (let i = 0; i < n; i++) {
    out.push(i % 2 === 0 ? scheduled(`a${i}`, { i }, base + i) : completed(i, { i }, base + i));
  }
  return out;
}

/** A fresh temp directory and the function that removes it. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfm-history-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Waits for pending setImmediate callbacks (group commits) to run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
