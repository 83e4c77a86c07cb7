/**
 * nbdime's alignment predicates (`nbdime/diffing/notebooks.py`, `generic.py`), release 4.0.4.
 * Per-string features (code points, histograms, b2j index) and ratios are cached per diff.
 */
import { RatioSearch, SequenceMatcher, buildB2j, calculateRatio } from './difflib.js'
import { Histogram, lcsLength } from './bounds.js'
import type { JsonObject, JsonValue } from './model.js'
import { isObject, pyEqual } from './json.js'
import { textApproximateMayHold, textStrictMayHold } from './lengths.js'
import { codePoints, pyLen } from './text.js'

export const TEXT_MIMEDATA_MAX_COMPARE_LENGTH = 10000
export const STREAM_MAX_COMPARE_LENGTH = 1000
/** Strings this short (code points) skip the histogram and LCS bounds. */
const SHORT = 48

const POINTER = /0x[a-f0-9]{8,16}/i
const SPLIT_POINTER = new RegExp(POINTER.source, 'gi')

interface Features {
  cp: Int32Array
  hist?: Histogram
  b2j?: Map<number, number[]>
  ratios?: Map<Features, number>
  /** Ratio searches against other strings, as far as a threshold needed them (`RatioSearch`). */
  searches?: Map<Features, RatioSearch>
}

export class Similarity {
  private readonly features = new Map<string, Features>()
  private readonly lengths = new Map<string, number>()

  private feat(s: string): Features {
    let f = this.features.get(s)
    if (!f) {
      f = { cp: codePoints(s) }
      this.features.set(s, f)
    }
    return f
  }

  /** Python `len(s)`. */
  len(s: string): number {
    return this.feat(s).cp.length
  }

  /** `difflib.SequenceMatcher(None, x, y, autojunk=False).ratio()`, cached. */
  ratio(x: string, y: string): number {
    const fx = this.feat(x)
    const fy = this.feat(y)
    const cached = fx.ratios?.get(fy)
    if (cached !== undefined) return cached
    fy.b2j ??= buildB2j(fy.cp)
    const r = new SequenceMatcher(fx.cp, fy.cp, { b2j: fy.b2j }).ratio()
    ;(fx.ratios ??= new Map()).set(fy, r)
    return r
  }

  /**
   * `SequenceMatcher(None, x, y, autojunk=False).ratio() > threshold`, searching matching blocks
   * only until the answer is certain (`RatioSearch`); the search is kept for the next threshold.
   */
  ratioAbove(x: string, y: string, threshold: number): boolean {
    const fx = this.feat(x)
    const fy = this.feat(y)
    const known = fx.ratios?.get(fy)
    if (known !== undefined) return known > threshold
    fy.b2j ??= buildB2j(fy.cp)
    let search = fx.searches?.get(fy)
    if (!search) {
      // difflib's matches are a common subsequence: at most the LCS (bounds.ts), which decides most
      // unlike pairs. Worth it where it costs under half of difflib's first pass over the pair.
      // Short strings: difflib's search is cheap already.
      let cap: number | (() => number) = Infinity
      if (fx.cp.length * fy.cp.length >= SHORT * SHORT) {
        fx.hist ??= new Histogram(fx.cp)
        fy.hist ??= new Histogram(fy.cp)
        const lcsCost = fy.cp.length * ((fx.cp.length + 31) >>> 5)
        if (lcsCost * 2 <= fx.hist.equalPairs(fy.hist)) {
          // Strings that begin or end alike: the first longest match is found from a few rows
          // (difflib.ts) and often settles it, so the LCS waits for it (titanic: ~4 of 4.4 ms of LCS).
          const x = fx.cp
          const y = fy.cp
          cap = endsAlike(x, y) ? () => lcsLength(x, y) : lcsLength(x, y)
        }
      }
      ;(fx.searches ??= new Map()).set(fy, (search = new RatioSearch(fx.cp, fy.cp, cap)))
    }
    return search.above(threshold, fy.b2j)
  }

