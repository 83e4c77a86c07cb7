// Renderers: patching reproduces B, nbdiff-like text, Markdown summary, and an inert HTML page.
import t from 'tap'
import { diffNotebooks, parseNotebook, type Notebook } from '../../../src/notebooks/core/index.js'
import {
  applyDiff,
  DIFF_PAGE_CSP,
  renderNotebookDiffHtml,
  renderNotebookDiffText,
  renderNotebookSummaryMarkdown,
  summarize,
} from '../../../src/notebooks/render/index.js'
import type { PushDiff } from '../../../src/diffs/model.js'
import { renderPushSummaryMarkdown } from '../../../src/diffs/summary.js'
import { numberMove } from '../../../src/notebooks/render/markdown.js'
import { code, error, notebook, randomPairs, scenarios, stream } from '../fixtures.js'
import { BLUE, hostilePair, RED } from './fixtures.js'

const parse = (x: unknown, name: string): Notebook => parseNotebook(typeof x === 'string' ? x : JSON.stringify(x), name)

t.test('applying the diff to A gives B (every scenario and 40 random pairs)', async (t) => {
  let n = 0
  for (const p of [...scenarios(), ...randomPairs(40)]) {
    const a = parse(p.a, 'a.ipynb')
    const b = parse(p.b, 'b.ipynb')
    const d = diffNotebooks(a, b)
    t.same(applyDiff(a, d), b, p.name)
    n++
  }
  t.ok(n > 40)
})

const pair = () => {
  const a = parse(
    notebook([
      code('c1', 'x = 1\ny = 2\nprint(x + y)', [stream('accuracy: 0.91\nloss: 0.30\n')], 1),
      code('c2', 'legacy_loader(path_one)', [], 2),
    ]),
    'a.ipynb',
  )
  const b = parse(
    notebook([
      code('c1', 'x = 1\ny = 3\nprint(x + y)', [stream('accuracy: 0.93\nloss: 0.30\n')], 4),
      code('c3', 'frame = fetch_remote_frame()', [error('KeyError', "'col'", ['\u001b[31mKeyError\u001b[0m'])], 5),
    ]),
    'b.ipynb',
  )
  return { a, b, d: diffNotebooks(a, b) }
}

t.test('text: nbdiff-like entries, hunks, no escape codes unless colour is asked for', async (t) => {
  const { a, d } = pair()
  const plain = renderNotebookDiffText(a, d, { nameA: 'a.ipynb', nameB: 'b.ipynb' })
  t.match(plain, /^nbdiff a\.ipynb b\.ipynb\n--- a\.ipynb\n\+\+\+ b\.ipynb\n/)
  t.match(plain, '## replaced /cells/0/execution_count:\n-  1\n+  4\n')
  t.match(plain, '## modified /cells/0/source:\n@@ -1,3 +1,3 @@\n x = 1\n-y = 2\n+y = 3\n print(x + y)\n')
  t.match(
    plain,
    '## modified /cells/0/outputs/0/text:\n@@ -1,2 +1,2 @@\n-accuracy: 0.91\n+accuracy: 0.93\n loss: 0.30\n',
  )
  t.match(plain, '## inserted before /cells/1:\n+  code cell:\n')
  t.match(plain, '## deleted /cells/1:\n-  code cell:\n')
  t.notMatch(plain, /\x1b/, 'no escape codes, not even from the traceback')
  const colored = renderNotebookDiffText(a, d, { color: true })
  t.match(colored, '\x1b[34m\x1b[1m## modified /cells/0/source:\x1b[0m')
  t.match(colored, '\x1b[31m-y = 2\x1b[0m')
  t.equal(renderNotebookDiffText(a, []), '', 'identical notebooks print nothing, like nbdiff')
})

t.test('markdown: counts, then the changes in notebook order, within the budget', async (t) => {
  const { a, d } = pair()
  t.same(summarize(a, d), {
    cellsAdded: 1,
    cellsRemoved: 1,
    cellsModified: 1,
    outputsChanged: 1,
    sourcesChanged: 1,
    metadataChanged: false,
  })
  const md = renderNotebookSummaryMarkdown('train.ipynb', a, d)
  const lines = md.trim().split('\n')
  t.equal(lines[0], '### `train.ipynb` (modified)')
  t.equal(lines[1], 'Cells: 1 added, 1 removed, 1 modified; outputs changed in 1 cell.')
  t.same(
    lines.slice(2),
    [
      '- cell 1: source edited (1 line), e.g. `y = 3`',
      '- cell 1: `accuracy` 0.91 → 0.93',
      '- added code new cell 2: `frame = fetch_remote_frame()`',
      "- new cell 2 raises `KeyError: 'col'`",
      '- removed code cell 2: `legacy_loader(path_one)`',
    ],
    'cell by cell as the notebook reads, source before outputs (issue #11)',
  )
  const two = renderNotebookSummaryMarkdown('train.ipynb', a, d, { perNotebook: 2 }).trim().split('\n')
  t.same(
    two.slice(2),
    ['- cell 1: `accuracy` 0.91 → 0.93', "- new cell 2 raises `KeyError: 'col'`", '- … and 3 more changes'],
    'over the limit the most telling stay (the error, the metric), still in notebook order',
  )
  t.same(numberMove('epoch 3: loss=0.25', 'epoch 3: loss=0.21'), { label: 'epoch 3: loss', from: '0.25', to: '0.21' })
  t.equal(numberMove('accuracy: 0.91', 'precision: 0.93'), null)

  const big: PushDiff = {
    repository: 'acme/ds',
    ref: 'refs/heads/main',
    base: 'a'.repeat(40),
    head: 'b'.repeat(40),
    notes: [],
    files: Array.from({ length: 50 }, (_, k) => ({
      kind: 'notebook' as const,
      path: `nb${k}.ipynb`,
      oldPath: null,
      status: 'modified' as const,
      base: a,
      diff: d,
      summary: summarize(a, d),
    })),
  }
  const cut = renderPushSummaryMarkdown(big, { budget: 1500 })
  t.ok(cut.length <= 1500, `within budget (${cut.length})`)
  t.match(cut, /more changes not shown/)
})

