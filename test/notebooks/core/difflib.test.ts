/**
 * The difflib port against CPython 3.11's difflib. Expected values were obtained by running
 *   python3 -c 'import difflib; s = difflib.SequenceMatcher(None, a, b, autojunk=False);
 *               print(s.ratio(), s.quick_ratio(), s.real_quick_ratio(), s.get_opcodes(),
 *                     s.get_matching_blocks())'
 * on Python 3.11.7 for each (a, b) below, and pasted here.
 */
import t from 'tap'
import { RatioSearch, SequenceMatcher, buildB2j } from '../../../src/notebooks/core/difflib.js'
import { codePoints } from '../../../src/notebooks/core/text.js'

type Op = [string, number, number, number, number]
interface Case {
  a: string
  b: string
  ratio: number
  quick: number
  realQuick: number
  opcodes: Op[]
  blocks: [number, number, number][]
}

const cases: Case[] = [
  {
    a: 'abxcd',
    b: 'abcd',
    ratio: 0.8888888888888888,
    quick: 0.8888888888888888,
    realQuick: 0.8888888888888888,
    opcodes: [
      ['equal', 0, 2, 0, 2],
      ['delete', 2, 3, 2, 2],
      ['equal', 3, 5, 2, 4],
    ],
    blocks: [
      [0, 0, 2],
      [3, 2, 2],
      [5, 4, 0],
    ],
  },
  {
    a: 'private Thread currentThread;',
    b: 'private volatile Thread currentThread;',
    ratio: 0.8656716417910447,
    quick: 0.8656716417910447,
    realQuick: 0.8656716417910447,
    opcodes: [
      ['equal', 0, 6, 0, 6],
      ['insert', 6, 6, 6, 15],
      ['equal', 6, 29, 15, 38],
    ],
    blocks: [
      [0, 0, 6],
      [6, 15, 23],
      [29, 38, 0],
    ],
  },
  {
    a: 'qabxcd',
    b: 'abycdf',
    ratio: 0.6666666666666666,
    quick: 0.6666666666666666,
    realQuick: 1.0,
    opcodes: [
      ['delete', 0, 1, 0, 0],
      ['equal', 1, 3, 0, 2],
      ['replace', 3, 4, 2, 3],
      ['equal', 4, 6, 3, 5],
      ['insert', 6, 6, 5, 6],
    ],
    blocks: [
      [1, 0, 2],
      [4, 3, 2],
      [6, 6, 0],
    ],
  },
  {
    a: ' abcd',
    b: 'abcd abcd',
    ratio: 0.7142857142857143,
    quick: 0.7142857142857143,
    realQuick: 0.7142857142857143,
    opcodes: [
      ['insert', 0, 0, 0, 4],
      ['equal', 0, 5, 4, 9],
    ],
    blocks: [
      [0, 4, 5],
      [5, 9, 0],
    ],
  },
  {
    a: 'def foe(x):',
    b: 'def foo(x):',
    ratio: 0.9090909090909091,
    quick: 0.9090909090909091,
    realQuick: 1.0,
    opcodes: [
      ['equal', 0, 6, 0, 6],
      ['replace', 6, 7, 6, 7],
      ['equal', 7, 11, 7, 11],
    ],
    blocks: [
      [0, 0, 6],
      [7, 7, 4],
      [11, 11, 0],
    ],
  },
  // Astral-plane characters count as one element each, as in Python.
  {
    a: 'a😀b🎉c',
    b: 'a😀X🎉cc',
    ratio: 0.7272727272727273,
    quick: 0.7272727272727273,
    realQuick: 0.9090909090909091,
    opcodes: [
      ['equal', 0, 2, 0, 2],
      ['replace', 2, 3, 2, 3],
      ['equal', 3, 5, 3, 5],
      ['insert', 5, 5, 5, 6],
    ],
    blocks: [
      [0, 0, 2],
      [3, 3, 2],
      [5, 6, 0],
    ],
  },
  { a: '', b: 'abc', ratio: 0.0, quick: 0.0, realQuick: 0.0, opcodes: [['insert', 0, 0, 0, 3]], blocks: [[0, 3, 0]] },
  { a: 'abc', b: '', ratio: 0.0, quick: 0.0, realQuick: 0.0, opcodes: [['delete', 0, 3, 0, 0]], blocks: [[3, 0, 0]] },
  {
    a: 'the quick brown fox jumps over the lazy dog',
    b: 'the quack brown fax jumped over a lazy dog!',
    ratio: 0.8604651162790697,
    quick: 0.8837209302325582,
    realQuick: 1.0,
    opcodes: [
      ['equal', 0, 6, 0, 6],
      ['replace', 6, 7, 6, 7],
      ['equal', 7, 17, 7, 17],
      ['replace', 17, 18, 17, 18],
      ['equal', 18, 24, 18, 24],
      ['replace', 24, 25, 24, 26],
      ['equal', 25, 31, 26, 32],
      ['replace', 31, 34, 32, 33],
      ['equal', 34, 43, 33, 42],
      ['insert', 43, 43, 42, 43],
    ],
    blocks: [
      [0, 0, 6],
      [7, 7, 10],
      [18, 18, 6],
      [25, 26, 6],
      [34, 33, 9],
      [43, 43, 0],
    ],
  },
]

