/**
 * `diffNotebooks`: nbdime 4.0.4's `diff_notebooks` (nbdime/diffing/notebooks.py, generic.py,
 * sequences.py, snakes.py), producing the same JSON diff. Paths work like nbdime's: JSON-pointer
 * with list indices starred, choosing the differ (and the ignore flags) per path.
 */
import { MappingDiffBuilder, SequenceDiffBuilder } from './builders.js'
import { Similarity } from './compare.js'
import { SequenceMatcher } from './difflib.js'
import { Interner, canonical, hash53, isObject, pyEqual, sameContainerType } from './json.js'
import type { DiffDegradation, DiffEntry, DiffOptions, JsonObject, JsonValue } from './model.js'
import {
  type LevelSnakes,
  type Snake,
  PairBudget,
  PairBudgetSpent,
  computeSnakesMultilevel,
  pairsFromTokens,
  predicateSnakes,
  snakesFromPairs,
  tokenSnakes,
} from './sequence.js'
import { codePoints, fromCodePoints, sortedKeys, splitLinesKeepEnds } from './text.js'
import { unmatchableIds } from './parse.js'
import { cellColumns, cellFacts, cellMayMatch } from './prefilter.js'

type Differ = (a: JsonValue, b: JsonValue, path: string) => DiffEntry[]

const SPLIT_MIMES = ['text/', 'image/svg+xml', 'application/javascript', 'application/json']
const DEFAULT_EXACT_LIMIT = 4_000_000
/**
 * Line alignment of one string is nbdime's brute force: a similarity test on every pair of lines
 * of each changed block (2,000 changed lines against 2,000 made ~50 s here when the lines are
 * alike). 500,000 tests (~700 against ~700) take 0.1–4 s; the largest string in the shared corpus,
 * nbdime's own test notebooks and the generated parity pairs needs 306 tests and 438 equal pairs.
 */
export const DEFAULT_MAX_LINE_PAIRS = 500_000
/** Pairs of equal lines an alignment may hold, per similarity test allowed: ~8 bytes each, ~0.1 µs. */
const EQUAL_PAIRS_PER_TEST = 4
/** nbdime's own cap for comparing text outputs (`TEXT_MIMEDATA_MAX_COMPARE_LENGTH`), applied to lines. */
export const DEFAULT_MAX_LINE_CHARS = 10_000

/** Compute the nbdime diff of two notebooks (nbformat 4 objects, as `parseNotebook` returns). */
export function diffNotebooks(a: JsonObject, b: JsonObject, options: DiffOptions = {}): DiffEntry[] {
  return diffNotebooksDetailed(a, b, options).diff
}

/** The diff, and where it was made coarser than nbdime's to stay within the options' caps. */
export function diffNotebooksDetailed(
  a: JsonObject,
  b: JsonObject,
  options: DiffOptions = {},
): { diff: DiffEntry[]; degraded: DiffDegradation[] } {
  const differ = new NotebookDiffer(options)
  const diff = differ.diffDicts(a, b, '', true)
  return { diff, degraded: differ.degraded }
}

class NotebookDiffer {
  private readonly sim = new Similarity()
  private readonly lines = new Interner()
  private readonly values = new Interner()
  private readonly limit: number
  private readonly maxLinePairs: number
  private readonly maxLineChars: number
  /** Where in A the differ is (keys and indices), for naming a degraded string. */
  private readonly at: (string | number)[] = []
  readonly degraded: DiffDegradation[] = []

  private readonly opts: DiffOptions

  constructor(opts: DiffOptions) {
    this.opts = opts
    this.limit = opts.exactAlignmentLimit ?? DEFAULT_EXACT_LIMIT
    this.maxLinePairs = opts.maxLinePairs ?? DEFAULT_MAX_LINE_PAIRS
    this.maxLineChars = opts.maxLineChars ?? DEFAULT_MAX_LINE_CHARS
  }

  /** `fn` with `key` appended to the current path. */
  private within<T>(key: string | number, fn: () => T): T {
    this.at.push(key)
    try {
      return fn()
    } finally {
      this.at.pop()
    }
  }

