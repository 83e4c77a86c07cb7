/**
 * A 20,000-cell pair (the size that takes nbdime ~5 min) diffs without a runaway alignment.
 * Speed itself is measured by `npm run bench:diff`, not here.
 */
import t from 'tap'
import { diffNotebooks, parseNotebook } from '../../../src/notebooks/core/index.js'
import type { DiffEntry } from '../../../src/notebooks/core/index.js'
import { largePair } from '../../../bench/diff-pairs.js'

for (const ids of [true, false]) {
  t.test(`20,000 cells ${ids ? 'with' : 'without'} ids`, async (t) => {
    const [a, b] = largePair(20_000, { ids })
    const d: DiffEntry[] = diffNotebooks(parseNotebook(a, 'a.ipynb'), parseNotebook(b, 'b.ipynb'))
    const cells = d.find((e) => e.key === 'cells')
    const entries = cells?.op === 'patch' ? cells.diff : []
    // 1,000 edits (≈ a third each: insert, delete, change a line). No runaway delete-everything:
    // an edit removes at most one cell, so at most 1,000 cells are removed in total.
    let removed = 0
    for (const e of entries) if (e.op === 'removerange') removed += e.length
    t.ok(removed > 200 && removed <= 1000, `${removed} cells removed`)
    t.ok(entries.length > 500 && entries.length <= 2000, `${entries.length} cell-level entries`)
  })
}
