/**
 * Strings come back exactly as written: the flatbuffers runtime's default TextDecoder drops a
 * leading U+FEFF (byte order mark), so "\uFEFFx" would decode as "x" unless the verifier hands out
 * a ByteBuffer that keeps it.
 */
import { describe, expect, test } from 'vitest';
import { decodeAnomalyReport, encodeAnomalyReport } from '../../ts/anomaly/report-flatbuffer.js';
import { decodeEvent, encodeEvent } from '../../ts/history/event-codec.js';
import { EventWriter } from '../../ts/history/event-writer.js';
import type { HistoryEvent } from '../../ts/history/events.js';
import { sampleReports } from './samples.js';

const BOM = '\uFEFF';
const event: HistoryEvent = {
  workflowId: `${BOM}order-1`,
  seq: 1,
  pos: 1,
  type: 'WorkflowFailed',
  time: 0,
  payload: { reason: `${BOM}${BOM}` },
};

describe('a leading byte order mark survives', () => {
  test('in events, from the builder and from the SQLite EventWriter', () => {
    expect(decodeEvent(encodeEvent(event))).toEqual(event);
    const writer = new EventWriter();
    writer.write(event);
    expect(decodeEvent(writer.take())).toEqual(event);
  });

  test('in anomaly reports', () => {
    const report = { ...sampleReports()[0]!, id: `${BOM}id`, detail: BOM };
    expect(decodeAnomalyReport(encodeAnomalyReport(report))).toEqual(report);
  });
});
