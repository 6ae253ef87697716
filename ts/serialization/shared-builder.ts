/**
 * One flatbuffers.Builder reused by every encoder: a fresh builder allocates and grows its
 * buffer on each call, which dominated the cost of encoding small messages. The finished bytes
 * are copied out (`slice()`), so callers own what they get and the builder can be cleared.
 */
import * as flatbuffers from 'flatbuffers';

/** A builder that grew past this (one huge message) is dropped rather than kept for small ones. */
const RETAIN_BYTES = 1 << 20;
const INITIAL_BYTES = 1024;

let shared: flatbuffers.Builder | undefined;
let busy = false;

/**
 * Runs `build` on a cleared builder (it must call `finish`) and returns a copy of the buffer.
 * Reentrant calls (an encoder called while another runs) get a builder of their own.
 */
export function buildBuffer(build: (builder: flatbuffers.Builder) => void): Uint8Array {
  if (busy) {
    const own = new flatbuffers.Builder(INITIAL_BYTES);
    build(own);
    return own.asUint8Array().slice();
  }
  busy = true;
  const builder = shared ?? new flatbuffers.Builder(INITIAL_BYTES);
  shared = builder;
  try {
    builder.clear();
    build(builder);
    return builder.asUint8Array().slice();
  } finally {
    busy = false;
    if (builder.dataBuffer().capacity() > RETAIN_BYTES) shared = undefined;
  }
}
