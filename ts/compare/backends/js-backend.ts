/** The reference backend as the registry lists it: always available, the last link of every chain. */
import type { BackendDefinition } from '../backend.js';
import { createJsComparator } from './js.js';

export const jsBackend: BackendDefinition = {
  name: 'js',
  probe: async () => ({
    available: true,
    detail: 'plain TypeScript, float64: the reference every other backend is tested against',
  }),
  create: async () => createJsComparator(),
};
