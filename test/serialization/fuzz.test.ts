/**
 * Damaged buffers through every decoder of this module: each ends in a value or a
 * SerializationError, never anything else (see test/support/fuzz-decoder.ts for the contract).
 */
import * as flatbuffers from 'flatbuffers';
import { describe, expect, test } from 'vitest';
import { decodeAnomalyReport, encodeAnomalyReport } from '../../ts/anomaly/report-flatbuffer.js';
import { Event } from '../../ts/generated/wfmirror/fb/event.js';
import { decodeEvent, decodeEventBatch, encodeEvent, encodeEventBatch } from '../../ts/history/event-codec.js';
import { EventWriter } from '../../ts/history/event-writer.js';
import { decodeStateVector, encodeStateVector } from '../../ts/state/state-vector-codec.js';
import { type FuzzDecoderReport, fuzzDecoder } from '../support/fuzz-decoder.js';
import { sampleEvents, sampleReports, sampleStateVectors } from './samples.js';

const events = sampleEvents();
const runs: FuzzDecoderReport[] = [];

describe('decoders survive damaged buffers', () => {
  test('decodeEvent', () => {
    const report = fuzzDecoder({
      samples: events.map(encodeEvent),
      decode: decodeEvent,
      encode: encodeEvent,
      mutations: 4_500,
      insertions: 1_000,
      seed: 11,
    });
    runs.push(report);
    expect(report.decoded).toBeGreaterThan(0);
  });

  test("decodeEvent over the SQLite log's EventWriter output (another byte layout of the same schema)", () => {
    const writer = new EventWriter();
    const report = fuzzDecoder({
      samples: events.map((event) => {
        writer.reset();
        writer.write(event);
        return writer.take();
      }),
      decode: decodeEvent,
      encode: encodeEvent,
      mutations: 3_000,
      insertions: 500,
      seed: 15,
    });
    runs.push(report);
    expect(report.decoded).toBeGreaterThan(0);
  });

  test('decodeEventBatch', () => {
    const report = fuzzDecoder({
      samples: [encodeEventBatch(events), encodeEventBatch(events.slice(0, 2)), encodeEventBatch([])],
      decode: decodeEventBatch,
      encode: encodeEventBatch,
      truncations: 400,
      mutations: 14_000,
      insertions: 3_500,
      seed: 12,
    });
    runs.push(report);
    expect(report.refused['CORRUPT_BUFFER']).toBeGreaterThan(0);
  });

  test('decodeStateVector', () => {
    const report = fuzzDecoder({
      samples: sampleStateVectors().map(encodeStateVector),
      decode: decodeStateVector,
      encode: encodeStateVector,
      mutations: 9_000,
      insertions: 2_000,
      seed: 13,
    });
    runs.push(report);
    expect(report.decoded).toBeGreaterThan(0);
  });

  test('decodeAnomalyReport', () => {
    const report = fuzzDecoder({
      samples: sampleReports().map(encodeAnomalyReport),
      decode: decodeAnomalyReport,
      encode: encodeAnomalyReport,
      truncations: 600,
      mutations: 18_000,
      insertions: 4_500,
      seed: 14,
    });
    runs.push(report);
    expect(report.decoded).toBeGreaterThan(0);
  });

  test('the harness itself catches a decoder that reads without verifying', () => {
    const unverified = (bytes: Uint8Array) => {
      const event = Event.getRootAsEvent(new flatbuffers.ByteBuffer(bytes));
      return { id: event.workflowId(), seq: event.seq(), type: event.type() };
    };
    expect(() =>
      fuzzDecoder({ samples: [encodeEvent(events[1]!)], decode: unverified, mutations: 500, insertions: 100, seed: 3 }),
    ).toThrow(/decoder threw|truncated buffer decoded to other content/);
  });

  test('at least 100,000 cases in all', () => {
    expect(runs.reduce((n, r) => n + r.cases, 0)).toBeGreaterThanOrEqual(100_000);
  });
});
