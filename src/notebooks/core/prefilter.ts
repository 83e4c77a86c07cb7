/**
 * Exact pre-filters for nbdime's cell predicates (`compare_cell_approximate`, `_moderate`,
 * `_strict` in nbdime/diffing/notebooks.py, release 4.0.4). Without cell ids nbdime evaluates a
 * predicate on every pair of cells (seq_bruteforce.py); each filter here is a condition that the
 * predicate itself implies, computed once per cell, so a pair it refuses is a pair the predicate
 * refuses too and the set of matching pairs (hence the diff) is unchanged. Hash equality only ever
 * lets a pair through to the full predicate, never decides a match.
 * test/notebooks/core/prefilter.test.ts checks each filter against the predicate it stands for.
 */
import { asText } from './compare.js'
import { canonical, hash53, isObject } from './json.js'
import type { JsonObject, JsonValue } from './model.js'
import { textApproximateMayHold, textStrictMayHold } from './lengths.js'
import { pyLen, sortedKeys } from './text.js'

/**
 * `canonical(v)` with long strings cut to their length and ends: equal (Python `==`) values still
 * give equal sketches, which is all a necessary condition needs, without hashing whole stream
 * outputs and tracebacks (a megabyte of log is common).
 */
function sketch(v: JsonValue): string {
  if (typeof v === 'string')
    return v.length <= 160 ? JSON.stringify(v) : JSON.stringify(`${v.length}:${v.slice(0, 64)}:${v.slice(-64)}`)
  if (Array.isArray(v)) return `[${v.map(sketch).join(',')}]`
  if (isObject(v)) {
    const keys = sortedKeys(Object.keys(v))
    return `{${keys.map((k) => `${JSON.stringify(k)}:${sketch(v[k] as JsonValue)}`).join(',')}}`
  }
  return canonical(v)
}

const strictKeys = new WeakMap<JsonObject, number>()

/**
 * A hash of what `compare_output_strict(x, y)` requires to be equal: `output_type`, the key set,
 * every key but `output_type` and `data` (Python `==`, via `sketch`), and the mime types of
 * `data` (`compare_mimebundle_strict` compares their sets first; two missing or null bundles are
 * alike). The mime values themselves are compared by the predicate (text may differ a little).
 * Memoized per parsed output: it is asked once for every cell pair.
 */
export function outputStrictKey(o: JsonObject): number {
  let k = strictKeys.get(o)
  if (k === undefined) {
    const parts: string[] = []
    for (const key of sortedKeys(Object.keys(o))) {
      const v = o[key] as JsonValue
      if (key !== 'data') parts.push(`${JSON.stringify(key)}:${sketch(v)}`)
      else if (v === null) parts.push('"data":none')
      else if (isObject(v)) parts.push(`"data":${JSON.stringify(sortedKeys(Object.keys(v)))}`)
      else parts.push('"data":other')
    }
    k = hash53(parts.join(','))
    strictKeys.set(o, k)
  }
  return k
}

/** Per-cell facts the cell predicates look at, computed once per side of a diff. */
export interface CellFacts {
  /** `cell_type` as a key equal exactly for Python-equal values (absent: its own key). */
  type: string[]
  /** Code points of the cell's source as the predicates read it (`asText`). */
  sourceLength: Int32Array
  /** Code cells: the number of outputs (`x["outputs"] or ()`); -1 for other cells. */
  outputCount: Int32Array
  /**
   * Code cells: a hash of the outputs' `outputStrictKey`s in order; 0 for other cells, -1 when an
   * output is not an object (the predicate's key comparisons then say nothing simple: let it decide).
   */
  outputsStrictKey: Float64Array
}

export function cellFacts(cells: JsonObject[], outputs: (c: JsonObject) => JsonObject[]): CellFacts {
  const n = cells.length
  const facts: CellFacts = {
    type: new Array<string>(n),
    sourceLength: new Int32Array(n),
    outputCount: new Int32Array(n),
    outputsStrictKey: new Float64Array(n),
  }
  for (let k = 0; k < n; k++) {
    const c = cells[k] as JsonObject
    const t = c['cell_type']
    facts.type[k] = t === undefined ? '\u0000absent' : canonical(t)
    facts.sourceLength[k] = pyLen(asText(c['source']))
    if (t === 'code') {
      const outs = outputs(c)
      facts.outputCount[k] = outs.length
      facts.outputsStrictKey[k] = outs.every(isObject) ? hash53(outs.map(outputStrictKey).join(',')) : -1
    } else {
      facts.outputCount[k] = -1
    }
  }
  return facts
}

