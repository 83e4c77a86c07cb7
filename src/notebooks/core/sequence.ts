/**
 * Sequence alignment with exactly the result of nbdime's brute-force LCS
 * (`nbdime/diffing/seq_bruteforce.py`), but without its N×M grids.
 *
 * nbdime fills G[i][j] = compare(A[i], B[j]) and the LCS-length table R, then backtracks from
 * (N, M): diagonal if G[x-1][y-1], else up if R[x-1][y] == R[x][y], else left. The backtrack only
 * depends on the set of matching pairs, so we compute that set (hashing for equality
 * predicates; explicit evaluation for similarity predicates), the chain length f(p) of every pair
 * (Hunt–Szymanski thresholds, O(P log N)), and replay the backtrack in O(L log P):
 *
 *   at (x, y) with R[x][y] = L, let r0 = the smallest row of a pair with f = L and column < y.
 *   The brute force walks up column y-1 from row x-1 down to r0 taking the first match, and
 *   otherwise walks left along row r0 to its last match before column y-1.
 *
 * Pairs with equal f form an antichain (rows ascending ⇒ columns non-increasing), so r0 is a
 * binary search. test/notebooks/core/sequence.test.ts checks this against a port of the brute force.
 */

/** A run of `n` aligned items: A[i..i+n) ~ B[j..j+n). */
export type Snake = [i: number, j: number, n: number]

/**
 * How many pairs one alignment may still look at. Both the brute-force grids (n·m predicate
 * tests) and the LCS over equal pairs grow with the product of the sides; a caller that must stay
 * bounded passes a budget and gets `PairBudgetSpent` instead of minutes of work.
 */
export class PairBudget {
  tests: number
  equal: number

  constructor(
    /** Similarity tests (predicate calls) left. */
    tests: number,
    /** Pairs of equal items left (cheap each, but every one is held in memory by the LCS). */
    equal: number,
  ) {
    this.tests = tests
    this.equal = equal
  }

  takeTests(n: number): void {
    if (n > this.tests) throw new PairBudgetSpent()
    this.tests -= n
  }

  takeEqual(n: number): void {
    if (n > this.equal) throw new PairBudgetSpent()
    this.equal -= n
  }
}

export class PairBudgetSpent extends Error {
  constructor() {
    super('alignment budget spent')
  }
}

/** Matching pairs in CSR form: row i's columns are `cols[rowStart[i]..rowStart[i+1])`, ascending. */
export interface Pairs {
  n: number
  m: number
  rowStart: Int32Array
  cols: Int32Array
}

function lowerBound(arr: Int32Array, len: number, v: number): number {
  let lo = 0
  let hi = len
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((arr[mid] as number) < v) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** CSR grouping: `start` offsets per key, and each key's values in the order `visit` emits them. */
function groupInto(
  groups: number,
  count: number,
  visit: (emit: (key: number, value: number) => void) => void,
): { start: Int32Array; values: Int32Array } {
  const start = new Int32Array(groups + 1)
  visit((key) => {
    start[key + 1] = (start[key + 1] as number) + 1
  })
  for (let k = 0; k < groups; k++) start[k + 1] = (start[k + 1] as number) + (start[k] as number)
  const fill = start.slice(0, groups)
  const values = new Int32Array(count)
  visit((key, value) => {
    const at = fill[key] as number
    fill[key] = at + 1
    values[at] = value
  })
  return { start, values }
}

/** LCS index pairs as nbdime's `bruteforce_lcs_indices` would return them (ascending). */
export function lcsIndices(p: Pairs): { ai: number[]; bj: number[] } {
  const { n, m, rowStart, cols } = p
  const count = cols.length
  const ai: number[] = []
  const bj: number[] = []
  if (count === 0) return { ai, bj }
  // Flat typed arrays throughout: 100,000 aligned cells must not mean 100,000 small arrays.
  const pairRow = new Int32Array(count)
  const level = new Int32Array(count)
  const thresholds = new Int32Array(Math.min(n, m) + 1)
  let levels = 0
  for (let i = 0; i < n; i++) {
    const s = rowStart[i] as number
    const e = rowStart[i + 1] as number
    for (let t = e - 1; t >= s; t--) {
      const j = cols[t] as number
      pairRow[t] = i
      const k = lowerBound(thresholds, levels, j)
      thresholds[k] = j
      if (k === levels) levels++
      level[t] = k
    }
  }
  // Buckets: pairs per level, in the order visited above.
  const { start: bucketStart, values: bucketPairs } = groupInto(levels, count, (emit) => {
    for (let i = 0; i < n; i++)
      for (let t = (rowStart[i + 1] as number) - 1; t >= (rowStart[i] as number); t--) emit(level[t] as number, t)
  })
  // Column index: rows ascending per column.
  const { start: colStart, values: colRows } = groupInto(m, count, (emit) => {
    for (let t = 0; t < count; t++) emit(cols[t] as number, pairRow[t] as number)
  })

  let x = n
  let y = m
  for (let L = levels; L > 0; L--) {
    const b0 = bucketStart[L - 1] as number
    // First pair in the bucket with column <= y-1 (columns are non-increasing along the bucket).
    let lo = b0
    let hi = bucketStart[L] as number
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((cols[bucketPairs[mid] as number] as number) <= y - 1) hi = mid
      else lo = mid + 1
    }
    const r0 = pairRow[bucketPairs[lo] as number] as number
    // Column y-1: largest row <= x-1 with a match.
    let mi = -1
    let mj = -1
    {
      let clo = colStart[y - 1] as number
      let chi = colStart[y] as number
      while (clo < chi) {
        const mid = (clo + chi) >>> 1
        if ((colRows[mid] as number) <= x - 1) clo = mid + 1
        else chi = mid
      }
      if (clo > (colStart[y - 1] as number)) {
        const r = colRows[clo - 1] as number
        if (r >= r0) {
          mi = r
          mj = y - 1
        }
      }
    }
    if (mi < 0) {
      // Row r0: largest column <= y-2.
      let rlo = rowStart[r0] as number
      let rhi = rowStart[r0 + 1] as number
      while (rlo < rhi) {
        const mid = (rlo + rhi) >>> 1
        if ((cols[mid] as number) <= y - 2) rlo = mid + 1
        else rhi = mid
      }
      mi = r0
      mj = cols[rlo - 1] as number
    }
    ai.push(mi)
    bj.push(mj)
    x = mi
    y = mj
  }
  ai.reverse()
  bj.reverse()
  return { ai, bj }
}