  /** `config.differs[path]` for nbdime's notebook config (`nb`) or a default `DiffConfig()`. */
  private differFor(path: string, nb: boolean): Differ {
    const generic: Differ = (a, b, p) => this.diff(a, b, p, nb)
    if (!nb) return generic
    const o = this.opts
    const ignore: Differ = () => []
    switch (path) {
      case '/cells':
        return (a, b) => this.diffCells(a as JsonValue[], b as JsonValue[])
      // Equal values have an empty diff in nbdime too; checking first spares the similarity
      // caches (code points, histograms) of every unchanged cell's outputs.
      case '/cells/*':
        return unlessEqual(o.ignoreDetails ? withoutKeys(generic, 'execution_count') : generic)
      case '/cells/*/source':
        return o.ignoreSources ? ignore : (a, b) => (a === b ? [] : this.diffStringsLinewise(a as string, b as string))
      case '/cells/*/outputs':
        return o.ignoreOutputs ? ignore : unlessEqual((a, b) => this.diffOutputs(a as JsonValue[], b as JsonValue[]))
      case '/cells/*/outputs/*': {
        const d: Differ = (a, b) => this.diffSingleOutputs(a as JsonObject, b as JsonObject)
        return o.ignoreDetails ? withoutKeys(d, 'execution_count') : d
      }
      case '/cells/*/attachments':
        return o.ignoreAttachments ? ignore : (a, b) => this.diffAttachments(a, b)
      case '/metadata':
      case '/cells/*/metadata':
      case '/cells/*/outputs/*/metadata':
        return o.ignoreMetadata ? ignore : generic
      case '/cells/*/id':
        return o.ignoreIds ? ignore : generic
      default:
        return generic
    }
  }

  /** generic `diff`: dispatch on type (callers guarantee both are the same container type). */
  private diff(a: JsonValue, b: JsonValue, path: string, nb: boolean): DiffEntry[] {
    if (Array.isArray(a) && Array.isArray(b)) return this.diffLists(a, b)
    if (isObject(a) && isObject(b)) return this.diffDicts(a, b, path, nb)
    if (typeof a === 'string' && typeof b === 'string') return this.diffStringsLinewise(a, b)
    throw new TypeError(`cannot diff ${typeof a} against ${typeof b}`)
  }

  diffDicts(a: JsonObject, b: JsonObject, path: string, nb: boolean): DiffEntry[] {
    const di = new MappingDiffBuilder()
    for (const key of sortedKeys(Object.keys(a))) {
      if (!Object.hasOwn(b, key)) di.remove(key)
    }
    for (const key of sortedKeys(Object.keys(a))) {
      if (!Object.hasOwn(b, key)) continue
      const av = a[key] as JsonValue
      const bv = b[key] as JsonValue
      const subpath = `${path}/${key}`
      const atomic = nb && subpath === '/cells/*/id' ? true : !isContainer(av)
      if (sameContainerType(av, bv) && !atomic) {
        di.patch(
          key,
          this.within(key, () => this.differFor(subpath, nb)(av, bv, subpath)),
        )
      } else if (!pyEqual(av, bv)) {
        di.replace(key, bv)
      }
    }
    for (const key of sortedKeys(Object.keys(b))) {
      if (!Object.hasOwn(a, key)) di.add(key, b[key] as JsonValue)
    }
    return di.validated()
  }

  /** `diff_lists` with the single predicate `==` (every list but cells and outputs). */
  private diffLists(a: JsonValue[], b: JsonValue[]): DiffEntry[] {
    const ta = a.map((v) => this.values.valueId(v))
    const tb = b.map((v) => this.values.valueId(v))
    const snakes = snakesFromPairs(pairsFromTokens(ta, tb))
    // Matched items are equal, so their recursive diffs are empty: only add/remove ranges remain.
    return this.fromSnakes(a, b, snakes, () => [])
  }

  /** `compute_diff_from_snakes`. */
  private fromSnakes(
    a: JsonValue[],
    b: JsonValue[],
    snakes: Snake[],
    diffItem: (x: JsonValue, y: JsonValue) => DiffEntry[],
  ): DiffEntry[] {
    const di = new SequenceDiffBuilder()
    let i0 = 0
    let j0 = 0
    for (const [i, j, n] of [...snakes, [a.length, b.length, 0] as Snake]) {
      if (i > i0) di.removerange(i0, i - i0)
      if (j > j0) di.addrange(i0, b.slice(j0, j))
      for (let k = 0; k < n; k++)
        di.patch(
          i + k,
          this.within(i + k, () => diffItem(a[i + k] as JsonValue, b[j + k] as JsonValue)),
        )
      i0 = i + n
      j0 = j + n
    }
    return di.entries
  }