for (const c of cases) {
  t.test(JSON.stringify([c.a, c.b]), async (t) => {
    const s = new SequenceMatcher(codePoints(c.a), codePoints(c.b))
    t.equal(s.ratio(), c.ratio, 'ratio')
    t.equal(s.quickRatio(), c.quick, 'quick_ratio')
    t.equal(s.realQuickRatio(), c.realQuick, 'real_quick_ratio')
    t.same(s.getOpcodes(), c.opcodes, 'get_opcodes')
    t.same(
      s.getMatchingBlocks().map((m) => [m.a, m.b, m.size]),
      c.blocks,
      'get_matching_blocks',
    )
  })
}

t.test('find_longest_match prefers the earliest match in a', async (t) => {
  // Python: difflib.SequenceMatcher(None, "abcd", "bcd").find_longest_match(0, 4, 0, 3)
  //         → Match(a=1, b=0, size=3)
  const s = new SequenceMatcher(codePoints('abcd'), codePoints('bcd'))
  t.same(s.findLongestMatch(0, 4, 0, 3), { a: 1, b: 0, size: 3 })
})

t.test('autojunk drops popular elements of b (len >= 200) like CPython', async (t) => {
  // Python: a = "x"*10 + "ab"*150 + "y"; b = "ab"*150 + "z"*60
  //   autojunk=True  → ratio 0.0,                blocks [(311, 360, 0)]
  //   autojunk=False → ratio 0.8941877794336811, blocks [(10, 0, 300), (311, 360, 0)]
  const a = codePoints('x'.repeat(10) + 'ab'.repeat(150) + 'y')
  const b = codePoints('ab'.repeat(150) + 'z'.repeat(60))
  const junk = new SequenceMatcher(a, b, { autojunk: true })
  t.equal(junk.ratio(), 0.0)
  t.same(
    junk.getMatchingBlocks().map((m) => [m.a, m.b, m.size]),
    [[311, 360, 0]],
  )
  const plain = new SequenceMatcher(a, b, { autojunk: false })
  t.equal(plain.ratio(), 0.8941877794336811)
  t.same(
    plain.getMatchingBlocks().map((m) => [m.a, m.b, m.size]),
    [
      [10, 0, 300],
      [311, 360, 0],
    ],
  )
})

t.test('find_longest_match on long similar sequences (rows a known run apart) like CPython', async (t) => {
  // Python 3.11.7, SequenceMatcher(None, a, b, autojunk=False) for each pair below.
  const row = '    <td>0.1</td>\n'
  const a = row.repeat(6) + '  <tr>\n    <th>891</th>\n' + row.repeat(6)
  const b = row.repeat(6) + '  <tr>\n    <th>890</th>\n' + row.repeat(5) + '    <td>0.2</td>\n'
  const s = new SequenceMatcher(codePoints(a), codePoints(b))
  t.same(s.findLongestMatch(0, a.length, 0, b.length), { a: 0, b: 0, size: 119 })
  t.same(s.findLongestMatch(10, a.length, 3, b.length), { a: 10, b: 10, size: 109 })
  t.same(
    s.getMatchingBlocks().map((m) => [m.a, m.b, m.size]),
    [
      [0, 0, 119],
      [120, 120, 101],
      [222, 222, 6],
      [228, 228, 0],
    ],
  )
  t.equal(s.ratio(), 0.9912280701754386)
  // Row 15 (D) ends a run from row 7 at b[17] before the longest run's first row at b[23].
  const a4 = '01234567' + 'wxyz' + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabc' + '!!!'
  const b4 = '01234567' + '#' + '7wxyzABCD' + '%%' + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabc' + '&&&&&'
  t.same(new SequenceMatcher(codePoints(a4), codePoints(b4)).findLongestMatch(0, 44, 0, 54), { a: 12, b: 20, size: 29 })
  // No run at the corners; the same run twice in b: the earliest wins.
  const p = 'the quick brown fox jumps over the lazy dog, then naps'
  const a2 = codePoints('x'.repeat(40) + p + 'y'.repeat(40))
  const b2 = codePoints('z'.repeat(20) + p + 'w'.repeat(10) + p + 'v'.repeat(10))
  const s2 = new SequenceMatcher(a2, b2)
  t.same(s2.findLongestMatch(0, a2.length, 0, b2.length), { a: 40, b: 20, size: 54 })
  t.same(s2.findLongestMatch(0, a2.length, 30, b2.length), { a: 40, b: 84, size: 54 })
  // Runs shorter than the rows first tried (12), none at the corners.
  const q = 'abcdefghijkl'
  const a3 = codePoints('x'.repeat(30) + q + 'y'.repeat(30) + [...q].reverse().join('') + 'x'.repeat(30))
  const b3 = codePoints('z'.repeat(50) + q + 'w'.repeat(20) + [...q].reverse().join('') + 'v'.repeat(5))
  t.same(
    new SequenceMatcher(a3, b3).getMatchingBlocks().map((m) => [m.a, m.b, m.size]),
    [
      [30, 50, 12],
      [72, 82, 12],
      [114, 99, 0],
    ],
  )
})