/** `bruteforce_compute_snakes`: LCS pairs merged into diagonal runs, offset by (i0, j0). */
export function snakesFromPairs(p: Pairs, i0 = 0, j0 = 0): Snake[] {
  const { ai, bj } = lcsIndices(p)
  const snakes: Snake[] = []
  let last: Snake | undefined
  for (let k = 0; k < ai.length; k++) {
    const i = (ai[k] as number) + i0
    const j = (bj[k] as number) + j0
    if (last && last[0] + last[2] === i && last[1] + last[2] === j) last[2]++
    else {
      last = [i, j, 1]
      snakes.push(last)
    }
  }
  return snakes
}

/** Pairs where tokens are equal. Negative tokens match nothing. */
export function pairsFromTokens(a: ArrayLike<number>, b: ArrayLike<number>, budget?: PairBudget): Pairs {
  const n = a.length
  const m = b.length
  // B's positions sorted by (token, position), searched per item of A: no map of lists.
  let valid = 0
  for (let j = 0; j < m; j++) if ((b[j] as number) >= 0) valid++
  const order = new Int32Array(valid)
  for (let j = 0, k = 0; j < m; j++) if ((b[j] as number) >= 0) order[k++] = j
  order.sort((x, y) => (b[x] as number) - (b[y] as number) || x - y)
  const sorted = Float64Array.from(order, (j) => b[j] as number)
  const first = (t: number) => {
    let lo = 0
    let hi = valid
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((sorted[mid] as number) < t) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  const from = new Int32Array(n)
  const rowStart = new Int32Array(n + 1)
  let total = 0
  for (let i = 0; i < n; i++) {
    const t = a[i] as number
    let k = t < 0 ? valid : first(t)
    from[i] = k
    while (k < valid && sorted[k] === t) k++
    total += k - (from[i] as number)
    rowStart[i + 1] = total
  }
  budget?.takeEqual(total)
  const cols = new Int32Array(total)
  for (let i = 0, c = 0; i < n; i++) {
    for (let k = from[i] as number, e = k + (rowStart[i + 1] as number) - (rowStart[i] as number); k < e; k++)
      cols[c++] = order[k] as number
  }
  return { n, m, rowStart, cols }
}

/**
 * Pairs where `compare(i, j)` holds, evaluated on the whole n×m grid like nbdime does; with
 * `columns`, only on the columns it gives for each row (a superset of the row's matches, in any
 * order), which is the same set of pairs.
 */
export function pairsFromPredicate(
  n: number,
  m: number,
  compare: (i: number, j: number) => boolean,
  columns?: (i: number) => number[],
): Pairs {
  const rowStart = new Int32Array(n + 1)
  const cols: number[] = []
  for (let i = 0; i < n; i++) {
    if (columns) {
      for (const j of columns(i).sort((x, y) => x - y)) if (compare(i, j)) cols.push(j)
    } else {
      for (let j = 0; j < m; j++) if (compare(i, j)) cols.push(j)
    }
    rowStart[i + 1] = cols.length
  }
  return { n, m, rowStart, cols: Int32Array.from(cols) }
}

/**
 * For a rectangle (rows from i0, columns [j0, j1)): the columns where a predicate may hold in each
 * row, relative to (i0, j0), a superset of its matches in any order (pairsFromPredicate).
 */
export type ColumnsOf = (i0: number, j0: number, j1: number) => (i: number) => number[]

/** A level of the multilevel algorithm: snakes (absolute indices) inside the rectangle. */
export type LevelSnakes = (i0: number, j0: number, i1: number, j1: number) => Snake[]

/**
 * `compute_snakes_multilevel`: the strictest level (last) over the whole range, then each gap
 * between its snakes with the next weaker level; contiguous snakes are merged.
 */
export function computeSnakesMultilevel(
  levels: LevelSnakes[],
  rect: [number, number, number, number],
  level = levels.length - 1,
): Snake[] {
  let [i0, j0] = rect
  const [, , i1, j1] = rect
  const snakes = (levels[level] as LevelSnakes)(i0, j0, i1, j1)
  if (level === 0) return snakes
  const out: Snake[] = [[0, 0, 0]]
  for (const snake of [...snakes, [i1, j1, 0] as Snake]) {
    const [i, j, n] = snake
    if (i > i0 && j > j0) out.push(...computeSnakesMultilevel(levels, [i0, j0, i, j], level - 1))
    if (n > 0) {
      const last = out[out.length - 1] as Snake
      if (last[0] + last[2] === i && last[1] + last[2] === j) last[2] += n
      else out.push([i, j, n])
    }
    i0 = i + n
    j0 = j + n
  }
  if ((out[0] as Snake)[2] === 0) out.shift()
  return out
}

/**
 * Snakes for one similarity level. Up to `limit` candidate pairs the predicate is evaluated on
 * the whole rectangle (exactly nbdime's result). Above it — far beyond real notebooks, where
 * nbdime itself takes minutes — items that are identical (`exactToken`, which must imply the
 * predicate) and unique on both sides are aligned first, and the predicate is then evaluated in
 * the gaps between those anchors. This is the one deliberate difference from nbdime: it can only
 * matter when the brute force would skip an identical, unique item to gain a longer alignment.
 */
export function predicateSnakes(
  compare: (i: number, j: number) => boolean,
  exactToken: ((side: 0 | 1, index: number) => number) | undefined,
  limit: number,
  budget?: PairBudget,
  columnsOf?: ColumnsOf,
): LevelSnakes {
  const run = (i0: number, j0: number, i1: number, j1: number, anchored: boolean): Snake[] => {
    const n = i1 - i0
    const m = j1 - j0
    if (n <= 0 || m <= 0) return []
    if (n * m <= limit || !exactToken || anchored) {
      budget?.takeTests(n * m)
      return snakesFromPairs(
        pairsFromPredicate(n, m, (i, j) => compare(i + i0, j + j0), columnsOf?.(i0, j0, j1)),
        i0,
        j0,
      )
    }
    const ta = uniqueTokens(n, (k) => exactToken(0, k + i0))
    const tb = uniqueTokens(m, (k) => exactToken(1, k + j0))
    // Equal tokens are identical content only up to hash collisions: keep the anchors the level's
    // predicate confirms.
    const anchors = mergeSnakes(
      snakesFromPairs(pairsFromTokens(ta, tb), i0, j0).flatMap(([i, j, len]) =>
        Array.from({ length: len }, (_, k) => [i + k, j + k, 1] as Snake).filter(([x, y]) => compare(x, y)),
      ),
    )
    if (anchors.length === 0) return run(i0, j0, i1, j1, true)
    const out: Snake[] = []
    let x = i0
    let y = j0
    for (const s of [...anchors, [i1, j1, 0] as Snake]) {
      for (const t of run(x, y, s[0], s[1], false)) out.push(t)
      if (s[2] > 0) out.push(s)
      x = s[0] + s[2]
      y = s[1] + s[2]
    }
    return mergeSnakes(out)
  }
  return (i0, j0, i1, j1) => run(i0, j0, i1, j1, false)
}

function uniqueTokens(n: number, token: (k: number) => number): Float64Array {
  // Float64: tokens may be 53-bit hashes.
  const t = new Float64Array(n)
  const seen = new Map<number, number>()
  for (let k = 0; k < n; k++) {
    const v = token(k)
    t[k] = v
    seen.set(v, (seen.get(v) ?? 0) + 1)
  }
  for (let k = 0; k < n; k++) if (seen.get(t[k] as number) !== 1) t[k] = -1
  return t
}

/** Snakes for an equality level, from per-item tokens (negative: matches nothing). */
export function tokenSnakes(ta: ArrayLike<number>, tb: ArrayLike<number>, budget?: PairBudget): LevelSnakes {
  return (i0, j0, i1, j1) => {
    if (i1 <= i0 || j1 <= j0) return []
    const sa = Array.prototype.slice.call(ta, i0, i1) as number[]
    const sb = Array.prototype.slice.call(tb, j0, j1) as number[]
    return snakesFromPairs(pairsFromTokens(sa, sb, budget), i0, j0)
  }
}

function mergeSnakes(snakes: Snake[]): Snake[] {
  const out: Snake[] = []
  for (const s of snakes) {
    const last = out[out.length - 1]
    if (last && last[0] + last[2] === s[0] && last[1] + last[2] === s[1]) last[2] += s[2]
    else out.push([s[0], s[1], s[2]])
  }
  return out
}