  /**
   * `diff_strings_linewise`: lines aligned by `[approximate 0.7, ==]`, then char diffs — within the
   * caps: lines over maxLineChars are compared for equality only, and an alignment that would
   * take more than maxLinePairs tests shows the changed block removed and added instead.
   */
  private diffStringsLinewise(a: string, b: string): DiffEntry[] {
    if (a === b) return []
    const la = splitLinesKeepEnds(a)
    const lb = splitLinesKeepEnds(b)
    const ta = la.map((l) => this.lines.idOf(l))
    const tb = lb.map((l) => this.lines.idOf(l))
    const budget = new PairBudget(this.maxLinePairs, this.maxLinePairs * EQUAL_PAIRS_PER_TEST)
    const maxChars = this.maxLineChars
    let skippedLong = false
    const similar = (i: number, j: number): boolean => {
      const x = la[i] as string
      const y = lb[j] as string
      if (x.length <= maxChars && y.length <= maxChars) return this.sim.stringsApproximate(x, y)
      if (x === y) return true
      // nbdime would have gone on to a character-level ratio unless the lengths alone rule it out.
      if (x.length > 0 && y.length > 0 && (2 * Math.min(x.length, y.length)) / (x.length + y.length) >= 0.7)
        skippedLong = true
      return false
    }
    let diff: DiffEntry[]
    try {
      const approx = predicateSnakes(similar, (side, k) => (side === 0 ? ta : tb)[k] as number, this.limit, budget)
      const snakes = computeSnakesMultilevel([approx, tokenSnakes(ta, tb, budget)], [0, 0, la.length, lb.length])
      diff = this.fromSnakes(la, lb, snakes, (x, y) => diffStringsByChar(x as string, y as string))
    } catch (err) {
      if (!(err instanceof PairBudgetSpent)) throw err
      return this.changedBlockReplaced(la, lb)
    }
    if (skippedLong) this.noteLongLines(la, lb, diff)
    return diff
  }

  /** Over the pair budget: common first and last lines kept, everything between removed and added. */
  private changedBlockReplaced(la: string[], lb: string[]): DiffEntry[] {
    let p = 0
    while (p < la.length && p < lb.length && la[p] === lb[p]) p++
    let s = 0
    while (s < la.length - p && s < lb.length - p && la[la.length - 1 - s] === lb[lb.length - 1 - s]) s++
    const di = new SequenceDiffBuilder()
    di.addrange(p, lb.slice(p, lb.length - s))
    di.removerange(p, la.length - p - s)
    this.degraded.push({
      path: this.path(),
      kind: 'lines',
      limit: this.maxLinePairs,
      removed: la.length - p - s,
      added: lb.length - p - s,
    })
    return di.entries
  }

  /** Records the long lines that ended up removed or added because they were not compared. */
  private noteLongLines(la: string[], lb: string[], diff: DiffEntry[]): void {
    let removed = 0
    let added = 0
    for (const e of diff) {
      if (e.op === 'removerange')
        for (let k = e.key; k < e.key + e.length; k++) removed += Number((la[k] as string).length > this.maxLineChars)
      else if (e.op === 'addrange')
        for (const l of e.valuelist as string[]) added += Number(l.length > this.maxLineChars)
    }
    if (removed > 0 && added > 0)
      this.degraded.push({ path: this.path(), kind: 'long-lines', limit: this.maxLineChars, removed, added })
  }

  private path(): string {
    return this.at.map((k) => `/${k}`).join('')
  }

