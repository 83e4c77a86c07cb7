// The dev/prod parity comparison (issue #15 item 3): the predictions the repository's development run
// produced on its reference input against those the freshly built image produced on the same input.
// Row count and order first, then every column of the reference, row by row: a score column within
// its absolute tolerance, every other column exactly. Nothing here throws on what the image wrote: a
// file that is not CSV, a missing column or a score that is not a number is a mismatch with a reason.
import { parse } from 'csv-parse/sync'

export interface ParitySpec {
  /** score columns and their absolute tolerance; every other column of the reference is compared exactly */
  scores: Record<string, number>
  /** a column identifying each row: names rows in the differences and tells "another order" from "other rows" */
  key?: string | null
}

export interface ParityDifference {
  /** 1-based data row (the header is row 0) */
  row: number
  /** the key column's value in the reference, when a key is set */
  key: string | null
  column: string
  expected: string
  actual: string
  /** |actual − expected| for scores; null for labels and for values that are not numbers */
  diff: number | null
}

export interface ParityColumn {
  name: string
  kind: 'label' | 'score'
  tolerance: number | null
  mismatches: number
  /** the largest |difference| of a score column's numeric values */
  maxDiff: number | null
}

export interface ParityComparison {
  pass: boolean
  reasons: string[]
  rows: { reference: number; image: number }
  columns: ParityColumn[]
  /** the largest differences, at most MAX_DIFFERENCES: non-numeric and label mismatches first */
  differences: ParityDifference[]
}

export const MAX_DIFFERENCES = 10
const CELL = 60

export interface Table {
  header: string[]
  rows: string[][]
}

/** CSV with a header row (RFC 4180 as csv-parse reads it), or the reason it is not. */
export function readCsv(text: string): Table | { error: string } {
  try {
    const records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][]
    const [header, ...rows] = records
    if (!header) return { error: 'it is empty (no header row)' }
    const seen = new Set<string>()
    for (const h of header) {
      if (seen.has(h)) return { error: `the header names column ${JSON.stringify(cut(h))} twice` }
      seen.add(h)
    }
    return { header, rows }
  } catch (err) {
    return { error: `not valid CSV: ${cut((err as Error).message, 160)}` }
  }
}

const cut = (s: string, n = CELL) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

/** A finite number as Python or R writes one (`0.5`, `-1e-3`, ` 2 `), else null. */
function numberOf(s: string): number | null {
  const t = s.trim()
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null
  const n = Number(t)
  return Number.isFinite(n) ? n : null
}

/** 6 significant digits; small ones as `1e-6`, the way tolerances are written. */
export function fmt(n: number): string {
  const v = Number(n.toPrecision(6))
  return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential() : String(v)
}

export function compareParity(reference: Table, image: Table, spec: ParitySpec): ParityComparison {
  const reasons: string[] = []
  const at = new Map(image.header.map((h, i) => [h, i]))
  const missing = reference.header.filter((h) => !at.has(h))
  if (missing.length > 0)
    reasons.push(`the image's predictions have no column ${missing.map((m) => JSON.stringify(cut(m))).join(', ')}`)
  for (const s of Object.keys(spec.scores))
    if (!reference.header.includes(s)) reasons.push(`score column ${JSON.stringify(cut(s))} is not in the reference`)
  const nRef = reference.rows.length
  const nImg = image.rows.length
  if (nRef !== nImg) reasons.push(`row count: ${nRef} in the reference, ${nImg} from the image`)

  const keyAt = spec.key ? reference.header.indexOf(spec.key) : -1
  const imgKeyAt = spec.key ? (at.get(spec.key) ?? -1) : -1
  if (spec.key && keyAt < 0) reasons.push(`key column ${JSON.stringify(cut(spec.key))} is not in the reference`)
  if (keyAt >= 0 && imgKeyAt >= 0) {
    const a = reference.rows.map((r) => r[keyAt]!)
    const b = image.rows.map((r) => r[imgKeyAt]!)
    const first = a.findIndex((k, i) => k !== b[i])
    if (first >= 0 && first < Math.min(a.length, b.length)) {
      const sa = [...a].sort()
      const sb = [...b].sort()
      const same = a.length === b.length && sa.every((k, i) => k === sb[i])
      reasons.push(
        same
          ? `the rows are in another order (by ${spec.key}): row ${first + 1} is ${JSON.stringify(cut(b[first]!))}, the reference has ${JSON.stringify(cut(a[first]!))}`
          : `other rows (by ${spec.key}): row ${first + 1} is ${JSON.stringify(cut(b[first]!))}, the reference has ${JSON.stringify(cut(a[first]!))}`,
      )
    }
  }

  const columns: ParityColumn[] = []
  const diffs: ParityDifference[] = []
  const n = Math.min(nRef, nImg)
  for (const [ci, name] of reference.header.entries()) {
    const tolerance = Object.hasOwn(spec.scores, name) ? spec.scores[name]! : null
    const col: ParityColumn = {
      name,
      kind: tolerance === null ? 'label' : 'score',
      tolerance,
      mismatches: 0,
      maxDiff: null,
    }
    columns.push(col)
    const ii = at.get(name)
    if (ii === undefined) continue
    for (let r = 0; r < n; r++) {
      const expected = reference.rows[r]![ci]!
      const actual = image.rows[r]![ii]!
      if (expected === actual) continue
      let diff: number | null = null
      if (tolerance !== null) {
        const e = numberOf(expected)
        const a = numberOf(actual)
        if (e !== null && a !== null) {
          diff = Math.abs(a - e)
          col.maxDiff = Math.max(col.maxDiff ?? 0, diff)
          if (diff <= tolerance) continue
        }
      }
      col.mismatches++
      const key = keyAt >= 0 ? reference.rows[r]![keyAt]! : null
      diffs.push({ row: r + 1, key, column: name, expected: cut(expected), actual: cut(actual), diff })
    }
    if (col.mismatches > 0) {
      const nan = tolerance !== null && diffs.some((d) => d.column === name && d.diff === null)
      reasons.push(
        tolerance === null
          ? `${name}: ${col.mismatches} of ${n} rows differ`
          : `${name}: ${col.mismatches} of ${n} rows differ by more than ${fmt(tolerance)}` +
              (col.maxDiff !== null ? ` (largest ${fmt(col.maxDiff)})` : '') +
              (nan ? '; some values are not numbers' : ''),
      )
    }
  }
  // The largest first: what is not a number (or a label) outranks any numeric difference.
  diffs.sort((x, y) => (y.diff ?? Infinity) - (x.diff ?? Infinity) || x.row - y.row)
  return {
    pass: reasons.length === 0,
    reasons,
    rows: { reference: nRef, image: nImg },
    columns,
    differences: diffs.slice(0, MAX_DIFFERENCES),
  }
}
