/**
 * ts/serialization/verify.ts makes its ByteBuffers without the runtime's constructor (which builds
 * a TextDecoder per buffer), setting the runtime's private fields itself, and falls back to the
 * constructor when those fields differ. This pins the assumption for the installed runtime, so an
 * upgrade that changes them is noticed here rather than as a silent loss of the fast path.
 */
import * as flatbuffers from 'flatbuffers';
import { describe, expect, test } from 'vitest';
import { decodeTrustedEvent, encodeEvent } from '../../ts/history/event-codec.js';
import type { HistoryEvent } from '../../ts/history/events.js';
import { trustedRoot, verifyRoot } from '../../ts/serialization/verify.js';

const event: HistoryEvent = {
  workflowId: '\uFEFForder-7',
  seq: 2,
  pos: 9,
  type: 'ActivityCompleted',
  time: 5,
  payload: { name: 'charge', scheduledSeq: 1, result: { amount: 12.5 } },
};

describe('ByteBuffers made by the verifier', () => {
  test('the installed flatbuffers runtime keeps exactly the fields verify.ts sets', () => {
    expect(Object.keys(new flatbuffers.ByteBuffer(new Uint8Array(0))).sort()).toEqual(['bytes_', 'position_', 'text_decoder_']);
  });

  test('are real ByteBuffers over the given bytes, sharing one decoder, and decode exactly', () => {
    const bytes = encodeEvent(event);
    const verified = verifyRoot(bytes, 'Event');
    const trusted = trustedRoot(bytes, 'Event');
    expect(verified).toBeInstanceOf(flatbuffers.ByteBuffer);
    expect(verified.bytes()).toBe(bytes);
    expect(verified.position()).toBe(0);
    const decoderOf = (bb: flatbuffers.ByteBuffer) => (bb as unknown as { text_decoder_: unknown }).text_decoder_;
    expect(decoderOf(verified)).toBe(decoderOf(trusted));
    expect(decodeTrustedEvent(bytes)).toEqual(event);
  });
});
