/**
 * Small typed doors to what Node 20 has but the project's `lib` (ES2022) does not declare:
 * growable SharedArrayBuffers and `Atomics.waitAsync`.
 *
 * A growable SharedArrayBuffer grows in place (its address space is reserved up to
 * `maxByteLength` when it is created), every thread sees the new length at once, and a typed array
 * built on it without a length tracks that length. So memory shared that way never moves: a
 * thread can keep writing into it while another grows it.
 *
 * `Atomics.waitAsync` does not keep Node's event loop alive (measured on Node 20: a process whose
 * only pending work is a waitAsync exits). {@link waitForChange} therefore holds a timer for as
 * long as it waits, so a caller awaiting a ring or a worker's progress is not cut short.
 */

interface GrowableSharedArrayBufferConstructor {
  new (byteLength: number, options: { maxByteLength: number }): SharedArrayBuffer;
}

interface GrowableSharedArrayBuffer extends SharedArrayBuffer {
  readonly growable: boolean;
  readonly maxByteLength: number;
  grow(byteLength: number): void;
}

type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };

interface AtomicsWithWaitAsync {
  waitAsync?: (array: Int32Array, index: number, value: number, timeoutMs?: number) => WaitAsyncResult;
}

/** A SharedArrayBuffer of `byteLength` bytes that can grow in place up to `maxByteLength`. */
export function growableSharedBuffer(byteLength: number, maxByteLength: number): SharedArrayBuffer {
  const Growable = SharedArrayBuffer as unknown as GrowableSharedArrayBufferConstructor;
  return new Growable(byteLength, { maxByteLength });
}

/** Whether `buffer` was created growable. */
export function isGrowable(buffer: SharedArrayBuffer): boolean {
  return (buffer as GrowableSharedArrayBuffer).growable === true;
}

/** The most bytes a growable buffer can reach (its byteLength for a fixed one). */
export function maxByteLengthOf(buffer: SharedArrayBuffer): number {
  const growable = buffer as GrowableSharedArrayBuffer;
  return growable.growable === true ? growable.maxByteLength : buffer.byteLength;
}

/** Grows `buffer` in place to `byteLength` bytes (no-op when it is already that long or longer). */
export function growSharedBuffer(buffer: SharedArrayBuffer, byteLength: number): void {
  if (byteLength <= buffer.byteLength) return;
  (buffer as GrowableSharedArrayBuffer).grow(byteLength);
}

const waitAsync = (Atomics as unknown as AtomicsWithWaitAsync).waitAsync;

/**
 * Resolves once `array[index]` is no longer `value`, or it was notified, or `timeoutMs` passed
 * (callers re-check their condition and wait again). Keeps the event loop alive meanwhile.
 */
export function waitForChange(array: Int32Array, index: number, value: number, timeoutMs: number): Promise<void> {
  if (waitAsync === undefined) {
    // A runtime without waitAsync: poll on a short timer.
    return new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, 1)));
  }
  const result = waitAsync(array, index, value, timeoutMs);
  if (!result.async) return Promise.resolve();
  // The timer only holds the event loop open; the wait itself ends by notify or by its own timeout.
  const keepAlive = setTimeout(() => undefined, timeoutMs + 50);
  return result.value.then(() => clearTimeout(keepAlive));
}
