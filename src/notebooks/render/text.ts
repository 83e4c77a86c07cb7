/**
 * Terminal text in the style of `nbdiff` (jupyter/nbdime nbdime/prettyprint.py): `## <action> <path>:` per leaf change,
 * multiline strings as unified hunks with 3 lines of context, single-line values as `-  old` /
 * `+  new`, base64 snipped with an md5. Colours only when asked (the CLI asks on a TTY).
 *
 * Unlike nbdime, escape sequences and other control characters from the notebook (tracebacks
 * carry ANSI colours) are always removed: a diff must not be able to drive the reader's terminal.
 */
import { createHash } from 'node:crypto'
import type { DiffDegradation, DiffEntry, JsonValue, Notebook } from '../core/model.js'
import { DEGRADED_HEADING, describeDegradation } from './degraded.js'
import { leafChanges, lineText, type LeafChange, type LineRow } from './view.js'
import { isBase64Blob, stripAnsi } from './safe.js'

export interface TextRenderOptions {
  color?: boolean
  nameA?: string
  nameB?: string
  /** Lines of context around each hunk (git's default 3). */
  context?: number
  /** Where the diff is coarser than nbdime's (the native engine's caps): said under the header. */
  degraded?: readonly DiffDegradation[]
}

const ESC = {
  info: '\x1b[34m\x1b[1m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  cyan: '\x1b[36m',
  reset: '\x1b[0m',
}

export function renderNotebookDiffText(
  base: Notebook,
  diff: readonly DiffEntry[],
  options: TextRenderOptions = {},
): string {
  if (diff.length === 0) return ''
  const paint = (code: string, s: string) => (options.color ? `${code}${s}${ESC.reset}` : s)
  const out: string[] = []
  const nameA = options.nameA ?? 'a.ipynb'
  const nameB = options.nameB ?? 'b.ipynb'
  out.push(`nbdiff ${nameA} ${nameB}`, `--- ${nameA}`, `+++ ${nameB}`)
  if (options.degraded?.length) {
    out.push(
      paint(ESC.info, `# ${DEGRADED_HEADING}:`),
      ...options.degraded.map((d) => paint(ESC.info, `#   ${describeDegradation(d)}`)),
      '',
    )
  }
  for (const c of leafChanges(base, diff)) {
    out.push(paint(ESC.info, `## ${label(c)} ${c.path}:`))
    out.push(...body(c, options.context ?? 3, paint))
    out.push('')
  }
  return out.join('\n')
}

function label(c: LeafChange): string {
  if (c.action === 'inserted') return 'inserted before'
  if (c.action === 'replaced' && typeOf(c.before) !== typeOf(c.after))
    return `replaced (type changed from ${typeOf(c.before)} to ${typeOf(c.after)})`
  return c.action
}

const typeOf = (v: JsonValue | undefined) =>
  v === null || v === undefined
    ? 'None'
    : Array.isArray(v)
      ? 'list'
      : typeof v === 'object'
        ? 'dict'
        : typeof v === 'string'
          ? 'str'
          : typeof v === 'boolean'
            ? 'bool'
            : Number.isInteger(v)
              ? 'int'
              : 'float'

type Paint = (code: string, s: string) => string

function body(c: LeafChange, context: number, paint: Paint): string[] {
  if (c.action === 'modified' && c.rows) {
    const multiline =
      typeof c.before === 'string' && typeof c.after === 'string' && (c.before.includes('\n') || c.after.includes('\n'))
    if (multiline) return hunks(c.rows, context, paint)
  }
  const lines: string[] = []
  // Ranges of cells or outputs print item by item, like nbdime's printer.
  const items = (v: JsonValue) =>
    Array.isArray(v) && (c.action === 'inserted' || c.action === 'deleted')
      ? v.flatMap((x) => formatValue(x))
      : formatValue(v)
  if (c.before !== undefined && c.action !== 'added' && c.action !== 'inserted')
    lines.push(...prefixed('-  ', items(c.before), ESC.red, paint))
  if (c.after !== undefined && c.action !== 'removed' && c.action !== 'deleted')
    lines.push(...prefixed('+  ', items(c.after), ESC.green, paint))
  return lines
}

function prefixed(prefix: string, lines: string[], code: string, paint: Paint): string[] {
  return lines.map((l) => paint(code, prefix + l))
}

/** Unified hunks (`@@ -l,n +l,n @@`) from line rows. */
export function hunks(rows: readonly LineRow[], context: number, paint: Paint = (_c, s) => s): string[] {
  const changed = rows.map((r) => r.kind !== 'same')
  const out: string[] = []
  let k = 0
  while (k < rows.length) {
    if (!changed[k]) {
      k++
      continue
    }
    const start = Math.max(0, k - context)
    let end = k
    // Extend while the next change is within 2·context lines.
    for (;;) {
      while (end < rows.length && changed[end]) end++
      let next = end
      while (next < rows.length && !changed[next] && next - end < 2 * context) next++
      if (next < rows.length && changed[next] && next - end < 2 * context) end = next
      else break
    }
    const stop = Math.min(rows.length, end + context)
    const slice = rows.slice(start, stop)
    const aStart = firstNo(rows, start, 'a')
    const bStart = firstNo(rows, start, 'b')
    const aLen = slice.filter((r) => r.kind !== 'add').length
    const bLen = slice.filter((r) => r.kind !== 'del').length
    // git's form: the count is left out when it is 1.
    const range = (start: number, len: number) => (len === 1 ? `${start}` : `${len === 0 ? start - 1 : start},${len}`)
    out.push(paint(ESC.cyan, `@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@`))
    let dels: string[] = []
    let adds: string[] = []
    const flush = () => {
      out.push(...dels.map((l) => paint(ESC.red, `-${l}`)), ...adds.map((l) => paint(ESC.green, `+${l}`)))
      dels = []
      adds = []
    }
    for (const r of slice) {
      if (r.kind === 'same') {
        flush()
        out.push(` ${clean(r.text)}`)
      } else if (r.kind === 'del') dels.push(clean(r.text))
      else if (r.kind === 'add') adds.push(clean(r.text))
      else {
        dels.push(clean(lineText(r.a)))
        adds.push(clean(lineText(r.b)))
      }
    }
    flush()
    k = stop
  }
  return out
}

function firstNo(rows: readonly LineRow[], from: number, side: 'a' | 'b'): number {
  for (let k = from; k < rows.length; k++) {
    const r = rows[k]!
    if (side === 'a' && 'aNo' in r) return r.aNo
    if (side === 'b' && 'bNo' in r) return r.bNo
  }
  // Only insertions (or only deletions) from here: one past the previous line on that side.
  for (let k = from - 1; k >= 0; k--) {
    const r = rows[k]!
    if (side === 'a' && 'aNo' in r) return r.aNo + 1
    if (side === 'b' && 'bNo' in r) return r.bNo + 1
  }
  return 0
}

const clean = (line: string) => stripAnsi(line.replace(/(?:\r\n|\n|\r)$/, ''))

/** A value as indented lines: cells and outputs like nbdime's printer, others YAML-ish. */
export function formatValue(v: JsonValue, indent = ''): string[] {
  if (typeof v === 'string') {
    if (isBase64Blob(v))
      return [
        `${indent}${v.slice(0, 8)}...<snip base64, md5=${createHash('md5').update(v).digest('hex').slice(0, 16)}...>`,
      ]
    const lines = v.split(/\r\n|\n|\r/)
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop()
    return lines.map((l) => indent + clean(l))
  }
  if (v === null || typeof v !== 'object') return [`${indent}${JSON.stringify(v)}`]
  if (Array.isArray(v)) {
    if (
      v.every((x) => x === null || typeof x !== 'object') &&
      JSON.stringify(v).length < 80 &&
      !v.some((x) => typeof x === 'string' && x.includes('\n'))
    )
      return [`${indent}${clean(JSON.stringify(v))}`]
    return v.flatMap((x, k) => [`${indent}item[${k}]:`, ...formatValue(x, indent + '  ')])
  }
  const out: string[] = []
  const kind =
    typeof v['cell_type'] === 'string'
      ? `${v['cell_type']} cell:`
      : typeof v['output_type'] === 'string'
        ? 'output:'
        : null
  const inner = kind ? indent + '  ' : indent
  if (kind) out.push(indent + kind)
  for (const key of Object.keys(v).sort()) {
    const x = v[key]!
    if (kind && (key === 'cell_type' || (key === 'metadata' && isEmpty(x)))) continue
    const sub = formatValue(x, inner + '  ')
    if (sub.length === 1 && (x === null || typeof x !== 'object') && !(typeof x === 'string' && x.includes('\n')))
      out.push(`${inner}${key}: ${sub[0]!.trimStart()}`)
    else out.push(`${inner}${key}:`, ...sub)
  }
  return out
}

const isEmpty = (v: JsonValue) => v !== null && typeof v === 'object' && Object.keys(v).length === 0
