/**
 * The fast LCS must give exactly the alignment of nbdime's brute force
 * (nbdime/diffing/seq_bruteforce.py), ported literally below as the reference.
 */
import t from 'tap'
import {
  computeSnakesMultilevel,
  pairsFromPredicate,
  predicateSnakes,
  pairsFromTokens,
  lcsIndices,
  snakesFromPairs,
  tokenSnakes,
  type Snake,
} from '../../../src/notebooks/core/sequence.js'

function bruteforceLcs(A: number[], B: number[], compare: (x: number, y: number) => boolean): [number[], number[]] {
  const N = A.length
  const M = B.length
  const G = A.map((a) => B.map((b) => compare(a, b)))
  const R = Array.from({ length: N + 1 }, () => new Array<number>(M + 1).fill(0))
  for (let x = 1; x <= N; x++) {
    for (let y = 1; y <= M; y++) {
      R[x]![y] = G[x - 1]![y - 1] ? R[x - 1]![y - 1]! + 1 : Math.max(R[x - 1]![y]!, R[x]![y - 1]!)
    }
  }
  const ai: number[] = []
  const bj: number[] = []
  let x = N
  let y = M
  while (x > 0 && y > 0) {
    if (G[x - 1]![y - 1]) {
      x--
      y--
      ai.push(x)
      bj.push(y)
    } else if (R[x]![y] === R[x - 1]![y]) x--
    else y--
  }
  return [ai.reverse(), bj.reverse()]
}

function rng(seed: number): () => number {
  let s = seed
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    return s / 2 ** 32
  }
}

t.test('equality LCS matches the brute force on random sequences with many repeats', async (t) => {
  const r = rng(7)
  let checked = 0
  for (let k = 0; k < 3000; k++) {
    const alphabet = 1 + Math.floor(r() * 6)
    const A = Array.from({ length: Math.floor(r() * 14) }, () => Math.floor(r() * alphabet))
    const B = Array.from({ length: Math.floor(r() * 14) }, () => Math.floor(r() * alphabet))
    const { ai, bj } = lcsIndices(pairsFromTokens(A, B))
    const [ea, eb] = bruteforceLcs(A, B, (x, y) => x === y)
    if (JSON.stringify([ai, bj]) !== JSON.stringify([ea, eb])) {
      t.fail(
        `A=${JSON.stringify(A)} B=${JSON.stringify(B)}: got ${JSON.stringify([ai, bj])}, want ${JSON.stringify([ea, eb])}`,
      )
      return
    }
    checked++
  }
  t.equal(checked, 3000)
})

t.test('non-transitive predicates (similarity) match the brute force too', async (t) => {
  const r = rng(11)
  for (let k = 0; k < 2000; k++) {
    const A = Array.from({ length: Math.floor(r() * 12) }, () => Math.floor(r() * 20))
    const B = Array.from({ length: Math.floor(r() * 12) }, () => Math.floor(r() * 20))
    const near = (x: number, y: number) => Math.abs(x - y) <= 2
    const { ai, bj } = lcsIndices(pairsFromPredicate(A.length, B.length, (i, j) => near(A[i]!, B[j]!)))
    const want = bruteforceLcs(A, B, near)
    if (JSON.stringify([ai, bj]) !== JSON.stringify(want)) {
      t.fail(`A=${JSON.stringify(A)} B=${JSON.stringify(B)}`)
      return
    }
  }
  t.pass('2000 random predicate grids agree')
})

t.test('snakes merge consecutive diagonal pairs', async (t) => {
  t.same(snakesFromPairs(pairsFromTokens([1, 2, 3, 9, 4], [1, 2, 3, 4])), [
    [0, 0, 3],
    [4, 3, 1],
  ])
  // nbdime prefers the LAST of equal candidates when backtracking: [x] vs [x, x] aligns to B[1].
  t.same(snakesFromPairs(pairsFromTokens([5], [5, 5])), [[0, 1, 1]])
})

t.test('multilevel: weaker levels only fill the gaps of stronger ones', async (t) => {
  // Level 1 (strict): equal tokens. Level 0 (weak): same parity.
  const A = [10, 3, 20, 7]
  const B = [10, 5, 21, 20, 9]
  const weak = (i0: number, j0: number, i1: number, j1: number): Snake[] =>
    snakesFromPairs(
      pairsFromPredicate(i1 - i0, j1 - j0, (i, j) => A[i + i0]! % 2 === B[j + j0]! % 2),
      i0,
      j0,
    )
  const snakes = computeSnakesMultilevel([weak, tokenSnakes(A, B)], [0, 0, A.length, B.length])
  // 10~10 and 20~20 by the strict level. In the gap, 3 could pair with 5 or 21: the backtrack
  // from the gap's end takes 21 (the last candidate), and merges with 20~20. 7~9 after the last
  // strict snake is appended unmerged, as nbdime's `newsnakes += ...` does (no effect on diffs).
  t.same(snakes, [
    [0, 0, 1],
    [1, 2, 2],
    [3, 4, 1],
  ])
})

t.test(
  'huge rectangles: anchors come from unique tokens, and a token collision cannot align unlike items',
  async (t) => {
    const a = ['p', 'q', 'r', 's', 'x1', 't']
    const b = ['p', 'q', 'r', 's', 'x2', 't']
    const equal = (i: number, j: number) => a[i] === b[j]
    // x1 and x2 share a token (a hash collision); every other item's token is its text.
    const token = (side: 0 | 1, k: number) => {
      const s = (side === 0 ? a : b)[k] as string
      return s.startsWith('x') ? 1000 : s.charCodeAt(0)
    }
    const snakes = predicateSnakes(equal, token, 1)(0, 0, a.length, b.length)
    t.same(
      snakes,
      [
        [0, 0, 4],
        [5, 5, 1],
      ],
      'x1 and x2 stay unaligned; the rest is one run and t',
    )
  },
)
