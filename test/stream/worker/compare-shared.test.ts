import { describe, expect, it } from 'vitest';
import { createJsComparator } from '../../../ts/compare/backends/js.js';
import type { Comparator } from '../../../ts/compare/comparator.js';
import { FleetRegistry } from '../../../ts/engine/fleet.js';
import { defineWorkflow, f64, i32 } from '../../../ts/index.js';
import { compareWithSharedMirror } from '../../../ts/stream/worker/compare-shared.js';
import { SharedMatrixError } from '../../../ts/stream/worker/errors.js';
import { SharedStateMatrix } from '../../../ts/stream/worker/shared-state-matrix.js';

const counter = defineWorkflow({
  name: 'counter',
  version: 1,
  state: { value: f64({ weight: 1 }), steps: i32({ weight: 1 }) },
  on: { start() {} },
});

/** Four instances; primary and shared mirror rows equal, both at seq 3. */
function setup() {
  const fleet = new FleetRegistry([counter]).get('counter');
  const layout = fleet.compiled.layout;
  const shared = SharedStateMatrix.create('counter', layout, 64);
  const row = new Float64Array(layout.stride);
  for (let i = 0; i < 4; i++) {
    const r = fleet.rowFor(`c${i}`);
    fleet.primary.writeState(r, { value: i * 1.5, steps: i });
    fleet.primary.setSeq(r, 3);
    shared.ensureRows(r + 1);
    row.set(fleet.primary.row(r));
    shared.writeRow(r, row, 0, 3);
  }
  return { fleet, layout, shared };
}

describe('compareWithSharedMirror', () => {
  it('compares in place; equal rows deviate by 0, a changed mirror row deviates', async () => {
    const { fleet, layout, shared } = setup();
    const clean = await compareWithSharedMirror(createJsComparator(), fleet.primary, shared, layout);
    expect(Array.from(clean.result.deviation)).toEqual([0, 0, 0, 0]);
    expect(clean.moved).toEqual([]);
    expect(clean.lagging).toEqual([]);
    const row = new Float64Array(layout.stride);
    row.set(fleet.primary.row(2));
    row[0] = 100;
    shared.writeRow(2, row, 0, 3);
    const changed = await compareWithSharedMirror(createJsComparator(), fleet.primary, shared, layout, {
      rowStart: 1,
      rowCount: 3,
    });
    expect(changed.result.rowStart).toBe(1);
    expect(Array.from(changed.result.deviation).map((d) => d > 0)).toEqual([false, true, false]);
  });

  it('a row written while the comparison runs is reported as moved, not judged; different seqs as lagging', async () => {
    const { fleet, layout, shared } = setup();
    fleet.primary.setSeq(3, 4); // the primary is one event ahead on row 3
    const js = createJsComparator();
    const writing: Comparator = {
      name: 'js-with-a-concurrent-writer',
      async compare(p, m, l, options) {
        const result = await js.compare(p, m, l, options);
        // A worker writes row 1 while the comparison is in flight.
        const row = new Float64Array(layout.stride);
        row[0] = 42;
        shared.writeRow(1, row, 0, 4);
        return result;
      },
      dispose: () => js.dispose(),
    };
    const { moved, lagging } = await compareWithSharedMirror(writing, fleet.primary, shared, layout);
    expect(moved).toEqual([1]);
    expect(lagging).toEqual([3]);
  });

  it('refuses a range outside what both matrices hold', async () => {
    const { fleet, layout, shared } = setup();
    fleet.rowFor('c4'); // the primary has a fifth row the mirror has not been told of yet
    await expect(
      compareWithSharedMirror(createJsComparator(), fleet.primary, shared, layout, { rowCount: 5 }),
    ).rejects.toBeInstanceOf(SharedMatrixError);
    const all = await compareWithSharedMirror(createJsComparator(), fleet.primary, shared, layout);
    expect(all.result.rowCount).toBe(4);
  });
});
