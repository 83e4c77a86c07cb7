/**
 * A port of the parts of Python's `difflib.SequenceMatcher` (CPython 3.11) that nbdime uses.
 *
 * nbdime always constructs `SequenceMatcher(None, a, b, autojunk=False)`, so there is no junk and
 * no "popular element" pruning; `autojunk` is still implemented for fidelity and testing. Elements
 * are integers: code points for strings, interned ids for lines.
 */

export type Seq = ArrayLike<number>

export interface Match {
  a: number
  b: number
  size: number
}

export type OpTag = 'replace' | 'delete' | 'insert' | 'equal'
export type Opcode = [OpTag, number, number, number, number]

/** `difflib._calculate_ratio`. */
export function calculateRatio(matches: number, length: number): number {
  return length ? (2.0 * matches) / length : 1.0
}

/** Index of b: element → ascending positions (`SequenceMatcher.b2j`). Reusable across `a`s. */
export function buildB2j(b: Seq, autojunk = false): Map<number, number[]> {
  const b2j = new Map<number, number[]>()
  for (let i = 0; i < b.length; i++) {
    const elt = b[i] as number
    const idx = b2j.get(elt)
    if (idx) idx.push(i)
    else b2j.set(elt, [i])
  }
  const n = b.length
  if (autojunk && n >= 200) {
    const ntest = Math.floor(n / 100) + 1
    for (const [elt, idxs] of b2j) if (idxs.length > ntest) b2j.delete(elt)
  }
  return b2j
}

export class SequenceMatcher {
  private readonly b2j: Map<number, number[]>
  private matchingBlocks: Match[] | undefined
  private fullbcount: Map<number, number> | undefined
  // Scratch arrays for findLongestMatch (j2len, indexed by j + 1).
  private j2len: Int32Array
  private newj2len: Int32Array

  constructor(
    readonly a: Seq,
    readonly b: Seq,
    options: { autojunk?: boolean; b2j?: Map<number, number[]> } = {},
  ) {
    this.b2j = options.b2j ?? buildB2j(b, options.autojunk ?? false)
    this.j2len = new Int32Array(0)
    this.newj2len = new Int32Array(0)
  }

  /** `find_longest_match(alo, ahi, blo, bhi)`, with Python's tie-breaking (earliest i, then j). */
  findLongestMatch(alo: number, ahi: number, blo: number, bhi: number): Match {
    const { a, b, b2j } = this
    if (this.j2len.length < b.length + 1) {
      this.j2len = new Int32Array(b.length + 1)
      this.newj2len = new Int32Array(b.length + 1)
    }
    let j2len = this.j2len
    let newj2len = this.newj2len
    let besti = alo
    let bestj = blo
    let bestsize = 0
    // Positions set in j2len / newj2len, so they can be cleared (Python makes a new dict).
    let touched: number[] = []
    let newTouched: number[] = []
    for (let i = alo; i < ahi; i++) {
      const js = b2j.get(a[i] as number)
      if (js !== undefined) {
        for (let t = 0; t < js.length; t++) {
          const j = js[t] as number
          if (j < blo) continue
          if (j >= bhi) break
          const k = (j2len[j] as number) + 1 // j2len[j] holds length ending at j - 1
          newj2len[j + 1] = k
          newTouched.push(j + 1)
          if (k > bestsize) {
            besti = i - k + 1
            bestj = j - k + 1
            bestsize = k
          }
        }
      }
      for (let t = 0; t < touched.length; t++) j2len[touched[t] as number] = 0
      const tmp = j2len
      j2len = newj2len
      newj2len = tmp
      const tt = touched
      touched = newTouched
      newTouched = tt
      newTouched.length = 0
    }
    for (let t = 0; t < touched.length; t++) j2len[touched[t] as number] = 0
    // CPython then extends the match over equal non-junk neighbours (they can be "popular"
    // elements dropped from b2j by autojunk). There is never junk here (isjunk is None), so its
    // second pair of loops, which extend over junk, never runs and is omitted.
    while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) {
      besti--
      bestj--
      bestsize++
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) {
      bestsize++
    }
    return { a: besti, b: bestj, size: bestsize }
  }

  /** `get_matching_blocks()`, including the final `(la, lb, 0)` sentinel. */
  getMatchingBlocks(): Match[] {
    if (this.matchingBlocks) return this.matchingBlocks
    const la = this.a.length
    const lb = this.b.length
    const queue: [number, number, number, number][] = [[0, la, 0, lb]]
    const blocks: Match[] = []
    while (queue.length) {
      const [alo, ahi, blo, bhi] = queue.pop() as [number, number, number, number]
      const x = this.findLongestMatch(alo, ahi, blo, bhi)
      const { a: i, b: j, size: k } = x
      if (k) {
        blocks.push(x)
        if (alo < i && blo < j) queue.push([alo, i, blo, j])
        if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi])
      }
    }
    blocks.sort((p, q) => p.a - q.a || p.b - q.b || p.size - q.size)
    let i1 = 0
    let j1 = 0
    let k1 = 0
    const nonAdjacent: Match[] = []
    for (const { a: i2, b: j2, size: k2 } of blocks) {
      if (i1 + k1 === i2 && j1 + k1 === j2) {
        k1 += k2
      } else {
        if (k1) nonAdjacent.push({ a: i1, b: j1, size: k1 })
        i1 = i2
        j1 = j2
        k1 = k2
      }
    }
    if (k1) nonAdjacent.push({ a: i1, b: j1, size: k1 })
    nonAdjacent.push({ a: la, b: lb, size: 0 })
    this.matchingBlocks = nonAdjacent
    return nonAdjacent
  }

  getOpcodes(): Opcode[] {
    let i = 0
    let j = 0
    const answer: Opcode[] = []
    for (const { a: ai, b: bj, size } of this.getMatchingBlocks()) {
      let tag: OpTag | '' = ''
      if (i < ai && j < bj) tag = 'replace'
      else if (i < ai) tag = 'delete'
      else if (j < bj) tag = 'insert'
      if (tag) answer.push([tag, i, ai, j, bj])
      i = ai + size
      j = bj + size
      if (size) answer.push(['equal', ai, i, bj, j])
    }
    return answer
  }

  ratio(): number {
    let matches = 0
    for (const m of this.getMatchingBlocks()) matches += m.size
    return calculateRatio(matches, this.a.length + this.b.length)
  }

  quickRatio(): number {
    if (!this.fullbcount) this.fullbcount = histogram(this.b)
    return calculateRatio(histogramOverlap(histogram(this.a), this.fullbcount), this.a.length + this.b.length)
  }

  realQuickRatio(): number {
    const la = this.a.length
    const lb = this.b.length
    return calculateRatio(Math.min(la, lb), la + lb)
  }
}

/** Element counts of a sequence (the `fullbcount` of `quick_ratio`). */
export function histogram(s: Seq): Map<number, number> {
  const h = new Map<number, number>()
  for (let i = 0; i < s.length; i++) {
    const e = s[i] as number
    h.set(e, (h.get(e) ?? 0) + 1)
  }
  return h
}

/** Size of the multiset intersection: the `matches` that `quick_ratio` counts. */
export function histogramOverlap(x: Map<number, number>, y: Map<number, number>): number {
  let small = x
  let large = y
  if (small.size > large.size) {
    small = y
    large = x
  }
  let matches = 0
  for (const [e, n] of small) {
    const m = large.get(e)
    if (m !== undefined) matches += n < m ? n : m
  }
  return matches
}