t.test('html: escaped, sanitized, images validated, no script anywhere', async (t) => {
  const { a: ra, b: rb } = hostilePair('http://127.0.0.1:9/beacon')
  const a = parse(ra, 'a.ipynb')
  const b = parse(rb, 'b.ipynb')
  const html = renderNotebookDiffHtml({ base: a, diff: diffNotebooks(a, b), nameA: 'a.ipynb', nameB: 'b.ipynb' })
  t.notMatch(html, /<script/i)
  t.notMatch(html, /\x1b/, 'ANSI stripped')
  const allowed = new Set([
    'html',
    'head',
    'meta',
    'title',
    'style',
    'body',
    'input',
    'header',
    'strong',
    'span',
    'label',
    'main',
    'section',
    'h2',
    'h3',
    'div',
    'details',
    'summary',
    'table',
    'tr',
    'td',
    'th',
    'pre',
    'mark',
    'img',
    'p',
    'code',
    'ul',
    'li',
    'b',
    'hr',
    'figure',
    'figcaption',
    'tbody',
    'thead',
    'a',
  ])
  for (const m of html.matchAll(/<([a-zA-Z][\w-]*)([^>]*)>/g)) {
    const [tag, name, attrs] = m
    if (!allowed.has(name!.toLowerCase())) t.fail(`unexpected element ${tag}`)
    if (/\son\w+\s*=/i.test(attrs!) || /javascript:/i.test(attrs!) || /\sstyle\s*=/i.test(attrs!))
      t.fail(`active attribute in ${tag}`)
    if (name === 'img')
      t.match(
        attrs,
        /^ alt="image\/(png|jpeg)[^"]*" src="data:image\/(png|jpeg);base64,[A-Za-z0-9+/=]+"$/,
        'images are validated data: URIs only',
      )
    if (name === 'a') t.match(attrs, /^ href="#file-\d+"$/)
  }
  t.ok(
    html.includes(`src="data:image/png;base64,${RED}"`) && html.includes(`src="data:image/png;base64,${BLUE}"`),
    'changed plot shown before and after',
  )
  t.match(html, /image\/png that is not valid base64 PNG: not shown/)
  t.match(html, /<td>0\.93<\/td>/, 'a sanitized table keeps its cells')
  t.match(html, /&lt;script&gt;window\.__pwned=1/, 'payloads in sources are shown as text')
  t.match(html, /<mark>/, 'character-level highlights')
  t.match(html, /<details class="meta"><summary>cell metadata, execution count, id/)
  t.notMatch(DIFF_PAGE_CSP, /script-src/)
  t.match(DIFF_PAGE_CSP, /default-src 'none'/)
})

t.test('html: embedded images stop at the page budget', async (t) => {
  const { MAX_PAGE_IMAGE_BYTES } = await import('../../../src/notebooks/render/html.js')
  // A 1 MB base64 blob with a PNG signature passes the renderer's checks (it does not decode).
  const png = 'iVBORw0KGgo' + 'A'.repeat(2 ** 20 + 1)
  const count = Math.ceil(MAX_PAGE_IMAGE_BYTES / png.length) + 3
  const outputs = Array.from({ length: count }, () => ({
    data: { 'image/png': png },
    metadata: {},
    output_type: 'display_data',
  }))
  const a = parse(notebook([]), 'a.ipynb')
  const b = parse(notebook([code('c1', 'plots()', outputs as never, 1)]), 'b.ipynb')
  const html = renderNotebookDiffHtml({ base: a, diff: diffNotebooks(a, b) })
  const shown = html.match(/<img /g)?.length ?? 0
  t.ok(shown > 0 && shown < count, `${shown} of ${count} images embedded`)
  t.ok(html.length < MAX_PAGE_IMAGE_BYTES + 10 * 2 ** 20, 'page size bounded')
  t.match(html, /image budget \(40 MB\) is used up/)
})