/**
 * Necessary conditions of the three cell predicates for cell `i` of A and `j` of B: the same cell
 * type, source lengths the text comparison allows, and for code cells the same number of outputs
 * (moderate: `compare_outputs_approximate` only accepts a diff of patches, i.e. equal counts;
 * `ignoreOutputs` makes it always hold) or the same strict output keys (strict).
 */
export function cellMayMatch(
  level: 'approximate' | 'moderate' | 'strict',
  a: CellFacts,
  i: number,
  b: CellFacts,
  j: number,
  ignoreOutputs = false,
): boolean {
  if (a.type[i] !== b.type[j]) return false
  const la = a.sourceLength[i] as number
  const lb = b.sourceLength[j] as number
  if (level === 'strict') {
    if (!textStrictMayHold(la, lb)) return false
    if (a.outputCount[i] === -1) return true
    const ka = a.outputsStrictKey[i] as number
    const kb = b.outputsStrictKey[j] as number
    return ka === kb || ka === -1 || kb === -1
  }
  if (!textApproximateMayHold(la, lb)) return false
  if (level === 'approximate' || ignoreOutputs) return true
  return a.outputCount[i] === b.outputCount[j]
}

/**
 * Every length `lb` that `level`'s text test allows against `la` lies in the range returned (a
 * superset, one wider each side than the ratios give: rounding cannot leave a length out).
 * 2·min(la, lb)/(la + lb) ≥ t bounds lb to [la·t/(2 − t), la·(2 − t)/t]; approximate also lets
 * through two lengths under 10, and an empty string only matches an empty one.
 */
function lengthRange(level: 'approximate' | 'moderate' | 'strict', la: number): [number, number] {
  if (la === 0) return [0, 0]
  const t = level === 'strict' ? 0.95 : 0.7
  const lo = Math.max(1, Math.floor((la * t) / (2 - t)) - 1)
  const hi = Math.ceil((la * (2 - t)) / t) + 1
  return level !== 'strict' && la < 10 ? [1, Math.max(9, hi)] : [lo, hi]
}

/**
 * `cellMayMatch`'s type and source-length conditions as a search instead of a test (a
 * `ColumnsOf`, sequence.ts): B's cells of a rectangle grouped by type and sorted by source length,
 * so each row of A visits only the cells whose type and length may match. The brute force's
 * n×m grid was most of a cold diff of two 182-cell notebooks (spl-lecture4: the strict level's
 * 33,124 pairs, ~20 ms), though only a few hundred pairs get past the conditions.
 */
export function cellColumns(level: 'approximate' | 'moderate' | 'strict', a: CellFacts, b: CellFacts) {
  return (i0: number, j0: number, j1: number) => {
    const groups = new Map<string, { len: number; col: number }[]>()
    for (let j = j0; j < j1; j++) {
      const t = b.type[j] as string
      let g = groups.get(t)
      if (!g) groups.set(t, (g = []))
      g.push({ len: b.sourceLength[j] as number, col: j - j0 })
    }
    for (const g of groups.values()) g.sort((x, y) => x.len - y.len)
    return (i: number): number[] => {
      const g = groups.get(a.type[i + i0] as string)
      if (!g) return []
      const [lo, hi] = lengthRange(level, a.sourceLength[i + i0] as number)
      let k = 0
      let e = g.length
      while (k < e) {
        const mid = (k + e) >>> 1
        if ((g[mid] as { len: number }).len < lo) k = mid + 1
        else e = mid
      }
      const cols: number[] = []
      for (; k < g.length && (g[k] as { len: number }).len <= hi; k++) cols.push((g[k] as { col: number }).col)
      return cols
    }
  }
}
