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
  // Scratch rows for findLongestMatch: the length of the match ending at b[j - 1] (index j). An
  // entry counts only where its stamp is the previous row's, so rows alternate and are never
  // cleared (Python makes a new dict per row). Stamps only grow, across calls too.
  private lens: [Int32Array, Int32Array] = [new Int32Array(0), new Int32Array(0)]
  private stamps: [Float64Array, Float64Array] = [new Float64Array(0), new Float64Array(0)]
  private tick = 0
  /** b2j holds every element of b (no autojunk): every match is a run of equal elements. */
  private readonly whole: boolean

  readonly a: Seq
  readonly b: Seq

  /** `options.b2j`, when given, must be `buildB2j(b, options.autojunk)`. */
  constructor(a: Seq, b: Seq, options: { autojunk?: boolean; b2j?: Map<number, number[]> } = {}) {
    this.a = a
    this.b = b
    this.whole = !(options.autojunk ?? false)
    this.b2j = options.b2j ?? buildB2j(b, options.autojunk ?? false)
  }

  /** `find_longest_match(alo, ahi, blo, bhi)`, with Python's tie-breaking (earliest i, then j). */
  findLongestMatch(alo: number, ahi: number, blo: number, bhi: number): Match {
    if (this.whole && ahi - alo >= ANCHORED_MIN && bhi - blo >= ANCHORED_MIN) {
      let floor = endsRun(this.a, this.b, alo, ahi, blo, bhi)
      if (floor < ANCHORED_PROBE && ahi - alo >= 2 * ANCHORED_PROBE) {
        // Rows ANCHORED_PROBE apart find every run that long; a shorter best is a run that exists.
        const probe = this.anchoredMatch(alo, ahi, blo, bhi, ANCHORED_PROBE)
        if (probe.size >= ANCHORED_PROBE) return probe
        floor = Math.max(floor, probe.size)
      }
      if (floor >= ANCHORED_MIN) return this.anchoredMatch(alo, ahi, blo, bhi, floor)
    }
    const { a, b, b2j } = this
    if (this.lens[0].length < b.length + 1) {
      this.lens = [new Int32Array(b.length + 1), new Int32Array(b.length + 1)]
      this.stamps = [new Float64Array(b.length + 1), new Float64Array(b.length + 1)]
    }
    let prevLen = this.lens[0]
    let curLen = this.lens[1]
    let prevStamp = this.stamps[0]
    let curStamp = this.stamps[1]
    let besti = alo
    let bestj = blo
    let bestsize = 0
    // A stamp that no row of this call has: the first row sees an empty previous row.
    let tick = ++this.tick
    for (let i = alo; i < ahi; i++) {
      const prevTick = tick
      tick++
      const js = b2j.get(a[i] as number)
      if (js !== undefined) {
        // Positions are ascending: skip those before blo by bisection when there are many.
        let t = 0
        if (js.length > 16 && (js[0] as number) < blo) {
          let hi = js.length
          while (t < hi) {
            const mid = (t + hi) >>> 1
            if ((js[mid] as number) < blo) t = mid + 1
            else hi = mid
          }
        }
        for (; t < js.length; t++) {
          const j = js[t] as number
          if (j < blo) continue
          if (j >= bhi) break
          const k = (prevStamp[j] === prevTick ? (prevLen[j] as number) : 0) + 1
          curLen[j + 1] = k
          curStamp[j + 1] = tick
          if (k > bestsize) {
            besti = i - k + 1
            bestj = j - k + 1
            bestsize = k
          }
        }
      }
      const l = prevLen
      prevLen = curLen
      curLen = l
      const st = prevStamp
      prevStamp = curStamp
      curStamp = st
    }
    this.tick = tick
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

  /**
   * `findLongestMatch` when a run of `floor` equal elements is known to be in the region and b2j
   * has every element: the longest run (length ≥ floor) covers a row alo + floor − 1 + m·floor, so
   * only those rows are looked up in b2j and each hit is extended both ways along its diagonal
   * (the row-by-row search visits every row: similar texts, e.g. HTML tables, have long runs, and
   * their spaces and newlines many positions each). Ties as Python's: the run that ends first in
   * a (the same length: starts first), then in b.
   */
  private anchoredMatch(alo: number, ahi: number, blo: number, bhi: number, floor: number): Match {
    const { a, b, b2j } = this
    let besti = alo
    let bestj = blo
    let bestsize = 0
    for (let i = alo + floor - 1; i < ahi; i += floor) {
      const js = b2j.get(a[i] as number)
      if (js === undefined) continue
      for (let t = 0; t < js.length; t++) {
        const j = js[t] as number
        if (j < blo) continue
        if (j >= bhi) break
        // Back; a run reaching the previous anchor row was measured from there.
        let back = 0
        while (back < floor && i - back > alo && j - back > blo && a[i - back - 1] === b[j - back - 1]) back++
        if (back === floor) continue
        let end = i + 1
        while (end < ahi && j - i + end < bhi && a[end] === b[j - i + end]) end++
        const size = end - i + back
        const si = i - back
        const sj = j - back
        if (size > bestsize || (size === bestsize && (si < besti || (si === besti && sj < bestj)))) {
          besti = si
          bestj = sj
          bestsize = size
        }
      }
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

/**
 * Whether `ratio() > threshold`, searching only as many matching blocks as it takes to know.
 * `get_matching_blocks` splits the sequences around each longest match and searches both sides;
 * the matches M are the sum of the blocks whatever the order. Blocks found so far bound M from
 * below, and each region still to search can add at most the shorter of its two sides, so the
 * answer is the full ratio's as soon as either bound settles it. Resumable for another threshold
 * (nbdime asks 0.7 and 0.95 of the same pair); the matcher's b2j is the caller's, kept.
 */
export class RatioSearch {
  private found = 0
  private upTo = 0
  /** Regions still to search: [alo, ahi, blo, bhi] flattened. */
  private readonly regions: number[] = []

  private readonly a: Seq
  private readonly b: Seq
  private cap = Infinity
  private capLater: (() => number) | undefined
  private steps = 0

  /**
   * `cap`: a known upper bound on the matches (e.g. the LCS length), or how to compute it once the
   * first longest match is found (where that is cheaper and may settle the answer on its own).
   */
  constructor(a: Seq, b: Seq, cap: number | (() => number) = Infinity) {
    this.a = a
    this.b = b
    if (typeof cap === 'function') this.capLater = cap
    else this.cap = cap
    this.push(0, a.length, 0, b.length)
  }

  private push(alo: number, ahi: number, blo: number, bhi: number): void {
    this.regions.push(alo, ahi, blo, bhi)
    this.upTo += Math.min(ahi - alo, bhi - blo)
  }

  above(threshold: number, b2j: Map<number, number[]>): boolean {
    const length = this.a.length + this.b.length
    let matcher: SequenceMatcher | undefined
    for (;;) {
      if (calculateRatio(this.found, length) > threshold) return true
      if (this.capLater && this.steps > 0) {
        this.cap = this.capLater()
        this.capLater = undefined
      }
      if (!(calculateRatio(Math.min(this.found + this.upTo, this.cap), length) > threshold)) return false
      const bhi = this.regions.pop() as number
      const blo = this.regions.pop() as number
      const ahi = this.regions.pop() as number
      const alo = this.regions.pop() as number
      this.upTo -= Math.min(ahi - alo, bhi - blo)
      matcher ??= new SequenceMatcher(this.a, this.b, { b2j })
      const { a: i, b: j, size: k } = matcher.findLongestMatch(alo, ahi, blo, bhi)
      this.steps++
      if (k) {
        this.found += k
        if (alo < i && blo < j) this.push(alo, i, blo, j)
        if (i + k < ahi && j + k < bhi) this.push(i + k, ahi, j + k, bhi)
      }
    }
  }
}

/** Regions and known runs at least this long take `anchoredMatch`; shorter ones the row-by-row search. */
const ANCHORED_MIN = 8
/** Without such a run at the corners, rows this far apart are tried first. */
const ANCHORED_PROBE = 32

/**
 * The longest run of equal elements on the region's two corner diagonals (a[alo + t] = b[blo + t],
 * a[ahi − 1 − t] = b[bhi − 1 − t]): a match the longest one is at least as long as. Similar texts
 * share their first or last lines.
 */
function endsRun(a: Seq, b: Seq, alo: number, ahi: number, blo: number, bhi: number): number {
  const n = Math.min(ahi - alo, bhi - blo)
  let best = 0
  let run = 0
  for (let t = 0; t < n; t++) {
    if (a[alo + t] === b[blo + t]) {
      if (++run > best) best = run
    } else run = 0
  }
  run = 0
  for (let t = 1; t <= n; t++) {
    if (a[ahi - t] === b[bhi - t]) {
      if (++run > best) best = run
    } else run = 0
  }
  return best
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
