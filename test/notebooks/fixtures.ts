/** Notebook pairs for the parity tests: hand-written scenarios and seeded random edits. */
import { createHash } from 'node:crypto'

type J = Record<string, unknown>

/** Like nbformat writes them: strings as lists of lines (Python splitlines(True)). */
export function lines(s: string): string[] {
  return s.match(/[^\n]*\n|[^\n]+$/g) ?? []
}

export function md(id: string | undefined, source: string, extra: J = {}): J {
  return { cell_type: 'markdown', ...(id === undefined ? {} : { id }), metadata: {}, source: lines(source), ...extra }
}

export function code(
  id: string | undefined,
  source: string,
  outputs: J[] = [],
  ec: number | null = null,
  metadata: J = {},
): J {
  return {
    cell_type: 'code',
    execution_count: ec,
    ...(id === undefined ? {} : { id }),
    metadata,
    outputs,
    source: lines(source),
  }
}

export const stream = (text: string, name = 'stdout'): J => ({ name, output_type: 'stream', text: lines(text) })
export const result = (data: J, ec: number | null): J => ({
  data,
  execution_count: ec,
  metadata: {},
  output_type: 'execute_result',
})
export const display = (data: J, metadata: J = {}): J => ({ data, metadata, output_type: 'display_data' })
export const error = (ename: string, evalue: string, traceback: string[]): J => ({
  ename,
  evalue,
  output_type: 'error',
  traceback,
})

/** Deterministic pseudo-PNG base64 (≥ 64 chars, so nbdime treats it as binary). */
export function png(seed: string, bytes = 300): string {
  let out = ''
  let h = seed
  while (out.length < bytes) {
    h = createHash('sha256').update(h).digest('hex')
    out += h
  }
  return Buffer.from(out.slice(0, bytes), 'hex').toString('base64') + '\n'
}

const META = {
  kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
  language_info: { name: 'python', version: '3.11.4' },
}

export function notebook(cells: J[], minor = 5, metadata: J = META): J {
  return { cells, metadata, nbformat: 4, nbformat_minor: minor }
}

