/** The speed target of issue #3: a 20,000-cell pair in under 3 s (nbdime: ~5 min with ids). */
import t from 'tap';
import { diffNotebooks, parseNotebook } from '../../src/notebooks/index.js';
import type { DiffEntry } from '../../src/notebooks/index.js';
import { largePair } from '../../bench/diff.js';

for (const ids of [true, false]) {
  t.test(`20,000 cells ${ids ? 'with' : 'without'} ids`, async (t) => {
    const [a, b] = largePair(20_000, { ids });
    let best = Infinity;
    let d: DiffEntry[] = [];
    for (let run = 0; run < 2; run++) {
      // Best of two: the suite runs test files in parallel on small CI machines.
      const t0 = performance.now();
      d = diffNotebooks(parseNotebook(a, 'a.ipynb'), parseNotebook(b, 'b.ipynb'));
      best = Math.min(best, performance.now() - t0);
    }
    t.ok(best < 3000, `parse + diff took ${best.toFixed(0)} ms`);
    const cells = d.find((e) => e.key === 'cells');
    const entries = cells?.op === 'patch' ? cells.diff : [];
    // 1,000 edits (≈ a third each: insert, delete, change a line). No runaway delete-everything:
    // an edit removes at most one cell, so at most 1,000 cells are removed in total.
    let removed = 0;
    for (const e of entries) if (e.op === 'removerange') removed += e.length;
    t.ok(removed > 200 && removed <= 1000, `${removed} cells removed`);
    t.ok(entries.length > 500 && entries.length <= 2000, `${entries.length} cell-level entries`);
  });
}