  /** `/cells`: multilevel `[approximate, moderate, strict, by id]`. */
  private diffCells(a: JsonValue[], b: JsonValue[]): DiffEntry[] {
    const ca = a as JsonObject[]
    const cb = b as JsonObject[]
    const sim = this.sim
    const src = (c: JsonObject) => c['source'] as JsonValue
    const sameType = (x: JsonObject, y: JsonObject) => pyEqual(x['cell_type'], y['cell_type'])
    const outs = (c: JsonObject) => (Array.isArray(c['outputs']) ? (c['outputs'] as JsonObject[]) : [])
    // Cheap necessary conditions first (prefilter.ts): most of the N×M pairs end there.
    const fa = cellFacts(ca, outs)
    const fb = cellFacts(cb, outs)
    const ignoreOutputs = this.opts.ignoreOutputs === true
    const approximate = (i: number, j: number) => {
      if (!cellMayMatch('approximate', fa, i, fb, j)) return false
      const x = ca[i] as JsonObject
      const y = cb[j] as JsonObject
      return sameType(x, y) && sim.textApproximate(src(x), src(y))
    }
    const moderate = (i: number, j: number) => {
      if (!cellMayMatch('moderate', fa, i, fb, j, ignoreOutputs)) return false
      const x = ca[i] as JsonObject
      const y = cb[j] as JsonObject
      if (!sameType(x, y) || !sim.textApproximate(src(x), src(y))) return false
      if (x['cell_type'] !== 'code') return true
      const xo = outs(x)
      const yo = outs(y)
      if (xo.length > 0 !== yo.length > 0) return false
      // compare_outputs_approximate: the configured outputs differ gives only patches, i.e.
      // every output aligns (ignored outputs always "align").
      if (this.opts.ignoreOutputs) return true
      return xo.length === yo.length && alignedCount(this.outputSnakes(xo, yo)) === xo.length
    }
    const strict = (i: number, j: number) => {
      if (!cellMayMatch('strict', fa, i, fb, j)) return false
      const x = ca[i] as JsonObject
      const y = cb[j] as JsonObject
      if (!sameType(x, y) || !sim.textStrict(src(x), src(y))) return false
      if (x['cell_type'] !== 'code') return true
      const xo = outs(x)
      const yo = outs(y)
      if (xo.length !== yo.length) return false
      for (let k = 0; k < xo.length; k++) if (!sim.outputStrict(xo[k] as JsonObject, yo[k] as JsonObject)) return false
      return true
    }
    // Identical cells satisfy every similarity level; used only to anchor huge rectangles. A hash,
    // not an interned string: those strings would be as large as the notebooks (anchors are
    // checked with the level's own predicate, so a collision cannot align unlike cells).
    const contentToken = (side: 0 | 1, k: number) => {
      const c = (side === 0 ? ca : cb)[k] as JsonObject
      return hash53(canonical([c['cell_type'] ?? null, c['source'] ?? null, c['outputs'] ?? null]))
    }
    const ids = new Interner()
    const idTokens = (cells: JsonObject[]) =>
      cells.map((c) => (typeof c['id'] === 'string' && !unmatchableIds.has(c) ? ids.idOf(c['id']) : -1))
    const levels: LevelSnakes[] = [
      predicateSnakes(approximate, contentToken, this.limit, undefined, cellColumns('approximate', fa, fb)),
      predicateSnakes(moderate, contentToken, this.limit, undefined, cellColumns('moderate', fa, fb)),
      predicateSnakes(strict, contentToken, this.limit, undefined, cellColumns('strict', fa, fb)),
      tokenSnakes(idTokens(ca), idTokens(cb)),
    ]
    const snakes = computeSnakesMultilevel(levels, [0, 0, ca.length, cb.length])
    const cellDiffer = this.differFor('/cells/*', true)
    return this.fromSnakes(a, b, snakes, (x, y) => cellDiffer(x, y, '/cells/*'))
  }

  private outputSnakes(a: JsonObject[], b: JsonObject[]): Snake[] {
    const sim = this.sim
    const levels: LevelSnakes[] = [
      predicateSnakes((i, j) => sim.outputApproximate(a[i] as JsonObject, b[j] as JsonObject), undefined, Infinity),
      predicateSnakes((i, j) => sim.outputStrict(a[i] as JsonObject, b[j] as JsonObject), undefined, Infinity),
    ]
    return computeSnakesMultilevel(levels, [0, 0, a.length, b.length])
  }

  // `/cells/*/outputs`: multilevel `[approximate, strict]`.
  private diffOutputs(a: JsonValue[], b: JsonValue[]): DiffEntry[] {
    const snakes = this.outputSnakes(a as JsonObject[], b as JsonObject[])
    const d = this.differFor('/cells/*/outputs/*', true)
    return this.fromSnakes(a, b, snakes, (x, y) => d(x, y, '/cells/*/outputs/*'))
  }

