/**
 * The difflib port against CPython 3.11's difflib. Expected values were obtained by running
 *   python3 -c 'import difflib; s = difflib.SequenceMatcher(None, a, b, autojunk=False);
 *               print(s.ratio(), s.quick_ratio(), s.real_quick_ratio(), s.get_opcodes(),
 *                     s.get_matching_blocks())'
 * on Python 3.11.7 for each (a, b) below, and pasted here.
 */
import t from 'tap'
import { SequenceMatcher } from '../../../src/notebooks/core/difflib.js'
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