/** CPython's find_longest_match without junk, row by row (a dict per row), as the reference. */
function referenceLongestMatch(a: number[], b: number[], alo: number, ahi: number, blo: number, bhi: number) {
  const b2j = new Map<number, number[]>()
  b.forEach((e, j) => b2j.set(e, [...(b2j.get(e) ?? []), j]))
  let [besti, bestj, bestsize] = [alo, blo, 0]
  let j2len = new Map<number, number>()
  for (let i = alo; i < ahi; i++) {
    const next = new Map<number, number>()
    for (const j of b2j.get(a[i] as number) ?? []) {
      if (j < blo) continue
      if (j >= bhi) break
      const k = (j2len.get(j - 1) ?? 0) + 1
      next.set(j, k)
      if (k > bestsize) [besti, bestj, bestsize] = [i - k + 1, j - k + 1, k]
    }
    j2len = next
  }
  return { a: besti, b: bestj, size: bestsize }
}

t.test('find_longest_match equals the row-by-row search on edited copies and unlike sequences', async (t) => {
  let seed = 12345
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed % n
  }
  let differ = 0
  for (let it = 0; it < 3000; it++) {
    const alphabet = 1 + rnd(rnd(2) ? 4 : 40)
    const a = Array.from({ length: rnd(300) }, () => rnd(alphabet))
    let b: number[]
    if (rnd(4) > 0) {
      // An edited copy (long runs, as in similar cells), sometimes shifted so that no corner has one.
      b = a.slice(rnd(2) ? rnd(20) : 0)
      for (let e = rnd(8); e > 0; e--) {
        const fill = Array.from({ length: rnd(20) }, () => rnd(alphabet))
        b.splice(rnd(b.length + 1), rnd(3) === 0 ? rnd(25) : 1, ...fill)
      }
    } else {
      b = Array.from({ length: rnd(300) }, () => rnd(alphabet))
    }
    const s = new SequenceMatcher(a, b)
    const alo = rnd(4) === 0 ? rnd(a.length + 1) : 0
    const blo = rnd(4) === 0 ? rnd(b.length + 1) : 0
    const ahi = alo + rnd(a.length - alo + 1)
    const bhi = blo + rnd(b.length - blo + 1)
    for (const [l1, h1, l2, h2] of [
      [0, a.length, 0, b.length],
      [alo, ahi, blo, bhi],
    ] as const) {
      const got = s.findLongestMatch(l1, h1, l2, h2)
      const want = referenceLongestMatch(a, b, l1, h1, l2, h2)
      if (got.a !== want.a || got.b !== want.b || got.size !== want.size) {
        differ++
        if (differ <= 3) t.same(got, want, JSON.stringify({ a, b, region: [l1, h1, l2, h2] }))
      }
    }
  }
  t.equal(differ, 0, 'pairs whose longest match differs from the reference')
})

t.test('RatioSearch with a cap computed after the first match answers as the full ratio', async (t) => {
  const row = '    <td>0.1</td>\n'
  const a = codePoints(row.repeat(12) + 'x'.repeat(40))
  const b = codePoints(row.repeat(12) + 'y'.repeat(40))
  // Python 3.11.7: ratio 0.8360655737704918, blocks [(0, 0, 204), (244, 244, 0)]
  const full = new SequenceMatcher(a, b).ratio()
  t.equal(full, 0.8360655737704918)
  let asked = 0
  const lcs = () => (asked++, 204)
  // The first match (204) settles 0.7 alone: the cap is not computed.
  t.equal(new RatioSearch(a, b, lcs).above(0.7, buildB2j(b)), true)
  t.equal(asked, 0)
  // 0.95 needs 232 matches: after the first match the cap (204) says no.
  const s = new RatioSearch(a, b, lcs)
  t.equal(s.above(0.95, buildB2j(b)), false)
  t.equal(asked, 1)
  t.equal(s.above(0.8, buildB2j(b)), full > 0.8)
  t.equal(asked, 1)
})
