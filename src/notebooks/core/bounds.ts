/**
 * Cheap exact bounds on `difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()`, so most
 * comparisons end before difflib's own search (O(Σ count_a(c)·count_b(c)) per longest match,
 * quadratic on text with many spaces or digits).
 *
 * - `Histogram#overlap` is `quick_ratio`'s match count (an upper bound): dense counts for ASCII,
 *   a map for the rest, so an overlap is a walk over the distinct characters of one side.
 * - `lcsLength` is the longest common subsequence: difflib's matching blocks are one such
 *   subsequence, so its matches never exceed it. Bit-parallel (Hyyrö, "Bit-parallel LCS-length
 *   computation revisited", 2004: V' = (V + (V & M[c])) | (V & ~M[c])), 32 positions of `a` a word.
 */

export class Histogram {
  /** Counts of the ASCII code points. */
  readonly ascii = new Int32Array(128)
  /** The ASCII code points present, each once. */
  readonly present: number[] = []
  /** Counts of the other code points (null when there are none). */
  readonly rest: Map<number, number> | null = null
  constructor(s: ArrayLike<number>) {
    let rest: Map<number, number> | null = null
    for (let i = 0; i < s.length; i++) {
      const c = s[i] as number
      if (c < 128) {
        const k = this.ascii[c] as number
        if (k === 0) this.present.push(c)
        this.ascii[c] = k + 1
      } else {
        rest ??= new Map()
        rest.set(c, (rest.get(c) ?? 0) + 1)
      }
    }
    this.rest = rest
  }

  /** Size of the multiset intersection (`quick_ratio`'s matches). */
  overlap(o: Histogram): number {
    const x = this.present.length <= o.present.length ? this : o
    const y = x === this ? o : this
    const xp = x.present
    const xa = x.ascii
    const ya = y.ascii
    let m = 0
    for (let k = 0; k < xp.length; k++) {
      const c = xp[k] as number
      const p = xa[c] as number
      const q = ya[c] as number
      m += p < q ? p : q
    }
    if (x.rest !== null && y.rest !== null) {
      const small = x.rest.size <= y.rest.size ? x.rest : y.rest
      const large = small === x.rest ? y.rest : x.rest
      for (const [c, p] of small) {
        const q = large.get(c)
        if (q !== undefined) m += p < q ? p : q
      }
    }
    return m
  }

  /**
   * Σ count_a(c)·count_b(c): the pairs of equal elements difflib's `find_longest_match` visits on
   * the whole range, i.e. the least work its search does.
   */
  equalPairs(o: Histogram): number {
    let n = 0
    for (const c of this.present) n += (this.ascii[c] as number) * (o.ascii[c] as number)
    if (this.rest && o.rest) for (const [c, p] of this.rest) n += p * (o.rest.get(c) ?? 0)
    return n
  }
}

/** Length of the longest common subsequence of `a` and `b`, in O(|b|·⌈|a|/32⌉). */
export function lcsLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length
  if (n === 0 || b.length === 0) return 0
  const words = (n + 31) >>> 5
  // M[c]: bit i set where a[i] === c.
  const masks = new Map<number, Uint32Array>()
  for (let i = 0; i < n; i++) {
    const c = a[i] as number
    let m = masks.get(c)
    if (!m) masks.set(c, (m = new Uint32Array(words)))
    m[i >>> 5] = ((m[i >>> 5] as number) | (1 << (i & 31))) >>> 0
  }
  // V: ones where no match has been used yet; the LCS is the number of zeros among the n bits.
  const v = new Uint32Array(words).fill(0xffffffff)
  for (let j = 0; j < b.length; j++) {
    const m = masks.get(b[j] as number)
    if (!m) continue
    let carry = 0
    for (let w = 0; w < words; w++) {
      const vw = v[w] as number
      const u = (vw & (m[w] as number)) >>> 0
      // (V + U) with the carry between words, then | (V & ~M).
      const sum = vw + u + carry
      carry = sum > 0xffffffff ? 1 : 0
      v[w] = ((sum >>> 0) | (vw & ~(m[w] as number))) >>> 0
    }
  }
  let zeros = 0
  for (let w = 0; w < words; w++) {
    const bits = w === words - 1 && n & 31 ? n & 31 : 32
    let x = ~(v[w] as number) >>> 0
    if (bits < 32) x &= (1 << bits) - 1
    zeros += popcount(x)
  }
  return zeros
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  x = (x + (x >>> 4)) & 0x0f0f0f0f
  return Math.imul(x, 0x01010101) >>> 24
}
