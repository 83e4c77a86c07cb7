// Property-based tests of the notebook reader and what reads its result: any text — arbitrary
// strings, arbitrary JSON, JSON shaped like notebooks (v3 and v4), the real corpus notebooks
// mutated — is read into a notebook or refused with a NotebookParseError, never an uncaught
// TypeError/RangeError; and two notebooks it read diff, summarize, render (HTML page, text,
// Markdown) and serialize without throwing. Seed and run counts: test/support/properties.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import * as fc from 'fast-check'
import t from 'tap'
import { diffNotebooks, NotebookParseError, parseNotebook, type Notebook } from '../../src/notebooks/core/index.js'
import type { PushDiff } from '../../src/diffs/model.js'
import { renderPushDiffHtml } from '../../src/diffs/page.js'
import { renderPushSummaryMarkdown } from '../../src/diffs/summary.js'
import { renderNotebookDiffText, summarize } from '../../src/notebooks/render/index.js'
import { keysOf, mutate, PROTOTYPE_KEYS, runs, type Mutation } from '../support/properties.js'
import { NOTEBOOK_CORPUS } from '../support/notebook-corpus.js'

/** The corpus notebooks small enough to mutate hundreds of times in seconds. */
function smallCorpus(maxBytes = 40_000): { name: string; value: unknown }[] {
  const out: { name: string; value: unknown }[] = []
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.ipynb') && statSync(p).size <= maxBytes) {
        try {
          out.push({ name: p.slice(NOTEBOOK_CORPUS.length), value: JSON.parse(readFileSync(p, 'utf8')) })
        } catch {
          // not JSON: the parser's own tests cover that
        }
      }
    }
  }
  try {
    walk(NOTEBOOK_CORPUS)
  } catch {
    // no corpus on this machine: the generated notebooks still run
  }
  return out.sort((a, b) => a.name.localeCompare(b.name))
}
const corpus = smallCorpus()

const NB_KEYS = [
  'nbformat',
  'nbformat_minor',
  'metadata',
  'cells',
  'worksheets',
  'cell_type',
  'source',
  'outputs',
  'output_type',
  'execution_count',
  'id',
  'attachments',
  'data',
  'text',
  'name',
  'input',
  'prompt_number',
  'level',
  'collapsed',
  'language',
  'rendered',
  'stream',
  'png',
  'html',
  'json',
  'ename',
  'evalue',
  'traceback',
  'orig_nbformat',
  'trusted',
  'text/plain',
  'image/png',
  'text/html',
  'application/json',
]
const KEYS = [...new Set([...NB_KEYS, ...corpus.flatMap((c) => [...keysOf(c.value)]).slice(0, 400)])].sort()

const leaf = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    1,
    2,
    3,
    4,
    5,
    -1,
    1.5,
    1e9,
    -1e9,
    2 ** 31,
    1e308,
    '',
    '\n',
    'a\nb\n',
    'code',
    'markdown',
    'raw',
    'heading',
    'html',
    'stream',
    'execute_result',
    'display_data',
    'error',
    'pyout',
    'pyerr',
    'stdout',
    'text/plain',
    'image/png',
    'iVBORw0KGgo=',
    '{"a": 1}',
    '{bad json',
    'x'.repeat(3000),
  ),
  fc.constantFrom(...PROTOTYPE_KEYS),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
  fc.integer(),
  fc.double(),
)
const shaped: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('a\n', 'b\n', '')), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...KEYS) }, fc.constantFrom(...PROTOTYPE_KEYS)),
      tie('value'),
      { maxKeys: 6 },
    ),
  ),
})).value

const cellShaped = fc.dictionary(
  fc.constantFrom(...NB_KEYS, ...PROTOTYPE_KEYS),
  fc.oneof(
    leaf,
    shaped,
    fc.array(fc.dictionary(fc.constantFrom(...NB_KEYS), fc.oneof(leaf, shaped), { maxKeys: 5 }), { maxLength: 3 }),
  ),
  { maxKeys: 8 },
)
const notebookShaped = fc.record(
  {
    nbformat: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(4, 3) }, leaf),
    nbformat_minor: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 6 }) }, leaf),
    metadata: fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, shaped),
    cells: fc.array(cellShaped, { maxLength: 4 }),
    worksheets: fc.array(fc.record({ cells: fc.array(cellShaped, { maxLength: 4 }) }, { requiredKeys: [] }), {
      maxLength: 2,
    }),
  },
  { requiredKeys: [] },
)

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom<Mutation['op']>('edit', 'edit', 'edit', 'delete', 'set', 'swap'),
  value: fc.oneof(leaf, shaped),
  other: fc.nat(),
})
/** One corpus notebook and two independent mutations of it (a plausible a/b pair). */
const mutatedPair = fc
  .record({
    index: fc.nat(),
    a: fc.array(mutation, { maxLength: 3 }),
    b: fc.array(mutation, { minLength: 1, maxLength: 3 }),
  })
  .map(({ index, a, b }) => {
    const base = corpus[index % corpus.length]!
    return { from: base.name, a: JSON.stringify(mutate(base.value, a)), b: JSON.stringify(mutate(base.value, b)) }
  })

