// The exact pre-filters of the cell alignment (src/notebooks/core/prefilter.ts) and the one-pass
// isBase64: each filter is a necessary condition of the nbdime predicate it stands before, so it
// must never refuse a pair that predicate accepts (property tests, seeded like
// test/notebooks/properties.test.ts). Corpus parity (parity-real.test.ts) is the backstop.
import * as fc from 'fast-check'
import t from 'tap'
import { Similarity, isBase64 } from '../../../src/notebooks/core/compare.js'
import { pyEqual } from '../../../src/notebooks/core/json.js'
import type { JsonObject } from '../../../src/notebooks/core/model.js'
import {
  type CellFacts,
  cellColumns,
  cellFacts,
  cellMayMatch,
  outputStrictKey,
} from '../../../src/notebooks/core/prefilter.js'
import { lengthsMaySimilar, textApproximateMayHold, textStrictMayHold } from '../../../src/notebooks/core/lengths.js'
import {
  RatioSearch,
  SequenceMatcher,
  buildB2j,
  histogram,
  histogramOverlap,
} from '../../../src/notebooks/core/difflib.js'
import { Histogram, lcsLength } from '../../../src/notebooks/core/bounds.js'
import { codePoints, pyLen, splitLines } from '../../../src/notebooks/core/text.js'
import { runs } from '../../support/properties.js'

/** nbdime's `_is_base64` as written: the regex on the joined `splitlines()` (IGNORECASE). */
const BASE64 = /^(?:[a-z0-9+/]{4})*(?:[a-z0-9+/]{2}==|[a-z0-9+/]{3}=)?$/i
const base64Reference = (s: string, minLen = 64) => s.length >= minLen && BASE64.test(splitLines(s).join(''))

t.test('isBase64 (one pass) answers like the regex over the joined lines', async (t) => {
  const piece = fc.constantFrom(
    'QUJD',
    'ab',
    'Zz9+',
    '/',
    '=',
    '==',
    '\n',
    '\r\n',
    '\r',
    '\u2028',
    '\x1c',
    '\x85',
    ' ',
    '-',
    'ſ',
    '\u212a',
    'é',
    '\ud83d\ude00',
    'AAAA'.repeat(16),
  )
  const text = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''))
  fc.assert(
    fc.property(
      text,
      fc.integer({ min: 0, max: 70 }),
      (s, minLen) => isBase64(s, minLen) === base64Reference(s, minLen),
    ),
    runs(t, 3000),
  )
  // Real shapes: a PNG as stored (76-column lines), with and without padding.
  const png = Buffer.from(Array.from({ length: 301 }, (_, i) => (i * 37) % 256)).toString('base64')
  for (const s of [
    png,
    png.replace(/(.{76})/g, '$1\n'),
    png.slice(0, -1),
    `${png}=`,
    `${png.slice(0, 100)}!${png.slice(100)}`,
  ]) {
    t.equal(isBase64(s), base64Reference(s), JSON.stringify(s.slice(-12)))
  }
})

// Strings from a small alphabet so that similar pairs (the ones that matter) are common.
const word = fc.constantFrom(
  'x',
  'y = 1',
  'print(a)',
  'import numpy as np',
  'ab',
  'é',
  '\ud83d\ude00',
  ' ',
  '\n',
  'plt.show()',
  'X_train',
)
const str = fc.array(word, { maxLength: 12 }).map((w) => w.join(''))
/** A pair (x, y) where y is often x with a few edits. */
const pair = fc.oneof(
  fc.tuple(str, str),
  fc.tuple(str, fc.array(fc.tuple(fc.nat(), word, fc.boolean()), { maxLength: 3 })).map(([x, edits]) => {
    let y = x
    for (const [at, w, del] of edits) {
      const k = y.length ? at % y.length : 0
      y = del ? y.slice(0, k) + y.slice(k + 1) : y.slice(0, k) + w + y.slice(k)
    }
    return [x, y] as [string, string]
  }),
)

