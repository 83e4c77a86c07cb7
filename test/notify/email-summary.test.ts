// Issue #11, item 6, in the mail as a reader gets it (a real SMTP server, read back with
// mailparser): the notebook summary of a real corpus pair lists cells in notebook order, and the
// text/plain part is plain text (it carried `**acme-ds/churn-model**` and `### \`notebooks/churn.ipynb\``).
import t from 'tap'
import type { PushDiff } from '../../src/diffs/model.js'
import { renderPushSummaryMarkdown, renderPushSummaryText } from '../../src/diffs/summary.js'
import { nativeEngine } from '../../src/engines/engine.js'
import { summarize } from '../../src/notebooks/render/index.js'
import type { NotebookSummarySource } from '../../src/notify/notebook-summary.js'
import { NOTEBOOK_CORPUS, notebookCorpusPairs } from '../support/notebook-corpus.js'
import { startNotifyHarness } from '../support/notify/harness.js'
import { ascending, cellOrder } from '../support/summary-cells.js'

// Its summary listed cell 5 before cell 2 (the most telling first).
const PAIR = 'synthetic-features'
const pair = notebookCorpusPairs().find((p) => p.name.endsWith(PAIR))

if (!pair) {
  if (process.env.CI) t.fail(`the notebook corpus is required in CI (${NOTEBOOK_CORPUS})`)
  else t.skip(`no ${PAIR} under ${NOTEBOOK_CORPUS}`, () => {})
} else {
  t.test('the mail’s notebook summary: notebook order, and plain text in the text part', async (t) => {
    const r = await nativeEngine.diff(pair.a, pair.b, { a: 'a.ipynb', b: 'b.ipynb' }, {})
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
    // The push-diff service's part (stored diff → these two renderings) is test/notify/notebook-summary.test.ts.
    const summary: NotebookSummarySource = {
      summary: async () => ({
        markdown: renderPushSummaryMarkdown(push, { budget: 2000 }),
        text: renderPushSummaryText(push, { budget: 2000 }),
      }),
    }
    const n = await startNotifyHarness(t, () => ({ rules: [{ repository: 'acme-ds/*', to: ['lead@example.com'] }] }), {
      summary,
    })
    await n.build('FAILURE')
    t.equal(n.smtp.mails.length, 1)
    const mail = n.smtp.mails[0]!
    const text = mail.parsed.text ?? ''
    const section = text.slice(
      text.indexOf('\nNotebooks:\n'),
      text.indexOf('\nDiff: ') > 0 ? text.indexOf('\nDiff: ') : undefined,
    )
    t.match(
      section,
      /^\nNotebooks:\nacme-ds\/churn-model refs\/heads\/main aaaaaaa…bbbbbbb: 1 file changed\n\nnotebooks\/churn\.ipynb \(modified\)\nCells: /,
      'plain header and heading',
    )
    t.notMatch(text, '**acme-ds/churn-model**')
    t.notMatch(text, '### `notebooks/churn.ipynb`')
    t.notMatch(section.replace(/".*"/g, '""'), /\*\*|^#+ |`/m, 'no Markdown marks around the notebook’s own snippets')
    const { old, added } = cellOrder(section)
    t.ok(old.length + added.length >= 4, `cells listed (${old.join(',')} / new ${added.join(',')})`)
    t.ok(ascending(old) && ascending(added), 'in notebook order')
    const html = typeof mail.parsed.html === 'string' ? mail.parsed.html : ''
    t.match(html, /<pre[^>]*>acme-ds\/churn-model refs\/heads\/main/, 'the HTML part shows the same plain summary')
    t.notMatch(html, /\*\*acme-ds|### /, 'no Markdown marks in the HTML part either')
  })
}
