/** A MatrixStorage on the heap that records what it allocated and released (for tests of callers). */
import type { MatrixStorage } from '../../ts/compare/matrix-storage.js';

export function recordingStorage(): { storage: MatrixStorage; allocated: Float64Array[]; released: Float64Array[] } {
  const allocated: Float64Array[] = [];
  const released: Float64Array[] = [];
  const storage: MatrixStorage = {
    allocate(length) {
      const a = new Float64Array(length);
      allocated.push(a);
      return a;
    },
    release(array) {
      released.push(array);
    },
  };
  return { storage, allocated, released };
}