  /** `compare_strings_approximate(x, y, threshold, maxlen)` from nbdime/diffing/generic.py. */
  stringsApproximate(x: string, y: string, threshold = 0.7, maxlen?: number): boolean {
    if (x.length > 0 !== y.length > 0) return false
    if (x === y) return true
    const fx = this.feat(x)
    const fy = this.feat(y)
    const la = fx.cp.length
    const lb = fy.cp.length
    if (calculateRatio(Math.min(la, lb), la + lb) < threshold) return false
    // quick_ratio's bound: a histogram per string where it is kept for other pairs; for short
    // strings counted in place (no allocation), which ends most pairs before difflib's search
    // (spl-lecture4's strict cell level: 281 of 297 pairs, the search ~20 ms of a cold diff).
    if (la + lb >= 2 * SHORT) {
      fx.hist ??= new Histogram(fx.cp)
      fy.hist ??= new Histogram(fy.cp)
      if (calculateRatio(fx.hist.overlap(fy.hist), la + lb) < threshold) return false
    } else {
      const m = asciiOverlap(fx.cp, fy.cp)
      if (m >= 0 && calculateRatio(m, la + lb) < threshold) return false
    }
    if (maxlen !== undefined && la > maxlen && lb > maxlen) return false
    return this.ratioAbove(x, y, threshold)
  }

  /** `compare_text_approximate` (release 4.0.4: both shorter than 10 → similar). */
  textApproximate(x: JsonValue, y: JsonValue, maxlen?: number): boolean {
    const xs = asText(x)
    const ys = asText(y)
    if (xs.length > 0 !== ys.length > 0) return false
    if (this.len(xs) < 10 && this.len(ys) < 10) return true
    return this.stringsApproximate(xs, ys, 0.7, maxlen)
  }

  /** `compare_text_strict`: equal, or ratio > 0.95. */
  textStrict(x: JsonValue, y: JsonValue, maxlen?: number): boolean {
    const xs = asText(x)
    const ys = asText(y)
    if (xs === ys) return true
    return this.stringsApproximate(xs, ys, 0.95, maxlen)
  }

  /** `_compare_mimedata`; `bundle` is x's mime bundle (`x === bundle[mimetype]`), for the memo. */
  private mimedata(mimetype: string, x: JsonValue, y: JsonValue, strict: boolean, bundle?: JsonObject): boolean {
    const mt = mimetype.toLowerCase()
    const text = (a: JsonValue, b: JsonValue): boolean =>
      strict
        ? this.textStrict(a, b, TEXT_MIMEDATA_MAX_COMPARE_LENGTH)
        : this.textApproximate(a, b, TEXT_MIMEDATA_MAX_COMPARE_LENGTH)
    if (mt === 'text/plain' && typeof x === 'string' && typeof y === 'string') {
      // Let one-line reprs differ by pointer values: `<object at 0x7f…>`.
      if (!x.includes('\n') && !y.includes('\n')) {
        const xs = x.split(SPLIT_POINTER)
        const ys = y.split(SPLIT_POINTER)
        if (xs.length === ys.length && xs.every((p, i) => p === ys[i])) return true
      }
    }
    if (mt.startsWith('text/')) return text(x, y)
    if (typeof x === 'string' && typeof y === 'string') {
      // Equal strings are equal either way; only a difference needs the base64 test, which is
      // asked of the same image for every pair of cells: memoized per bundle and key.
      if (x === y) return true
      // Unequal, so the base64 test would say False; the text test says False too where the lengths
      // alone decide it (both over the compare cap, or too unlike): then neither is needed. Images
      // are most of a notebook's bytes, and their base64 test was a walk over each.
      if (!this.mimeTextMayHold(x, y, strict)) return false
      if (bundle ? base64At(bundle, mimetype, x) : isBase64(x)) return false
      return text(x, y)
    }
    return pyEqual(x, y)
  }

