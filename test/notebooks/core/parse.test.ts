import t from 'tap'
import { diffNotebooks, NotebookParseError, parseNotebook } from '../../../src/notebooks/core/index.js'
import { renderNotebookDiffHtml } from '../../../src/notebooks/render/index.js'
import { v3Notebook } from '../fixtures.js'

function parseError(text: string): NotebookParseError {
  try {
    parseNotebook(text, 'b.ipynb')
  } catch (e) {
    if (e instanceof NotebookParseError) return e
    throw new Error(`untyped error: ${String(e)}`, { cause: e })
  }
  throw new Error('no error')
}

t.test('bad input gives a typed error naming the file', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['invalid JSON', '{"cells": [', /^could not parse b\.ipynb: not valid JSON/],
    [
      'truncated file',
      JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }).slice(0, 30),
      /not valid JSON/,
    ],
    ['empty file', '', /the file is empty/],
    ['binary garbage', '\u0089PNG\r\n\u001a\n\u0000\u0000\u0000\rIHDR\u0000\u0001', /not valid JSON/],
    ['top-level array', '[1, 2]', /top-level JSON value is an array/],
    ['top-level string', '"cells"', /top-level JSON value is string/],
    ['empty object (not a notebook)', '{}', /not a notebook/],
    [
      'unknown major version',
      JSON.stringify({ cells: [], metadata: {}, nbformat: 5, nbformat_minor: 0 }),
      /unsupported nbformat version 5/,
    ],
    ['nbformat 2', JSON.stringify({ nbformat: 2, worksheets: [] }), /nbformat 2 notebooks are not supported/],
    ['non-integer version', JSON.stringify({ cells: [], metadata: {}, nbformat: '4' }), /"nbformat" is string/],
    ['v4 without cells', JSON.stringify({ metadata: {}, nbformat: 4, nbformat_minor: 5 }), /missing the "cells" list/],
    [
      'v4 without metadata',
      JSON.stringify({ cells: [], nbformat: 4, nbformat_minor: 5 }),
      /missing the "metadata" object/,
    ],
    [
      'cell without metadata',
      JSON.stringify({ cells: [{ cell_type: 'code', source: '' }], metadata: {}, nbformat: 4, nbformat_minor: 4 }),
      /cell 0 is missing its "metadata"/,
    ],
    [
      'source with non-strings',
      JSON.stringify({
        cells: [{ cell_type: 'code', metadata: {}, outputs: [], source: ['a', 1] }],
        metadata: {},
        nbformat: 4,
        nbformat_minor: 4,
      }),
      /cell 0 source is a list with non-string items/,
    ],
  ]
  for (const [name, text, re] of cases) {
    const e = parseError(text)
    t.match(e.message, re, name)
    t.equal(e.notebook, 'b.ipynb')
    t.equal(e.code, 'NOTEBOOK_PARSE_ERROR')
  }
})

t.test('v4: joins line lists, keeps JSON mimes, strips transient keys', async (t) => {
  const nb = parseNotebook(
    JSON.stringify({
      cells: [
        {
          cell_type: 'markdown',
          id: 'a',
          metadata: { trusted: true, tags: ['x'] },
          source: ['# T\n', 'text'],
          attachments: { 'p.png': { 'image/png': ['iVBO', 'Rw=='] } },
        },
        {
          cell_type: 'code',
          id: 'b',
          execution_count: 1,
          metadata: {},
          source: ['x'],
          outputs: [
            { output_type: 'stream', name: 'stdout', text: ['1\n', '2\n'] },
            {
              output_type: 'display_data',
              metadata: {},
              data: {
                'text/html': ['<b>\n', '</b>'],
                'application/json': { k: ['a', 'b'] },
                'application/vnd.x+json': ['a', 'b'],
              },
            },
          ],
        },
      ],
      metadata: { signature: 'sha256:x', orig_nbformat: 3, kernelspec: { name: 'python3' } },
      nbformat: 4,
      nbformat_minor: 5,
    }),
    'a.ipynb',
  )
  const [md, code] = nb.cells as unknown as [Record<string, any>, Record<string, any>]
  t.equal(md.source, '# T\ntext')
  t.same(md.metadata, { tags: ['x'] })
  t.same(md.attachments, { 'p.png': { 'image/png': 'iVBORw==' } })
  t.equal(code.outputs[0].text, '1\n2\n')
  t.same(code.outputs[1].data, {
    'text/html': '<b>\n</b>',
    'application/json': { k: ['a', 'b'] },
    'application/vnd.x+json': ['a', 'b'],
  })
  t.same(nb.metadata, { kernelspec: { name: 'python3' } })
  t.equal(nb.nbformat_minor, 5, 'minor version kept')
})

t.test('v4.5: missing and duplicate ids get deterministic ids; v4.4 gets none', async (t) => {
  const cells = [
    { cell_type: 'markdown', id: 'same', metadata: {}, source: 'a' },
    { cell_type: 'markdown', id: 'same', metadata: {}, source: 'b' },
    { cell_type: 'markdown', metadata: {}, source: 'c' },
  ]
  const text = JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5 })
  const ids = parseNotebook(text, 'x').cells.map((c) => c.id)
  t.equal(ids[0], 'same')
  t.match(ids[1], /^[0-9a-f]{8}$/)
  t.match(ids[2], /^[0-9a-f]{8}$/)
  t.not(ids[1], ids[2])
  t.same(
    parseNotebook(text, 'x').cells.map((c) => c.id),
    ids,
    'deterministic',
  )
  const old = parseNotebook(JSON.stringify({ cells: [cells[2]], metadata: {}, nbformat: 4, nbformat_minor: 4 }), 'x')
  t.notOk('id' in (old.cells[0] as object))
})