t.test('RatioSearch answers ratio() > threshold exactly, resumed across thresholds', async (t) => {
  fc.assert(
    fc.property(
      pair,
      fc.array(fc.constantFrom(0.7, 0.95, 0.5, 0, 0.99), { minLength: 1, maxLength: 3 }),
      ([x, y], thresholds) => {
        const a = codePoints(x)
        const b = codePoints(y)
        const full = new SequenceMatcher(a, b).ratio()
        const search = new RatioSearch(a, b)
        const b2j = buildB2j(b)
        return thresholds.every((th) => search.above(th, b2j) === full > th)
      },
    ),
    runs(t, 3000),
  )
})

/** The longest common subsequence by the textbook table. */
function lcsTable(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const row = new Array<number>(b.length + 1).fill(0)
  for (let i = 1; i <= a.length; i++) {
    let diag = 0
    for (let j = 1; j <= b.length; j++) {
      const up = row[j] as number
      row[j] = a[i - 1] === b[j - 1] ? diag + 1 : Math.max(up, row[j - 1] as number)
      diag = up
    }
  }
  return row[b.length] as number
}

t.test("bounds.ts: the LCS, an upper bound of difflib's matches; quick_ratio's overlap", async (t) => {
  // Long inputs too: the bit-parallel LCS carries between 32-bit words.
  const long = fc.tuple(fc.array(fc.nat(3), { maxLength: 200 }), fc.array(fc.nat(3), { maxLength: 200 }))
  const texts = pair.map(([x, y]) => [codePoints(x), codePoints(y)] as const)
  fc.assert(
    fc.property(fc.oneof(texts, long), ([a, b]) => {
      const lcs = lcsLength(a, b)
      let matches = 0
      for (const m of new SequenceMatcher(a, b).getMatchingBlocks()) matches += m.size
      const overlap = histogramOverlap(histogram(a), histogram(b))
      return lcs === lcsTable(a, b) && matches <= lcs && new Histogram(a).overlap(new Histogram(b)) === overlap
    }),
    runs(t, 2000),
  )
})

t.test('RatioSearch capped by the LCS still answers ratio() > threshold exactly', async (t) => {
  fc.assert(
    fc.property(pair, fc.constantFrom(0.7, 0.95, 0.5), ([x, y], th) => {
      const a = codePoints(x)
      const b = codePoints(y)
      const full = new SequenceMatcher(a, b).ratio()
      return new RatioSearch(a, b, lcsLength(a, b)).above(th, buildB2j(b)) === full > th
    }),
    runs(t, 2000),
  )
})

t.test('stringsApproximate answers as compare_strings_approximate (generic.py) does', async (t) => {
  // nbdime's function as written: real_quick_ratio, quick_ratio, maxlen, then ratio().
  const reference = (x: string, y: string, threshold: number, maxlen?: number): boolean => {
    if (x.length > 0 !== y.length > 0) return false
    if (x === y) return true
    const a = codePoints(x)
    const b = codePoints(y)
    const total = a.length + b.length
    if ((2 * Math.min(a.length, b.length)) / total < threshold) return false
    if ((2 * histogramOverlap(histogram(a), histogram(b))) / total < threshold) return false
    if (maxlen !== undefined && a.length > maxlen && b.length > maxlen) return false
    return new SequenceMatcher(a, b).ratio() > threshold
  }
  let similar = 0
  fc.assert(
    fc.property(pair, fc.constantFrom(0.7, 0.95, 0.5), fc.constantFrom(undefined, 5, 40), ([x, y], th, maxlen) => {
      const want = reference(x, y, th, maxlen)
      if (want) similar++
      return new Similarity().stringsApproximate(x, y, th, maxlen) === want
    }),
    runs(t, 3000),
  )
  t.ok(similar > 300, `similar pairs: ${similar}`)
})

