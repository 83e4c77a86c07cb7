/**
 * The core's caps (DiffOptions.maxLinePairs, maxLineChars): the pathological strings of security
 * issue #9 — 20,000 changed lines in one cell, one 200 KB changed line — get a coarser diff with
 * bounded work, that still applies to A to give B and says where it is coarser; ordinary pairs get
 * exactly the uncapped diff (nbdime parity itself is test/notebooks/core/parity*.test.ts).
 */
import t from 'tap'
import {
  diffNotebooksDetailed,
  parseNotebook,
  type DiffDegradation,
  type Notebook,
} from '../../../src/notebooks/core/index.js'
import { Similarity } from '../../../src/notebooks/core/compare.js'
import {
  applyDiff,
  renderNotebookDiffHtml,
  renderNotebookDiffText,
  renderNotebookSummaryMarkdown,
} from '../../../src/notebooks/render/index.js'
import { code, notebook, randomPairs, scenarios, stream } from '../fixtures.js'

const parse = (nb: unknown, name: string): Notebook =>
  parseNotebook(typeof nb === 'string' ? nb : JSON.stringify(nb), name)
const diff = (a: unknown, b: unknown, o = {}) => diffNotebooksDetailed(parse(a, 'a.ipynb'), parse(b, 'b.ipynb'), o)

/** Counts the line-similarity work the differ does: tests, and the longest strings ever ratio'd. */
function countSimilarity(t: { teardown(fn: () => void): void }) {
  const proto = Similarity.prototype
  const approx = proto.stringsApproximate
  const ratio = proto.ratioAbove
  const seen = { tests: 0, longestRatio: 0 }
  proto.stringsApproximate = function (this: Similarity, x: string, y: string, ...rest: [number?, number?]) {
    seen.tests++
    return approx.call(this, x, y, ...rest)
  }
  proto.ratioAbove = function (this: Similarity, x: string, y: string, threshold: number) {
    seen.longestRatio = Math.max(seen.longestRatio, x.length, y.length)
    return ratio.call(this, x, y, threshold)
  }
  t.teardown(() => {
    proto.stringsApproximate = approx
    proto.ratioAbove = ratio
  })
  return seen
}

const lineList = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => `${f(i)}\n`).join('')

t.test('20,000 changed lines in one cell: the changed block removed and added, bounded work, and said', async (t) => {
  const seen = countSimilarity(t)
  const head = 'import numpy as np\n'
  const tail = 'print("done")\n'
  // Every line changed a little: each would pass the similarity test against most others.
  const a = notebook([code('big', head + lineList(20_000, (i) => `x_${i} = train(${i})`) + tail)])
  const b = notebook([code('big', head + lineList(20_000, (i) => `x_${i} = train(${i + 1})`) + tail)])
  const r = diff(a, b, { maxLinePairs: 100_000 })
  t.ok(seen.tests <= 100_000, `${seen.tests} similarity tests, within the 100,000 cap`)
  t.same(r.degraded, [
    { path: '/cells/0/source', kind: 'lines', limit: 100_000, removed: 20_000, added: 20_000 },
  ] satisfies DiffDegradation[])
  const src = (r.diff[0] as { diff: { diff: { key: string; diff: unknown }[] }[] }).diff[0]!.diff.find(
    (e) => e.key === 'source',
  )
  t.same(
    src?.diff,
    [
      { op: 'addrange', key: 1, valuelist: lineList(20_000, (i) => `x_${i} = train(${i + 1})`).match(/.*\n/g) },
      { op: 'removerange', key: 1, length: 20_000 },
    ],
    'the first and last lines are kept; the block between is replaced, in nbdime format',
  )
  t.same(applyDiff(parse(a, 'a'), r.diff), parse(b, 'b'), 'the coarser diff still turns A into B')
})

t.test('the default cap holds the same pair too', async (t) => {
  const seen = countSimilarity(t)
  const a = notebook([
    code(
      'big',
      lineList(20_000, (i) => `${i * 7919}`),
    ),
  ])
  const b = notebook([
    code(
      'big',
      lineList(20_000, (i) => `line-${'q'.repeat(i % 5)}`),
    ),
  ])
  const r = diff(a, b)
  t.equal(seen.tests, 0, 'nothing compared: 400,000,000 pairs are over the cap before the first test')
  t.match(r.degraded, [{ path: '/cells/0/source', kind: 'lines', limit: 500_000, removed: 20_000, added: 20_000 }])
})