t.test('v3 is upgraded like nbformat', async (t) => {
  const nb = parseNotebook(v3Notebook(), 'old.ipynb')
  t.equal(nb.nbformat, 4)
  t.equal(nb.nbformat_minor, 5)
  t.same(nb.metadata, {
    kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
    orig_nbformat: 3,
    orig_nbformat_minor: 0,
  })
  t.notOk('worksheets' in nb)
  const [h, m, c1, c2, c3] = nb.cells as unknown as Record<string, any>[]
  t.same([h!.cell_type, h!.source], ['markdown', '# Title of the notebook'])
  t.same([m!.cell_type, m!.source], ['markdown', 'Some text\nmore text'])
  t.equal(c1!.source, 'x = 1\nprint(x)')
  t.equal(c1!.execution_count, 1)
  t.same(c1!.metadata, { collapsed: false })
  t.notOk('input' in c1! || 'prompt_number' in c1! || 'language' in c1! || 'collapsed' in c1!)
  t.same(c1!.outputs, [{ output_type: 'stream', text: '1\n', name: 'stdout' }])
  t.equal(c2!.outputs[0].output_type, 'execute_result')
  t.equal(c2!.outputs[0].execution_count, 2)
  t.same(Object.keys(c2!.outputs[0].data).sort(), ['image/png', 'text/plain'])
  t.equal(c3!.outputs[0].output_type, 'error')
  for (const c of nb.cells) t.match(c.id, /^[0-9a-f]{8}$/)
})

t.test('v3 joins lines written by splitlines() without line ends with "\\n"', async (t) => {
  const text = JSON.stringify({
    metadata: {},
    nbformat: 3,
    worksheets: [
      {
        cells: [
          {
            cell_type: 'code',
            input: ['a = 1', 'b = 2'],
            language: 'python',
            metadata: {},
            outputs: [{ output_type: 'pyout', json: ['{"a":', '1}'], metadata: {} }],
          },
        ],
      },
    ],
  })
  const cell = parseNotebook(text, 'x').cells[0] as unknown as Record<string, any>
  t.equal(cell.source, 'a = 1\nb = 2')
  t.same(cell.outputs[0].data, { 'application/json': { a: 1 } })
  t.equal(cell.execution_count, null)
})

t.test(
  'nesting deeper than 1,000 levels is refused, not a stack overflow (found by test/notebooks/properties.test.ts)',
  async (t) => {
    const deep = (n: number) => '['.repeat(n) + '1' + ']'.repeat(n)
    const v3 = (n: number) =>
      JSON.stringify({
        nbformat: 3,
        nbformat_minor: 0,
        metadata: {},
        worksheets: [
          {
            cells: [
              { cell_type: 'code', metadata: {}, input: '', outputs: [{ output_type: 'pyout', text: 'PLACEHOLDER' }] },
            ],
          },
        ],
      }).replace('"PLACEHOLDER"', deep(n))
    const v4 = (n: number, inner = '1') =>
      `{"nbformat":4,"nbformat_minor":5,"metadata":{"x":${deep(n - 2).replace('1', inner)}},"cells":[]}`
    t.match(parseError(v3(100_000)).message, /nested deeper than 1000 levels/, 'v3: upgrading recursed into it')
    t.match(
      parseError(v4(100_000)).message,
      /nested deeper than 1000 levels/,
      'v4: diffing and rendering would recurse into it',
    )
    t.match(parseError(v4(1001)).message, /nested deeper than 1000 levels/)
    // Brackets inside strings (escaped quotes too) are not nesting.
    t.equal(
      parseNotebook(
        `{"nbformat":4,"nbformat_minor":5,"metadata":{"s":"${'[{'.repeat(5000)}\\\\\\"${'['.repeat(5000)}"},"cells":[]}`,
        'b.ipynb',
      ).nbformat,
      4,
    )
    // At the limit, the notebooks diff, render and serialize.
    const a = parseNotebook(v4(1000, '1'), 'a.ipynb')
    const b = parseNotebook(v4(1000, '2'), 'b.ipynb')
    const diff = diffNotebooks(a, b)
    t.ok(JSON.stringify(diff).length > 1000, 'the diff serializes')
    t.ok(renderNotebookDiffHtml({ base: a, diff }).length > 0, 'the page renders')
  },
)

t.test(
  'v3 heading levels: over 6 is refused (a huge one was a RangeError), under 1 is no marker, as in Python',
  async (t) => {
    const heading = (level: unknown) =>
      JSON.stringify({
        nbformat: 3,
        nbformat_minor: 0,
        metadata: {},
        worksheets: [{ cells: [{ cell_type: 'heading', level, metadata: {}, source: 'Title' }] }],
      })
    t.match(parseError(heading(1e9)).message, /cell 0 is a heading of level 1000000000, not 1 to 6/)
    t.match(parseError(heading(7)).message, /heading of level 7/)
    t.equal(parseNotebook(heading(-3), 'b.ipynb').cells[0]!.source, ' Title')
    t.equal(parseNotebook(heading(6), 'b.ipynb').cells[0]!.source, '###### Title')
  },
)