t.test('length bounds never refuse what compare_strings_approximate / compare_text_* accept', async (t) => {
  const sim = new Similarity()
  fc.assert(
    fc.property(pair, fc.constantFrom(0.7, 0.95, 0.5), ([x, y], threshold) => {
      if (sim.stringsApproximate(x, y, threshold)) return lengthsMaySimilar(pyLen(x), pyLen(y), threshold)
      return true
    }),
    runs(t, 3000),
  )
  fc.assert(
    fc.property(pair, ([x, y]) => {
      const la = pyLen(x)
      const lb = pyLen(y)
      return (
        (!sim.textApproximate(x, y) || textApproximateMayHold(la, lb)) &&
        (!sim.textStrict(x, y) || textStrictMayHold(la, lb))
      )
    }),
    runs(t, 3000),
  )
})

// Outputs and cells shaped like nbformat's, with values from small sets so that strict matches occur.
const mimeText = fc.constantFrom(
  '1',
  '<Figure size 432x288 with 1 Axes>',
  '<object at 0x7f00aa11bb22>',
  '<object at 0x7f00cc33dd44>',
  'array([1, 2, 3])',
  'array([1, 2, 4])',
)
const png = fc.constantFrom(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'not base64 but long enough to be compared as text, more or less',
)
const output: fc.Arbitrary<JsonObject> = fc.oneof(
  fc.record({ output_type: fc.constant('stream'), name: fc.constantFrom('stdout', 'stderr'), text: str }),
  fc.record({
    output_type: fc.constantFrom('display_data', 'execute_result'),
    data: fc.oneof(
      fc.record({ 'text/plain': mimeText }),
      fc.record({ 'text/plain': mimeText, 'image/png': png }),
      fc.constant(null),
    ),
    metadata: fc.constantFrom({}, { needs_background: 'light' }),
  }),
  fc.record({
    output_type: fc.constant('error'),
    ename: fc.constantFrom('ValueError', 'KeyError'),
    evalue: fc.constantFrom('', 'x'),
    traceback: fc.array(str, { maxLength: 2 }),
  }),
  fc.record({
    output_type: fc.constant('stream'),
    name: fc.constant('stdout'),
    text: str,
    extra: fc.constantFrom(1, true, 'a'),
  }),
) as fc.Arbitrary<JsonObject>
const cell: fc.Arbitrary<JsonObject> = fc.oneof(
  fc.record({
    cell_type: fc.constant('code'),
    source: str,
    execution_count: fc.constantFrom(null, 1, 2),
    metadata: fc.constant({}),
    outputs: fc.array(output, { maxLength: 3 }),
  }),
  fc.record({ cell_type: fc.constantFrom('markdown', 'raw'), source: str, metadata: fc.constant({}) }),
  fc.record({ source: str, metadata: fc.constant({}) }),
) as fc.Arbitrary<JsonObject>
/** Two cell lists where B is often A's cells lightly changed (so that every level has matches). */
const cellLists = fc
  .tuple(
    fc.array(cell, { minLength: 1, maxLength: 5 }),
    fc.array(cell, { maxLength: 3 }),
    fc.array(fc.nat(), { maxLength: 4 }),
    pair,
  )
  .map(([a, extra, picks, [x, y]]) => {
    const b = [...picks.map((p) => structuredClone(a[p % a.length] as JsonObject)), ...extra]
    // One changed source, like an edited cell.
    if (b[0] && a[0] && typeof a[0]['source'] === 'string')
      b.push({ ...structuredClone(a[0]), source: (a[0]['source'] as string) + x.slice(0, 3) + y.slice(0, 2) })
    return [a, b] as [JsonObject[], JsonObject[]]
  })