const nesting = fc
  .record({
    depth: fc.integer({ min: 1, max: 5000 }),
    open: fc.constantFrom('[', '{"a":', '{"metadata":'),
    at: fc.constantFrom('metadata', 'source', 'outputs'),
  })
  .map(({ depth, open, at }) => {
    const close = open === '[' ? ']' : '}'
    const deep = open.repeat(depth) + '1' + close.repeat(depth)
    return at === 'metadata'
      ? `{"nbformat":4,"nbformat_minor":5,"metadata":{"x":${deep}},"cells":[]}`
      : `{"nbformat":3,"nbformat_minor":0,"metadata":{},"worksheets":[{"cells":[{"cell_type":"code","metadata":{},"input":"","outputs":[{"output_type":"pyout","${at}":${deep}}]}]}]}`
  })

const anyText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json(),
  notebookShaped.map((v) => JSON.stringify(v)),
  nesting,
  ...(corpus.length ? [mutatedPair.map((p) => p.b)] : []),
)

/** Read a notebook: a Notebook, or null for a NotebookParseError; anything else is thrown on. */
function read(text: string, name: string): Notebook | null {
  try {
    return parseNotebook(text, name)
  } catch (err) {
    if (
      err instanceof NotebookParseError &&
      err.notebook === name &&
      err.message.startsWith(`could not parse ${name}: `)
    )
      return null
    throw err
  }
}

/** What the push-diff service and the pages do with two notebooks the reader accepted. */
function diffAndRender(a: Notebook, b: Notebook): void {
  const diff = diffNotebooks(a, b)
  const json = JSON.stringify(diff)
  JSON.parse(json)
  const summary = summarize(a, diff)
  const push: PushDiff = {
    repository: 'acme/x',
    ref: 'refs/heads/main',
    base: '0'.repeat(40),
    head: 'f'.repeat(40),
    notes: [],
    files: [{ path: 'n.ipynb', oldPath: null, status: 'modified', kind: 'notebook', base: a, diff, summary }],
  }
  renderPushDiffHtml(push)
  renderPushSummaryMarkdown(push)
  renderNotebookDiffText(a, diff)
  // Each side against the empty notebook, as an added or deleted file is shown.
  diffNotebooks({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }, b)
}

const timed = <T>(what: string, limitMs: number, f: () => T): T => {
  const start = performance.now()
  const r = f()
  const ms = performance.now() - start
  if (ms > limitMs) throw new Error(`${what} took ${Math.round(ms)} ms`)
  return r
}

t.test('parseNotebook: any text is a notebook or a NotebookParseError naming the file', async (t) => {
  fc.assert(
    fc.property(anyText, (text) => {
      const nb = timed('reading', 5000, () => read(text, 'b/nb.ipynb'))
      if (nb === null) return
      if (!Array.isArray(nb.cells) || typeof nb.metadata !== 'object' || nb.metadata === null || nb.nbformat !== 4)
        throw new Error(`read as ${JSON.stringify(nb).slice(0, 200)}`)
    }),
    runs(t, 1500),
  )
})

t.test('two notebooks the reader accepted always diff, summarize, render and serialize', async (t) => {
  const pairs = fc.oneof(
    fc
      .tuple(notebookShaped, notebookShaped)
      .map(([a, b]) => ({ from: 'generated', a: JSON.stringify(a), b: JSON.stringify(b) })),
    ...(corpus.length ? [mutatedPair] : []),
  )
  let diffed = 0
  fc.assert(
    fc.property(pairs, ({ a, b }) => {
      const na = read(a, 'a.ipynb')
      const nb = read(b, 'b.ipynb')
      if (!na || !nb) return
      diffed++
      timed('diffing and rendering', 5000, () => diffAndRender(na, nb))
    }),
    runs(t, 600),
  )
  t.comment(`${diffed} pairs were read and diffed`)
  t.ok(diffed > 0, 'some generated pairs are notebooks')
})
