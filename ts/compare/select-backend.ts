/**
 * Picks the comparison backend. Only the plain-TS reference exists so far; the accelerated
 * backends (wasm-simd, webgpu, gpujs) and profile-driven `auto` selection plug in here.
 */
import { createJsComparator } from './backends/js.js';
import type { Comparator } from './comparator.js';
import { UnknownBackendError } from './errors.js';

/** Backend names accepted by `accelerator.backend`. */
export type BackendChoice = 'auto' | 'js';

const KNOWN: readonly BackendChoice[] = ['auto', 'js'];

/** Creates the comparator for `choice`; `auto` picks the best available (today: js). */
export async function createComparator(choice: BackendChoice = 'auto'): Promise<Comparator> {
  if (!KNOWN.includes(choice)) throw new UnknownBackendError(String(choice), KNOWN);
  return createJsComparator();
}