  /**
   * Whether `textStrict` / `textApproximate(x, y, TEXT_MIMEDATA_MAX_COMPARE_LENGTH)` of unequal
   * strings can hold, from their lengths in code points: compare_strings_approximate's cut-offs
   * that need nothing else (one empty, real_quick_ratio, both over the cap).
   */
  private mimeTextMayHold(x: string, y: string, strict: boolean): boolean {
    if (x.length > 0 !== y.length > 0) return false
    // Both over twice the cap in UTF-16 units are over it in code points: no count needed (a walk of
    // each image; hml2-08's, 110 KB on average, took ~8 ms of a cold diff).
    const long = 2 * TEXT_MIMEDATA_MAX_COMPARE_LENGTH
    if (x.length > long && y.length > long) return false
    const lx = this.codePointCount(x)
    const ly = this.codePointCount(y)
    if (lx > TEXT_MIMEDATA_MAX_COMPARE_LENGTH && ly > TEXT_MIMEDATA_MAX_COMPARE_LENGTH) return false
    return strict ? textStrictMayHold(lx, ly) : textApproximateMayHold(lx, ly)
  }

  /** Python `len(s)`, memoized per string (an image is asked of for every pair of cells). */
  private codePointCount(s: string): number {
    const f = this.features.get(s)
    if (f) return f.cp.length
    let n = this.lengths.get(s)
    if (n === undefined) this.lengths.set(s, (n = pyLen(s)))
    return n
  }

  mimebundle(x: JsonValue | undefined, y: JsonValue | undefined, strict: boolean): boolean {
    if ((x === undefined || x === null) && (y === undefined || y === null)) return true
    if (!isObject(x) || !isObject(y)) return false
    if (!sameKeySet(x, y)) return false
    for (const key of Object.keys(x)) {
      if (!this.mimedata(key, x[key] as JsonValue, y[key] as JsonValue, strict, x)) return false
    }
    return true
  }

  /** `compare_output_approximate`. */
  outputApproximate(x: JsonObject, y: JsonObject): boolean {
    const ot = x['output_type']
    if (!pyEqual(ot, y['output_type'])) return false
    if (!sameKeySet(x, y)) return false
    const handled = new Set(['output_type', 'metadata', 'execution_count'])
    if (ot === 'stream') {
      if (!pyEqual(x['name'], y['name'])) return false
      if (!this.stringsApproximate(asText(x['text']), asText(y['text']), 0.7, STREAM_MAX_COMPARE_LENGTH)) return false
      handled.add('name').add('text')
    } else if (ot === 'error') {
      if (!pyEqual(x['ename'], y['ename'])) return false
      if (!pyEqual(x['evalue'], y['evalue'])) return false
      const xt = x['traceback']
      const yt = y['traceback']
      if (!Array.isArray(xt) || !Array.isArray(yt) || xt.length !== yt.length) return false
      for (let k = 0; k < xt.length; k++) {
        if (!this.stringsApproximate(asText(xt[k] as JsonValue), asText(yt[k] as JsonValue))) return false
      }
      handled.add('ename').add('evalue').add('traceback')
    } else if (ot === 'display_data' || ot === 'execute_result') {
      if (!this.mimebundle(x['data'], y['data'], false)) return false
      handled.add('data')
    }
    for (const k of Object.keys(x)) {
      if (!handled.has(k) && !pyEqual(x[k], y[k])) return false
    }
    return true
  }

  /** `compare_output_strict`: every key but `output_type`/`data` equal, data strictly similar. */
  outputStrict(x: JsonObject, y: JsonObject): boolean {
    if (!pyEqual(x['output_type'], y['output_type'])) return false
    if (!sameKeySet(x, y)) return false
    for (const k of Object.keys(x)) {
      if (k !== 'output_type' && k !== 'data' && !pyEqual(x[k], y[k])) return false
    }
    return this.mimebundle(x['data'], y['data'], true)
  }
}