t.test('repeated equal lines are bounded too (the LCS holds every equal pair)', async (t) => {
  // 3,000 blank lines on each side are 9,000,000 equal pairs; the cap allows 4 × 100,000.
  const a = notebook([
    code(
      'c',
      lineList(3_000, (i) => (i % 2 ? '' : `a${i}`)),
    ),
  ])
  const b = notebook([
    code(
      'c',
      lineList(3_000, (i) => (i % 2 ? '' : `b${i}`)),
    ),
  ])
  const r = diff(a, b, { maxLinePairs: 100_000 })
  t.match(r.degraded, [{ path: '/cells/0/source', kind: 'lines' }])
  t.same(applyDiff(parse(a, 'a'), r.diff), parse(b, 'b'))
})

t.test('one 200 KB changed line: removed and added, never compared character by character', async (t) => {
  const seen = countSimilarity(t)
  const line = Array.from(
    { length: 200_000 },
    (_, i) => 'abcdefghij klmnopqrstuvwxyz(),.=0123456789'[(i * 7919) % 43],
  ).join('')
  const changed = `${line.slice(0, 100_000)}CHANGED${line.slice(100_007)}`
  const a = notebook([code('c1', 'x = 1\n'), code('long', `data = "${line}"\nprint(len(data))\n`)])
  const b = notebook([code('c1', 'x = 1\n'), code('long', `data = "${changed}"\nprint(len(data))\n`)])
  const r = diff(a, b)
  t.ok(seen.longestRatio <= 10_000, `the longest string ratio'd has ${seen.longestRatio} characters`)
  t.same(r.degraded, [
    { path: '/cells/1/source', kind: 'long-lines', limit: 10_000, removed: 1, added: 1 },
  ] satisfies DiffDegradation[])
  t.same(applyDiff(parse(a, 'a'), r.diff), parse(b, 'b'))
})

t.test('an output text over the cap is named by its path', async (t) => {
  // Under nbdime's own 1,000-character limit for aligning streams, so the texts are line-diffed.
  const a = notebook([code('c', 'run()\n', [stream(lineList(80, (i) => `loss ${i}.1`))], 1)])
  const b = notebook([code('c', 'run()\n', [stream(lineList(80, (i) => `loss ${i}.2`))], 1)])
  const r = diff(a, b, { maxLinePairs: 1_000 })
  t.same(r.degraded, [{ path: '/cells/0/outputs/0/text', kind: 'lines', limit: 1_000, removed: 80, added: 80 }])
  t.same(diff(a, b).degraded, [], 'within the default cap it is diffed line by line')
})

t.test(
  'below the caps nothing changes: every generated pair gives the uncapped diff, with nothing degraded',
  async (t) => {
    const uncapped = { maxLinePairs: Number.MAX_SAFE_INTEGER, maxLineChars: Number.MAX_SAFE_INTEGER }
    const pairs = [...scenarios(), ...randomPairs(40, 3)]
    let same = 0
    for (const p of pairs) {
      let capped
      try {
        capped = diff(p.a, p.b)
      } catch {
        continue // unparsable on purpose
      }
      const full = diff(p.a, p.b, uncapped)
      t.same(capped.degraded, [], `${p.name}: nothing degraded`)
      if (JSON.stringify(capped.diff) === JSON.stringify(full.diff)) same++
      else t.fail(`${p.name}: the caps changed the diff`)
    }
    t.ok(same > 40, `${same} pairs identical with and without the caps`)
  },
)

t.test('every renderer says where the diff is coarser', async (t) => {
  const a = notebook([
    code(
      'big',
      lineList(2_000, (i) => `x_${i} = ${i}`),
    ),
  ])
  const b = notebook([
    code(
      'big',
      lineList(2_000, (i) => `x_${i} = ${i + 1}`),
    ),
  ])
  const r = diff(a, b, { maxLinePairs: 10_000 })
  const base = parse(a, 'a')
  const html = renderNotebookDiffHtml({ base, diff: r.diff, degraded: r.degraded })
  t.match(html, /shown coarser/)
  t.match(
    html,
    /cell 1 source: 2,000 → 2,000 changed lines, too many to align within 10,000 line pairs \(diffs\.maxLinePairs\): shown removed and added/,
  )
  const text = renderNotebookDiffText(base, r.diff, { degraded: r.degraded })
  t.match(text, /^# Shown coarser than a full diff, to keep it fast:\n# {3}cell 1 source: 2,000 → 2,000 changed lines/m)
  const md = renderNotebookSummaryMarkdown('nb.ipynb', base, r.diff, {}, r.degraded)
  t.match(md, /_Shown coarser than a full diff, to keep it fast: cell 1 source: 2,000 → 2,000 changed lines/)
})