t.test(
  'cellMayMatch never refuses a pair compare_cell_approximate / _strict accept, nor the counts moderate needs',
  async (t) => {
    const outs = (c: JsonObject) => (Array.isArray(c['outputs']) ? (c['outputs'] as JsonObject[]) : [])
    const accepted = { approximate: 0, strict: 0 }
    fc.assert(
      fc.property(cellLists, ([a, b]) => {
        const sim = new Similarity()
        const fa = cellFacts(a, outs)
        const fb = cellFacts(b, outs)
        for (let i = 0; i < a.length; i++) {
          for (let j = 0; j < b.length; j++) {
            const x = a[i] as JsonObject
            const y = b[j] as JsonObject
            // nbdime/diffing/notebooks.py, as src/notebooks/core/diff.ts (diffCells) evaluates them.
            const sameType = pyEqual(x['cell_type'], y['cell_type'])
            const approximate = sameType && sim.textApproximate(x['source'] ?? '', y['source'] ?? '')
            let strict = sameType && sim.textStrict(x['source'] ?? '', y['source'] ?? '')
            if (strict && x['cell_type'] === 'code') {
              const xo = outs(x)
              const yo = outs(y)
              strict = xo.length === yo.length && xo.every((o, k) => sim.outputStrict(o, yo[k] as JsonObject))
            }
            if (approximate) {
              accepted.approximate++
              if (!cellMayMatch('approximate', fa, i, fb, j)) return false
              if (!cellMayMatch('moderate', fa, i, fb, j, true)) return false
              // compare_cell_moderate: a code cell's outputs can only all align if the counts are equal.
              const needsCounts = x['cell_type'] === 'code' && outs(x).length === outs(y).length
              if (needsCounts && !cellMayMatch('moderate', fa, i, fb, j)) return false
              if (x['cell_type'] !== 'code' && !cellMayMatch('moderate', fa, i, fb, j)) return false
            }
            if (strict) {
              accepted.strict++
              if (!cellMayMatch('strict', fa, i, fb, j)) return false
            }
          }
        }
        return true
      }),
      runs(t, 1500),
    )
    t.ok(
      accepted.approximate > 1000 && accepted.strict > 500,
      `the predicates accepted pairs often enough to test the filters (${JSON.stringify(accepted)})`,
    )
  },
)

t.test('outputStrictKey: equal for outputs compare_output_strict accepts, memoized per output', async (t) => {
  const sim = new Similarity()
  let accepted = 0
  // Often y is x copied, with its text/plain possibly replaced (pointer-only or real changes).
  const outputPair = fc.tuple(output, output, fc.nat(2), mimeText).map(([x, z, k, m]) => {
    if (k === 0) return [x, z] as const
    const y = structuredClone(x)
    if (k === 2 && y['data'] && typeof y['data'] === 'object' && !Array.isArray(y['data'])) y['data']['text/plain'] = m
    return [x, y] as const
  })
  fc.assert(
    fc.property(outputPair, ([x, y]) => {
      if (!sim.outputStrict(x, y)) return true
      accepted++
      return outputStrictKey(x) === outputStrictKey(y)
    }),
    runs(t, 3000),
  )
  t.ok(accepted > 50, `${accepted} accepted pairs`)
  // Pointer-only differences in text/plain are accepted by the predicate, so the key ignores mime values.
  const a = {
    output_type: 'execute_result',
    data: { 'text/plain': '<object at 0x7f00aa11bb22>' },
    metadata: {},
    execution_count: 1,
  }
  const b = { ...a, data: { 'text/plain': '<object at 0x7f00cc33dd44>' } }
  t.ok(sim.outputStrict(a, b))
  t.equal(outputStrictKey(a), outputStrictKey(b))
  t.not(outputStrictKey(a), outputStrictKey({ ...a, execution_count: 2 }), 'execution_count is compared strictly')
})