  /** `diff_single_outputs`. */
  private diffSingleOutputs(a: JsonObject, b: JsonObject): DiffEntry[] {
    const ot = a['output_type']
    if ((ot === 'execute_result' || ot === 'display_data') && isObject(a['data']) && isObject(b['data'])) {
      const di = new MappingDiffBuilder()
      // The rest of the output is diffed with a default DiffConfig (so `-M` does not apply).
      const { data: da, ...restA } = a
      const { data: db, ...restB } = b
      for (const e of this.diffDicts(restA, restB, '', false)) di.append(e)
      di.patch(
        'data',
        this.within('data', () => this.diffMimeBundle(da as JsonObject, db as JsonObject)),
      )
      return di.validated()
    }
    // stream, error: the notebook config, but at the root path.
    return this.diffDicts(a, b, '', true)
  }

  /** `diff_attachments`: per name remove/add, same name → mime-bundle diff. */
  private diffAttachments(a: JsonValue, b: JsonValue): DiffEntry[] {
    if (!isObject(a) || !isObject(b)) throw new TypeError('attachments must be objects')
    const di = new MappingDiffBuilder()
    for (const key of Object.keys(a)) if (!Object.hasOwn(b, key)) di.remove(key)
    for (const key of Object.keys(a)) {
      if (!Object.hasOwn(b, key)) continue
      const av = a[key]
      const bv = b[key]
      if (isObject(av) && isObject(bv))
        di.patch(
          key,
          this.within(key, () => this.diffMimeBundle(av, bv)),
        )
      else if (!pyEqual(av, bv)) di.replace(key, bv as JsonValue)
    }
    for (const key of Object.keys(b)) if (!Object.hasOwn(a, key)) di.add(key, b[key] as JsonValue)
    return di.validated()
  }

  /** `diff_mime_bundle` + `add_mime_diff`. */
  private diffMimeBundle(a: JsonObject, b: JsonObject): DiffEntry[] {
    const di = new MappingDiffBuilder()
    for (const key of Object.keys(a)) if (!Object.hasOwn(b, key)) di.remove(key)
    for (const key of Object.keys(a)) {
      if (!Object.hasOwn(b, key)) continue
      const av = a[key] as JsonValue
      const bv = b[key] as JsonValue
      if (typeof av === 'string' && av === bv) continue
      const mt = key.toLowerCase()
      if (SPLIT_MIMES.some((m) => mt.startsWith(m)) && isContainer(av) && isContainer(bv) && sameKind(av, bv)) {
        di.patch(
          key,
          this.within(key, () => this.diff(av, bv, '', false)),
        )
      } else if (!pyEqual(av, bv)) {
        di.replace(key, bv)
      }
    }
    for (const key of Object.keys(b)) if (!Object.hasOwn(a, key)) di.add(key, b[key] as JsonValue)
    return di.validated()
  }
}

/** `diff_strings_by_char`: difflib opcodes over code points (offsets in code points). */
export function diffStringsByChar(a: string, b: string): DiffEntry[] {
  if (a === b) return []
  const ca = codePoints(a)
  const cb = codePoints(b)
  const di = new SequenceDiffBuilder()
  const slice = (lo: number, hi: number) => fromCodePoints(cb, lo, hi)
  for (const [tag, i1, i2, j1, j2] of new SequenceMatcher(ca, cb).getOpcodes()) {
    if (tag === 'replace') {
      di.removerange(i1, i2 - i1)
      di.addrange(i1, slice(j1, j2))
    } else if (tag === 'insert') {
      di.addrange(i1, slice(j1, j2))
    } else if (tag === 'delete') {
      di.removerange(i1, i2 - i1)
    }
  }
  return di.entries
}

function unlessEqual(inner: Differ): Differ {
  return (a, b, p) => (pyEqual(a, b) ? [] : inner(a, b, p))
}

function withoutKeys(inner: Differ, ...keys: string[]): Differ {
  return (a, b, p) => inner(a, b, p).filter((e) => !keys.includes(e.key as string))
}

function isContainer(v: JsonValue): boolean {
  return typeof v === 'string' || Array.isArray(v) || isObject(v)
}

function sameKind(a: JsonValue, b: JsonValue): boolean {
  if (typeof a === 'string') return typeof b === 'string'
  if (Array.isArray(a)) return Array.isArray(b)
  return isObject(a) && isObject(b)
}

function alignedCount(snakes: Snake[]): number {
  let n = 0
  for (const s of snakes) n += s[2]
  return n
}
