// writePrettyJson (the chunked `tamer diff --format json`) writes exactly JSON.stringify(value, null, 2):
// the corpus' diffs (nbdime's JSON, byte for byte) and the corners of the serialization algorithm.
import t from 'tap'
import { diffNotebooks, parseNotebook } from '../../../src/notebooks/core/index.js'
import { writePrettyJson } from '../../../src/notebooks/render/json.js'
import { notebookCorpusPairs } from '../../support/notebook-corpus.js'

const chunked = (value: unknown, chunkChars?: number) => {
  const chunks: string[] = []
  writePrettyJson(value, (c) => chunks.push(c), chunkChars)
  return { text: chunks.join(''), chunks }
}

t.test('the corners of JSON.stringify(value, null, 2)', async (t) => {
  const cases: unknown[] = [
    [],
    {},
    [[], {}, [[]], { a: {} }],
    { a: undefined, b: () => 1, c: Symbol('s'), d: 1 },
    { a: undefined },
    [undefined, () => 1, Symbol('s'), null, NaN, -0, Infinity, 1e21, 1.5],
    { '2': 'two', '1': 'one', b: 'b', a: 'a', 'quote"key': 'x\ny\u2028\u0000😀' },
    { d: new Date(0), n: { toJSON: (k: string) => `key ${k}` }, u: { toJSON: () => undefined } },
    [new String('boxed'), new Number(3), new Boolean(false)],
    'top-level string',
    42,
    null,
    true,
    { deep: [[[{ x: [1, [2, [3, { y: [] }]]] }]]] },
  ]
  cases.forEach((v, i) => t.equal(chunked(v, 1).text, JSON.stringify(v, null, 2), `case ${i}`))
  t.equal(chunked(undefined).text, '', 'undefined: no text (JSON.stringify gives undefined)')
})

t.test('random JSON values, in chunks of every size', async (t) => {
  let seed = 12345
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
  const value = (depth: number): unknown => {
    const r = rnd()
    if (depth > 4 || r < 0.3) return [1, 'text\n"q"', null, true, 0.1, '', 'é≥'][Math.floor(rnd() * 7)]
    if (r < 0.65) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1))
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => [`k${i}`, value(depth + 1)]))
  }
  for (let i = 0; i < 300; i++) {
    const v = value(0)
    const size = [1, 7, 64, 1 << 16][i % 4]
    const { text, chunks } = chunked(v, size)
    t.equal(text, JSON.stringify(v, null, 2))
    if (size === 1 << 16) t.ok(chunks.length <= 1)
  }
})

t.test('the corpus diffs: the same bytes, in bounded chunks', async (t) => {
  const pairs = notebookCorpusPairs()
  if (pairs.length === 0) {
    t.comment('no notebook corpus on this machine')
    return
  }
  // The largest real pairs carry the big outputs (images) whose JSON the chunks must not split wrongly.
  const picked = [...pairs].sort((x, y) => y.a.length + y.b.length - (x.a.length + x.b.length)).slice(0, 4)
  for (const p of picked) {
    const diff = diffNotebooks(parseNotebook(p.a, 'a'), parseNotebook(p.b, 'b'))
    const { text, chunks } = chunked(diff)
    t.equal(text, JSON.stringify(diff, null, 2), p.name)
    // Many chunks, not one string the size of the output (a long image string makes its chunk longer).
    if (text.length > 1 << 18) t.ok(chunks.length > 2, `${p.name}: ${chunks.length} chunks`)
  }
})