/** Whether the first or the last 32 code points of two strings (both longer) are equal. */
function endsAlike(x: Int32Array, y: Int32Array): boolean {
  const n = 32
  if (x.length <= n || y.length <= n) return false
  let k = 0
  while (k < n && x[k] === y[k]) k++
  if (k === n) return true
  k = 1
  while (k <= n && x[x.length - k] === y[y.length - k]) k++
  return k > n
}

const counts = new Int32Array(128)
/**
 * `quick_ratio`'s matches (the multiset intersection) of two code point sequences, or -1 when
 * `x` has a non-ASCII code point. `counts` is all zeros between calls.
 */
function asciiOverlap(x: Int32Array, y: Int32Array): number {
  let k = 0
  for (; k < x.length; k++) {
    const c = x[k] as number
    if (c >= 128) break
    counts[c] = (counts[c] as number) + 1
  }
  let m = -1
  if (k === x.length) {
    m = 0
    for (let j = 0; j < y.length; j++) {
      const c = y[j] as number
      if (c < 128 && (counts[c] as number) > 0) {
        counts[c] = (counts[c] as number) - 1
        m++
      }
    }
  }
  for (let i = 0; i < k; i++) counts[x[i] as number] = 0
  return m
}

/** A text value as nbdime's comparisons read it (a list of lines joined). */
export function asText(v: JsonValue | undefined): string {
  if (typeof v === 'string') return v
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v.join('')
  return v === undefined ? '' : JSON.stringify(v)
}

function sameKeySet(x: JsonObject, y: JsonObject): boolean {
  const kx = Object.keys(x)
  if (kx.length !== Object.keys(y).length) return false
  for (const k of kx) if (!Object.hasOwn(y, k)) return false
  return true
}

/**
 * `_is_base64` (nbdime/diffing/notebooks.py): at least `minLen` long, and once `splitlines()` has
 * removed the line breaks, whole groups of four of [A-Za-z0-9+/] with `=` or `==` padding at the
 * end (its `_base64` regex, IGNORECASE). One pass without copying the string; the regex on the
 * joined lines is the reference in test/notebooks/core/prefilter.test.ts.
 */
export function isBase64(s: string, minLen = 64): boolean {
  if (s.length < minLen) return false
  let n = 0 // characters kept (line breaks dropped)
  let pad = 0 // '=' seen so far; only the last one or two kept characters may be '='
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 128 && BASE64_CHAR[c] === 1) {
      if (pad > 0) return false
    } else if (c === 0x3d) {
      // '=' needs at least two data characters in its group of four before it.
      if (pad === 0 && n % 4 < 2) return false
      if (++pad > 2) return false
    } else if (!isLineBreak(c)) {
      return false
    } else {
      continue
    }
    n++
  }
  if (n % 4 !== 0) return false
  return true
}

const BASE64_CHAR = new Uint8Array(128)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64_CHAR[c.charCodeAt(0)] = 1

/** The characters Python's `str.splitlines()` splits on (and drops). */
function isLineBreak(c: number): boolean {
  return (
    (c >= 0x0a && c <= 0x0d) || c === 0x1c || c === 0x1d || c === 0x1e || c === 0x85 || c === 0x2028 || c === 0x2029
  )
}

/**
 * `isBase64(bundle[key])`, computed once per parsed bundle: the answer depends on the string only,
 * and parsed notebooks are not mutated while diffed. Keyed by the bundle object (strings cannot
 * key a WeakMap), so it goes with the notebook.
 */
const base64Memo = new WeakMap<JsonObject, Map<string, boolean>>()
function base64At(bundle: JsonObject, key: string, value: string): boolean {
  // `value` is `bundle[key]` (the caller's contract).
  let facts = base64Memo.get(bundle)
  if (!facts) base64Memo.set(bundle, (facts = new Map()))
  let r = facts.get(key)
  if (r === undefined) facts.set(key, (r = isBase64(value)))
  return r
}