export interface Pair {
  name: string
  a: J | string
  b: J | string
  /** nbdiff flags, e.g. ['-O']; mapped to DiffOptions by the test. */
  flags?: string[]
  /** ids are random in nbdime's output (v3 upgrade, ≥4.5 without ids): compare with ids masked. */
  randomIds?: boolean
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T

// ---- hand-written scenarios ----------------------------------------------------------------

export function scenarios(): Pair[] {
  const base = [
    md('m1', '# Analysis of widgets\n\nThis notebook loads the widget data and plots it.'),
    code('c1', 'import numpy as np\nimport pandas as pd', [], 1),
    code(
      'c2',
      "df = pd.read_csv('widgets.csv')\ndf.head()",
      [
        result(
          {
            'text/html': lines('<table>\n<tr><td>1</td><td>2</td></tr>\n<tr><td>3</td><td>4</td></tr>\n</table>'),
            'text/plain': lines('   a  b\n0  1  2\n1  3  4'),
          },
          2,
        ),
      ],
      2,
    ),
    code('c3', 'for i in range(3):\n    print(i)', [stream('0\n1\n2\n')], 3),
    code(
      'c4',
      'plt.plot(df.a)',
      [
        result({ 'text/plain': ['[<matplotlib.lines.Line2D at 0x7f3a2c1d5e50>]'] }, 4),
        display({ 'image/png': png('p1'), 'text/plain': ['<Figure size 640x480 with 1 Axes>'] }),
      ],
      4,
    ),
    code(
      'c5',
      '1/0',
      [
        error('ZeroDivisionError', 'division by zero', [
          '\u001b[0;31m---------------------------------------------------------------------------\u001b[0m',
          '\u001b[0;31mZeroDivisionError\u001b[0m                         Traceback (most recent call last)',
          'Cell \u001b[0;32mIn[5], line 1\u001b[0m\n\u001b[0;32m----> 1\u001b[0m \u001b[38;5;241m1\u001b[39m\u001b[38;5;241m/\u001b[39m\u001b[38;5;241m0\u001b[39m\n',
          '\u001b[0;31mZeroDivisionError\u001b[0m: division by zero',
        ]),
      ],
      5,
    ),
    md('m2', '## Conclusion\n\nWidgets are *great* 🎉 — really.'),
  ]
  const nb = (cells: J[], minor = 5, meta: J = META) => notebook(clone(cells), minor, meta)
  const edit = (f: (cells: J[]) => void, minor = 5): J => {
    const cells = clone(base)
    f(cells)
    return nb(cells, minor)
  }
  const at = (cells: J[], i: number) => cells[i] as J
  const pairs: Pair[] = [
    { name: 'identical', a: nb(base), b: nb(base) },
    {
      name: 'edit-markdown-words',
      a: nb(base),
      b: edit((c) => {
        at(c, 0).source = lines('# Analysis of gadgets\n\nThis notebook loads the gadget data and plots it.')
      }),
    },
    {
      name: 'edit-code-char',
      a: nb(base),
      b: edit((c) => {
        at(c, 1).source = lines('import numpy as np\nimport pandas as pd\n')
      }),
    },
    {
      name: 'insert-cell',
      a: nb(base),
      b: edit((c) => {
        c.splice(2, 0, code('n1', 'x = 42', [], null))
      }),
    },
    {
      name: 'delete-cell',
      a: nb(base),
      b: edit((c) => {
        c.splice(3, 1)
      }),
    },
    {
      name: 'delete-two-cells',
      a: nb(base),
      b: edit((c) => {
        c.splice(1, 2)
      }),
    },
    {
      name: 'move-cell-with-ids',
      a: nb(base),
      b: edit((c) => {
        const [x] = c.splice(1, 1)
        c.splice(5, 0, x as J)
      }),
    },
    {
      name: 'rerun-exec-counts',
      a: nb(base),
      b: edit((c) => {
        for (const cell of c)
          if (cell.cell_type === 'code') {
            cell.execution_count = (cell.execution_count as number) + 10
            for (const o of cell.outputs as J[])
              if ('execution_count' in o) o.execution_count = (o.execution_count as number) + 10
          }
      }),
    },
    {
      name: 'stream-small-change',
      a: nb(base),
      b: edit((c) => {
        at(c, 3).outputs = [stream('0\n1\n2\n3\n')]
      }),
    },
    {
      name: 'stream-big-change',
      a: nb(base),
      b: edit((c) => {
        at(c, 3).outputs = [stream('something else entirely\n')]
      }),
    },
    {
      name: 'image-rerendered',
      a: nb(base),
      b: edit((c) => {
        ;(at(c, 4).outputs as J[])[1] = display({
          'image/png': png('p2'),
          'text/plain': ['<Figure size 640x480 with 1 Axes>'],
        })
      }),
    },
    {
      name: 'pointer-repr-only',
      a: nb(base),
      b: edit((c) => {
        ;(at(c, 4).outputs as J[])[0] = result({ 'text/plain': ['[<matplotlib.lines.Line2D at 0x7f3a2c1d9999>]'] }, 4)
      }),
    },
    {
      name: 'error-evalue-changed',
      a: nb(base),
      b: edit((c) => {
        at(c, 5).outputs = [error('ZeroDivisionError', 'integer division or modulo by zero', ['tb'])]
      }),
    },
    {
      name: 'error-traceback-rerun',
      a: nb(base),
      b: edit((c) => {
        const o = (at(c, 5).outputs as J[])[0] as J
        ;(o.traceback as string[])[2] = (o.traceback as string[])[2]!.replace('In[5]', 'In[6]')
      }),
    },
    {
      name: 'html-table-changed',
      a: nb(base),
      b: edit((c) => {
        ;((at(c, 2).outputs as J[])[0] as J).data = {
          'text/html': lines('<table>\n<tr><td>1</td><td>2</td></tr>\n<tr><td>3</td><td>5</td></tr>\n</table>'),
          'text/plain': lines('   a  b\n0  1  2\n1  3  5'),
        }
      }),
    },
    {
      name: 'metadata-tags-and-kernel',
      a: nb(base),
      b: notebook(
        clone(base).map((cell, i) =>
          i === 1 ? { ...cell, metadata: { tags: ['parameters', 'remove-input'], collapsed: true } } : cell,
        ),
        5,
        { ...META, language_info: { name: 'python', version: '3.12.1' }, widgets: { state: {} } },
      ),
    },
    {
      name: 'cell-type-change-same-id',
      a: nb(base),
      b: edit((c) => {
        c[3] = md('c3', 'for i in range(3):\n    print(i)')
      }),
    },
    {
      name: 'rewrite-cell-new-id',
      a: nb(base),
      b: edit((c) => {
        c[6] = md('m9', 'Totally different text about other things.')
      }),
    },
    {
      name: 'unicode-astral',
      a: nb(base),
      b: edit((c) => {
        at(c, 6).source = lines('## Conclusion\n\nWidgets are *great* 🎉🚀 — really 😀.')
      }),
    },
    {
      name: 'unicode-before-edit',
      a: nb([md('u1', 'ab𝒳cd😀ef\nline two 😀😀\n')]),
      b: nb([md('u1', 'ab𝒳cX😀ef\nline 2 😀😀\n')]),
    },
    {
      name: 'crlf-to-lf',
      a: nb([code('k1', 'a = 1\r\nb = 2\r\nc = 3\r\n', [stream('x\r\ny\r\n')], 1)]),
      b: nb([code('k1', 'a = 1\nb = 2\nc = 3\n', [stream('x\ny\n')], 1)]),
    },
    {
      name: 'python-line-breaks',
      a: nb([md('p1', 'one\u2028two\x0cthree\x1dfour\nfive')]),
      b: nb([md('p1', 'one\u2028tw0\x0cthree\nfour\nfive')]),
    },
    {
      name: 'attachments',
      a: nb([
        md('a1', '![x](attachment:x.png)', {
          attachments: { 'x.png': { 'image/png': png('att1') }, 'y.png': { 'image/png': png('y') } },
        }),
      ]),
      b: nb([
        md('a1', '![x](attachment:x.png)\n![z](attachment:z.png)', {
          attachments: { 'x.png': { 'image/png': png('att2') }, 'z.png': { 'image/png': png('z') } },
        }),
      ]),
    },
    {
      name: 'json-and-svg-mimes',
      a: nb([
        code(
          'j1',
          'show()',
          [
            display({
              'application/json': { a: 1, b: [1, 2, 3], c: { d: 'x' } },
              'image/svg+xml': lines('<svg>\n<rect width="10"/>\n</svg>'),
              'text/plain': ['<IPython.core.display.JSON object>'],
            }),
          ],
          1,
        ),
      ]),
      b: nb([
        code(
          'j1',
          'show()',
          [
            display({
              'application/json': { a: 2, b: [1, 3, 4], c: { d: 'x', e: null } },
              'image/svg+xml': lines('<svg>\n<rect width="12"/>\n</svg>'),
              'text/plain': ['<IPython.core.display.JSON object>'],
            }),
          ],
          1,
        ),
      ]),
    },
    {
      name: 'no-ids-v4.4-edits',
      a: notebook(clone(base).map(stripId), 4),
      b: notebook(
        (
          edit((c) => {
            c.splice(2, 1)
            c.splice(4, 0, code(undefined, 'y = 2', [], 9))
            at(c, 0).source = lines('# Analysis of gadgets\n\nThis notebook loads data.')
          }, 4).cells as J[]
        ).map(stripId),
        4,
      ),
    },
    {
      name: 'no-ids-move-cell',
      a: notebook(clone(base).map(stripId), 4),
      b: notebook(clone(base).map(stripId).reverse(), 4),
    },
    { name: 'ids-added-4.4-to-4.5', a: notebook(clone(base).map(stripId), 4), b: nb(base) },
    { name: 'empty-vs-full', a: nb([]), b: nb(base) },
    { name: 'full-vs-empty', a: nb(base), b: nb([]) },
    {
      name: 'duplicate-identical-cells',
      a: nb([code('d1', '', [], null), code('d2', '', [], null), md('d3', 'x'), code('d4', '', [], null)], 4),
      b: nb(
        [
          code('e1', '', [], null),
          md('e2', 'x'),
          code('e3', '', [], null),
          code('e4', '', [], null),
          code('e5', '', [], null),
        ],
        4,
      ),
    },
    {
      name: 'v3-vs-v4.4',
      a: v3Notebook(),
      b: notebook(v3AsV4Cells(), 4, { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } }),
    },
    {
      name: 'v3-vs-v3',
      a: v3Notebook(),
      b: v3Notebook((ws) => {
        ;((ws[2] as J).input as string[])[0] = 'x = 2\n'
        ws.splice(1, 1)
      }),
      randomIds: true,
    },
  ]
  // Ignore flags (each alone, and positive selections), on a pair that changes everything.
  const everything = edit((c) => {
    at(c, 0).source = lines('# Analysis of gadgets\n\nThis notebook loads the gadget data and plots it.')
    at(c, 1).metadata = { tags: ['x'] }
    at(c, 3).outputs = [stream('0\n1\n2\n3\n')]
    at(c, 3).execution_count = 30
    ;(at(c, 4).outputs as J[])[0] = result({ 'text/plain': ['[<matplotlib.lines.Line2D at 0x7f3a2c1d5e50>]'] }, 40)
    ;((at(c, 4).outputs as J[])[1] as J).metadata = { needs_background: 'light' }
    c[6] = md('m2', '## Conclusion!\n\nWidgets are *great* 🎉 — really.', {
      attachments: { 'a.png': { 'image/png': png('q') } },
    })
    c.splice(2, 0, code('n1', 'x = 42', [], null))
  })
  const everythingA = nb(
    base.map((cell, i) => (i === 6 ? { ...cell, attachments: { 'a.png': { 'image/png': png('r') } } } : cell)),
  )
  ;(everything.metadata as J).language_info = { name: 'python', version: '3.12.1' }
  for (const flags of [
    [],
    ['-S'],
    ['-O'],
    ['-A'],
    ['-M'],
    ['-I'],
    ['-D'],
    ['-s'],
    ['-o'],
    ['-m'],
    ['-d'],
    ['-a'],
    ['-i'],
    ['-sm'],
    ['-S', '-O', '-D'],
  ]) {
    pairs.push({ name: `flags[${flags.join(' ')}]`, a: everythingA, b: everything, flags })
  }
  return pairs
}