t.test(
  'mime data that the lengths alone rule out: unequal is dissimilar without the base64 test, as nbdime decides it',
  async (t) => {
    const sim = new Similarity()
    // The path nbdime takes (_compare_mimedata_strings): base64 → equal or not; text → the capped comparison.
    const slow = (x: string, y: string, strict: boolean) =>
      isBase64(x) ? x === y : strict ? sim.textStrict(x, y, 10_000) : sim.textApproximate(x, y, 10_000)
    const long = fc
      .tuple(fc.constantFrom('QUJD', 'ab cd\n', 'é', '\ud83d\ude00', '=', 'x'), fc.integer({ min: 4_990, max: 20_010 }))
      .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n))
    fc.assert(
      fc.property(long, long, fc.boolean(), fc.nat(30), (x, y, strict, cut) => {
        const y2 = cut ? y.slice(0, y.length - cut) + 'Z'.repeat(cut) : y
        for (const [a, b] of [
          [x, y2],
          [x + x, y2 + y2],
          [x + x, x + x],
        ] as const) {
          if (sim.mimebundle({ 'image/png': a }, { 'image/png': b }, strict) !== slow(a, b, strict)) return false
        }
        return true
      }),
      runs(t, 25),
    )
    // At the cap: 9,999 to 10,001 code points, one character apart (text, not base64: the capped test decides).
    const text = (n: number) =>
      Array.from({ length: n }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join('')
    for (const n of [9_999, 10_000, 10_001])
      for (const m of [n - 1, n, n + 1]) {
        const x = text(n)
        const y = `${text(m).slice(0, m >> 1)} ${text(m).slice((m >> 1) + 1)}`
        for (const strict of [true, false])
          t.equal(sim.mimebundle({ 'image/png': x }, { 'image/png': y }, strict), slow(x, y, strict), `${n}, ${m}`)
      }
    // Short ones too: empty, under 10 code points, at the ratios' edges (the lengths' own cut-offs).
    const b64 = fc.constantFrom('', 'QUJD', 'QUJDRA==', 'QUJDREVG'.repeat(9), 'QUJDREVG'.repeat(9).slice(1))
    fc.assert(
      fc.property(fc.oneof(pair, fc.tuple(b64, b64)), fc.boolean(), ([x, y], strict) => {
        const fresh = new Similarity()
        return fresh.mimebundle({ 'image/png': x }, { 'image/png': y }, strict) === slow(x, y, strict)
      }),
      runs(t, 3000),
    )
  },
)

t.test('cellColumns lists every pair cellMayMatch lets through, in any rectangle', async (t) => {
  // Source lengths around the ratios' edges (0, under 10, near 0.7 and 0.95 of each other).
  const side = fc.array(
    fc.record({
      type: fc.constantFrom('"code"', '"markdown"', '\u0000absent'),
      len: fc.oneof(
        fc.nat(12),
        fc.integer({ min: 0, max: 300 }),
        fc.constantFrom(19, 20, 21, 40, 41, 100, 105, 106, 185, 186),
      ),
      outputs: fc.integer({ min: -1, max: 2 }),
    }),
    { maxLength: 12 },
  )
  const facts = (cells: { type: string; len: number; outputs: number }[]): CellFacts => ({
    type: cells.map((c) => c.type),
    sourceLength: Int32Array.from(cells, (c) => c.len),
    outputCount: Int32Array.from(cells, (c) => c.outputs),
    outputsStrictKey: Float64Array.from(cells, (c) => c.outputs),
  })
  let through = 0
  fc.assert(
    fc.property(side, side, fc.nat(), fc.nat(), fc.nat(), (ca, cb, p, q, r) => {
      const fa = facts(ca)
      const fb = facts(cb)
      const i0 = p % (ca.length + 1)
      const j0 = q % (cb.length + 1)
      const j1 = j0 + (r % (cb.length - j0 + 1))
      for (const level of ['approximate', 'moderate', 'strict'] as const) {
        const columns = cellColumns(level, fa, fb)(i0, j0, j1)
        for (let i = i0; i < ca.length; i++) {
          const listed = new Set(columns(i - i0))
          for (let j = j0; j < j1; j++) {
            if (!cellMayMatch(level, fa, i, fb, j, true)) continue
            through++
            if (!listed.has(j - j0)) return false
          }
        }
      }
      return true
    }),
    runs(t, 3000),
  )
  t.ok(through > 1_000, `pairs let through: ${through}`)
})
