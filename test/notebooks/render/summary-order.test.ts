// Issue #11, item 6, on the shared corpus's real notebook pairs: a diff summary lists cells in
// notebook order (it listed cell 2 before cell 1, by how telling each change was), never shows a
// value twice ("cell 2: `1000` 1000 → 1200"), and its plain-text form carries no Markdown marks.
import t from 'tap'
import { nativeEngine } from '../../../src/engines/engine.js'
import { renderNotebookSummaryMarkdown, summarize } from '../../../src/notebooks/render/index.js'
import { numberMove } from '../../../src/notebooks/render/markdown.js'
import { renderPushSummaryMarkdown, renderPushSummaryText } from '../../../src/diffs/summary.js'
import type { PushDiff } from '../../../src/diffs/model.js'
import { NOTEBOOK_CORPUS, notebookCorpusPairs } from '../../support/notebook-corpus.js'
import { ascending, cellOrder } from '../../support/summary-cells.js'

t.test('a bare number that moved is shown once; the label is the words before it', async (t) => {
  t.same(numberMove('1000', '1200'), { label: '', from: '1000', to: '1200' })
  t.same(
    numberMove('10 epochs: loss 1', '10 epochs: loss 2'),
    { label: '10 epochs: loss', from: '1', to: '2' },
    'the moved number’s own place, not an earlier "1"',
  )
  t.same(numberMove('epoch 3: loss=0.25', 'epoch 3: loss=0.21'), { label: 'epoch 3: loss', from: '0.25', to: '0.21' })
  t.same(
    numberMove('(12000, 18)', '(14250, 18)'),
    { label: '', from: '(12000, 18)', to: '(14250, 18)' },
    'no words before it: a short value whole, never a bracket as its label',
  )
  const long = (n: number) => `[${Array.from({ length: 20 }, (_, i) => (i === 5 ? n : i)).join(', ')}]`
  t.same(numberMove(long(7), long(9)), { label: '', from: '7', to: '9' }, 'a long one as the numbers that moved')
})

const pairs = notebookCorpusPairs()
if (pairs.length === 0) {
  if (process.env.CI) t.fail(`the notebook corpus is required in CI (${NOTEBOOK_CORPUS})`)
  else t.skip(`no notebook pairs under ${NOTEBOOK_CORPUS}`, () => {})
} else {
  t.test('every corpus pair: cells in notebook order, no value twice, plain text without Markdown', async (t) => {
    let listed = 0
    for (const p of pairs) {
      const r = await nativeEngine.diff(p.a, p.b, { a: 'a.ipynb', b: 'b.ipynb' }, {})
      if (r.diff.length === 0) continue
      for (const per of [8, 1000]) {
        const md = renderNotebookSummaryMarkdown(
          p.name,
          r.base,
          r.diff,
          { perNotebook: per, budget: 1e9 },
          r.degraded ?? [],
        )
        const { old, added } = cellOrder(md)
        listed += old.length + added.length
        t.ok(
          ascending(old) && ascending(added),
          `${p.name} (${per} per notebook): cells in notebook order (${old.join(',')} / new ${added.join(',')})`,
        )
        const twice = md.split('\n').filter((l) => {
          const m = /`([^`]+)` (\S+) → /.exec(l)
          return m !== null && m[1] === m[2]
        })
        t.same(twice, [], `${p.name}: no value shown twice`)
      }
      const push: PushDiff = {
        repository: 'acme-ds/churn-model',
        ref: 'refs/heads/main',
        base: 'a'.repeat(40),
        head: 'b'.repeat(40),
        notes: [],
        files: [
          {
            kind: 'notebook',
            path: 'notebooks/churn.ipynb',
            oldPath: null,
            status: 'modified',
            base: r.base,
            diff: r.diff,
            summary: summarize(r.base, r.diff),
            degraded: r.degraded,
          },
        ],
      }
      const text = renderPushSummaryText(push)
      // Snippets of the notebook ("…") may hold Markdown of its own; everything around them is Tamer's.
      t.notMatch(
        text.replace(/".*"/g, '""'),
        /\*\*|^#+ |`|^_|_$/m,
        `${p.name}: the plain-text summary has no Markdown marks`,
      )
      t.match(
        text,
        /^acme-ds\/churn-model refs\/heads\/main aaaaaaa…bbbbbbb: 1 file changed\n\nnotebooks\/churn\.ipynb \(modified\)\nCells: /,
        `${p.name}: plain header and heading`,
      )
      t.equal(
        cellOrder(text).old.join(),
        cellOrder(renderPushSummaryMarkdown(push)).old.join(),
        `${p.name}: the same cells as the Markdown`,
      )
    }
    t.ok(listed > 100, `the corpus lists many cells (${listed})`)
  })
}