function stripId(cell: J): J {
  const { id: _id, ...rest } = cell
  return rest
}

function v3Worksheet(): J[] {
  return [
    { cell_type: 'heading', level: 1, metadata: {}, source: ['Title of the notebook'] },
    { cell_type: 'markdown', metadata: {}, source: ['Some text\n', 'more text'] },
    {
      cell_type: 'code',
      collapsed: false,
      input: ['x = 1\n', 'print(x)'],
      language: 'python',
      metadata: {},
      outputs: [{ output_type: 'stream', stream: 'stdout', text: ['1\n'] }],
      prompt_number: 1,
    },
    {
      cell_type: 'code',
      collapsed: true,
      input: ['x'],
      language: 'python',
      metadata: {},
      outputs: [{ metadata: {}, output_type: 'pyout', prompt_number: 2, text: ['1'], png: png('v3') }],
      prompt_number: 2,
    },
    {
      cell_type: 'code',
      collapsed: false,
      input: ['1/0'],
      language: 'python',
      metadata: {},
      outputs: [
        { ename: 'ZeroDivisionError', evalue: 'division by zero', output_type: 'pyerr', traceback: ['tb line'] },
      ],
      prompt_number: 3,
    },
  ]
}

export function v3Notebook(mutate?: (cells: J[]) => void): string {
  const cells = v3Worksheet()
  mutate?.(cells)
  return JSON.stringify({
    metadata: { name: 'old', kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } },
    nbformat: 3,
    nbformat_minor: 0,
    worksheets: [{ cells, metadata: {} }],
  })
}

function v3AsV4Cells(): J[] {
  return [
    md(undefined, '# Title of the notebook'),
    md(undefined, 'Some text\nmore text'),
    code(undefined, 'x = 1\nprint(x)', [stream('1\n')], 1, { collapsed: false }),
    code(
      undefined,
      'x',
      [
        {
          data: { 'image/png': png('v3'), 'text/plain': ['1'] },
          execution_count: 2,
          metadata: {},
          output_type: 'execute_result',
        },
      ],
      2,
      { collapsed: true },
    ),
    code(undefined, '1/0', [error('ZeroDivisionError', 'division by zero', ['tb line'])], 3, { collapsed: false }),
  ]
}

// ---- seeded random pairs -------------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WORDS = [
  'data',
  'model',
  'train',
  'plot',
  'x',
  'y',
  'loss',
  'df',
  'np',
  'pd',
  'value',
  'résumé',
  'naïve',
  '🎉',
  '数据',
  'α',
  'β',
  'κόσμε',
  '😀',
]

export function randomPairs(count: number, seed = 1): Pair[] {
  const pairs: Pair[] = []
  for (let p = 0; p < count; p++) {
    const rnd = mulberry32(seed * 1000 + p)
    const int = (n: number) => Math.floor(rnd() * n)
    const pick = <T>(xs: T[]): T => xs[int(xs.length)] as T
    const withIds = rnd() < 0.5
    let next = 0
    const newId = () => (withIds ? `id${p}-${next++}` : undefined)
    const line = () => {
      const k = int(5)
      if (k === 0) return `${pick(WORDS)} = ${pick(WORDS)}(${int(100)})\n`
      if (k === 1) return `# ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)}\n`
      if (k === 2) return `print(${pick(WORDS)}, ${int(10)})\n`
      if (k === 3) return '\n'
      return `for ${pick(WORDS)} in range(${int(50)}):\n    ${pick(WORDS)} += ${int(9)}\n`
    }
    const src = () =>
      Array.from({ length: 1 + int(5) }, line)
        .join('')
        .replace(/\n$/, rnd() < 0.5 ? '' : '\n')
    const output = (): J => {
      const k = int(5)
      if (k === 0) return stream(Array.from({ length: 1 + int(3) }, line).join(''))
      if (k === 1) return result({ 'text/plain': [String(int(1000))] }, int(50))
      if (k === 2)
        return display({
          'image/png': png(`r${p}-${int(1e6)}`, 60 + int(200)),
          'text/plain': ['<Figure size 640x480 with 1 Axes>'],
        })
      if (k === 3) return error('ValueError', `bad ${pick(WORDS)}`, ['Traceback', `line ${int(9)}`])
      return result(
        { 'text/html': lines(`<b>${pick(WORDS)}</b>\n<i>${int(99)}</i>`), 'text/plain': [pick(WORDS)] },
        int(50),
      )
    }
    const cell = (): J => {
      const k = int(10)
      if (k < 3) return md(newId(), src())
      if (k === 3) return code(newId(), '', [], null)
      return code(newId(), src(), Array.from({ length: int(3) }, output), int(40))
    }
    const a = Array.from({ length: 3 + int(p < count / 2 ? 12 : 40) }, cell)
    const b = clone(a)
    const edits = 1 + int(6)
    for (let e = 0; e < edits; e++) {
      const k = int(11)
      const i = int(b.length)
      const c = b[i]
      if (!c) {
        b.push(cell())
        continue
      }
      if (k === 0) b.splice(i, 0, cell())
      else if (k === 1) b.splice(i, 1)
      else if (k === 2) {
        const [x] = b.splice(i, 1)
        b.splice(int(b.length + 1), 0, x as J)
      } else if (k === 3) {
        const ls = (c.source as string[]).slice()
        const li = int(ls.length + 1)
        if (ls.length && rnd() < 0.6) {
          const l = ls[Math.min(li, ls.length - 1)] as string
          const pos = int(l.length)
          ls[Math.min(li, ls.length - 1)] = l.slice(0, pos) + pick(WORDS) + l.slice(pos + 1)
        } else ls.splice(li, 0, line())
        c.source = ls
      } else if (k === 4) c.source = lines(src())
      else if (k === 5 && c.cell_type === 'code') c.outputs = Array.from({ length: int(3) }, output)
      else if (k === 6 && c.cell_type === 'code') c.execution_count = int(99)
      else if (k === 7) c.metadata = { tags: [pick(WORDS)] }
      else if (k === 8)
        b.splice(i, 0, clone(c)) // a duplicate (with the same id: nbformat repairs it)
      else if (k === 9 && c.cell_type === 'code' && (c.outputs as J[]).length) {
        const o = (c.outputs as J[])[0] as J
        if (o.output_type === 'stream') o.text = [...(o.text as string[]), line()]
      } else b.splice(i, 0, cell())
    }
    const duplicatesIds = withIds && new Set(b.map((c) => c.id)).size !== b.length
    pairs.push({
      name: `random-${seed}-${p}${withIds ? '' : '-noids'}`,
      a: notebook(a, withIds ? 5 : 4),
      b: notebook(b, withIds ? 5 : 4),
      randomIds: duplicatesIds,
    })
  }
  return pairs
}
