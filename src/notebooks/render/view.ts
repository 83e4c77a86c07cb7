/**
 * What every renderer needs from (base notebook, nbdime diff): cells and outputs paired up with a
 * status, strings as rows of lines with character-level highlights, and the remaining leaf changes
 * (metadata, execution counts, ids …) as flat path-labelled entries. Pure; no I/O.
 */
import type { Cell, DiffEntry, JsonObject, JsonValue, Notebook } from '../core/model.js'
import { applyChars, applyDiff } from './patch.js'
import { splitLinesKeepEnds } from '../core/text.js'

export type ItemStatus = 'unchanged' | 'added' | 'removed' | 'modified'

/** One item of a diffed sequence (a cell, an output) with its version on each side. */
export interface Paired<T> {
  status: ItemStatus
  a?: T
  b?: T
  aIndex?: number
  bIndex?: number
  /** The item's own diff when status is 'modified'. */
  diff?: DiffEntry[]
}

/** Walk a sequence diff: unchanged items, removed ranges, inserted values, patched items. */
export function pairSequence<T extends JsonValue>(
  base: readonly T[],
  diff: readonly DiffEntry[] | undefined,
): Paired<T>[] {
  const out: Paired<T>[] = []
  let i = 0
  let j = 0
  const keep = (until: number) => {
    for (; i < until && i < base.length; i++)
      out.push({ status: 'unchanged', a: base[i], b: base[i], aIndex: i, bIndex: j++ })
  }
  for (const e of diff ?? []) {
    keep(Number(e.key))
    if (e.op === 'addrange') for (const v of e.valuelist as T[]) out.push({ status: 'added', b: v, bIndex: j++ })
    else if (e.op === 'removerange')
      for (let k = 0; k < e.length && i < base.length; k++, i++) out.push({ status: 'removed', a: base[i], aIndex: i })
    else if (e.op === 'patch') {
      const a = base[i]!
      out.push({ status: 'modified', a, b: applyDiff(a, e.diff) as T, aIndex: i, bIndex: j++, diff: e.diff })
      i++
    }
  }
  keep(base.length)
  return out
}

export const entryFor = (diff: readonly DiffEntry[] | undefined, key: string): DiffEntry | undefined =>
  diff?.find((e) => e.key === key)

// ---- strings ------------------------------------------------------------------------------

export interface Segment {
  text: string
  changed: boolean
}
export type LineRow =
  | { kind: 'same'; text: string; aNo: number; bNo: number }
  | { kind: 'del'; text: string; aNo: number }
  | { kind: 'add'; text: string; bNo: number }
  | { kind: 'mod'; a: Segment[]; b: Segment[]; aNo: number; bNo: number }

/** Rows of a line-diffed string; `diff` undefined means unchanged. Line numbers count from 1. */
export function stringRows(base: string, diff: readonly DiffEntry[] | undefined): LineRow[] {
  const lines = splitLinesKeepEnds(base)
  const rows: LineRow[] = []
  let i = 0
  let bNo = 1
  const keep = (until: number) => {
    for (; i < until && i < lines.length; i++) rows.push({ kind: 'same', text: lines[i]!, aNo: i + 1, bNo: bNo++ })
  }
  for (const e of diff ?? []) {
    keep(Number(e.key))
    if (e.op === 'addrange') {
      const added = typeof e.valuelist === 'string' ? [e.valuelist] : (e.valuelist as string[])
      for (const text of added) rows.push({ kind: 'add', text, bNo: bNo++ })
    } else if (e.op === 'removerange') {
      for (let k = 0; k < e.length && i < lines.length; k++, i++)
        rows.push({ kind: 'del', text: lines[i]!, aNo: i + 1 })
    } else if (e.op === 'patch') {
      const [a, b] = charSegments(lines[i] ?? '', e.diff)
      rows.push({ kind: 'mod', a, b, aNo: i + 1, bNo: bNo++ })
      i++
    }
  }
  keep(lines.length)
  return rows
}

/** Rows for two whole strings of which one may be absent (added or removed values). */
export function wholeRows(text: string, kind: 'add' | 'del' | 'same'): LineRow[] {
  return splitLinesKeepEnds(text).map((t, k) =>
    kind === 'add'
      ? { kind, text: t, bNo: k + 1 }
      : kind === 'del'
        ? { kind, text: t, aNo: k + 1 }
        : { kind, text: t, aNo: k + 1, bNo: k + 1 },
  )
}

/** The old and new line as segments, changed characters marked (offsets are code points). */
export function charSegments(line: string, diff: readonly DiffEntry[]): [Segment[], Segment[]] {
  const chars = Array.from(line)
  const a: Segment[] = []
  const b: Segment[] = []
  const push = (to: Segment[], text: string, changed: boolean) => {
    if (!text) return
    const last = to[to.length - 1]
    if (last && last.changed === changed) last.text += text
    else to.push({ text, changed })
  }
  let take = 0
  for (const e of diff) {
    const key = Number(e.key)
    const same = chars.slice(take, key).join('')
    push(a, same, false)
    push(b, same, false)
    take = Math.max(take, key)
    if (e.op === 'addrange') push(b, typeof e.valuelist === 'string' ? e.valuelist : e.valuelist.join(''), true)
    else if (e.op === 'removerange') {
      push(a, chars.slice(key, key + e.length).join(''), true)
      take = key + e.length
    }
  }
  const rest = chars.slice(take).join('')
  push(a, rest, false)
  push(b, rest, false)
  return [a, b]
}

export const lineText = (segs: readonly Segment[]) => segs.map((s) => s.text).join('')

// ---- other leaf changes -------------------------------------------------------------------

export type LeafAction = 'modified' | 'added' | 'removed' | 'replaced' | 'inserted' | 'deleted'
export interface LeafChange {
  action: LeafAction
  /** nbdime-style path, e.g. `/cells/3/metadata/tags`. */
  path: string
  before?: JsonValue
  after?: JsonValue
  /** For 'modified' strings: the line rows. */
  rows?: LineRow[]
}

/** Every leaf of a diff below `path`, in diff order (dict keys sorted, addrange before removerange). */
export function leafChanges(base: JsonValue | undefined, diff: readonly DiffEntry[], path = ''): LeafChange[] {
  const out: LeafChange[] = []
  for (const e of diff) {
    const p = `${path}/${e.key}`
    const container = base as JsonObject & JsonValue[]
    const old =
      base !== undefined && base !== null && typeof base === 'object'
        ? (container[e.key as never] as JsonValue | undefined)
        : undefined
    if (e.op === 'add') out.push({ action: 'added', path: p, after: e.value })
    else if (e.op === 'remove') out.push({ action: 'removed', path: p, before: old })
    else if (e.op === 'replace') out.push({ action: 'replaced', path: p, before: old, after: e.value })
    else if (e.op === 'addrange') {
      const v = typeof e.valuelist === 'string' ? e.valuelist : e.valuelist
      out.push({ action: 'inserted', path: p, after: v })
    } else if (e.op === 'removerange') {
      const items = Array.isArray(base)
        ? base.slice(e.key, e.key + e.length)
        : typeof base === 'string'
          ? Array.from(base)
              .slice(e.key, e.key + e.length)
              .join('')
          : undefined
      out.push({
        action: 'deleted',
        path: e.length > 1 ? `${path}/${e.key}-${e.key + e.length - 1}` : p,
        before: items,
      })
    } else if (typeof old === 'string') {
      out.push({
        action: 'modified',
        path: p,
        before: old,
        after: applyDiff(old, e.diff),
        rows: stringRows(old, e.diff),
      })
    } else out.push(...leafChanges(old, e.diff, p))
  }
  return out
}

// ---- notebook summary ---------------------------------------------------------------------

export interface NotebookSummary {
  cellsAdded: number
  cellsRemoved: number
  cellsModified: number
  /** Cells whose outputs changed (added, removed or modified outputs). */
  outputsChanged: number
  sourcesChanged: number
  metadataChanged: boolean
}

export function pairCells(base: Notebook, diff: readonly DiffEntry[]): Paired<Cell>[] {
  const cellsEntry = entryFor(diff, 'cells')
  if (cellsEntry?.op === 'patch') return pairSequence(base.cells ?? [], cellsEntry.diff)
  if (cellsEntry?.op === 'add' || cellsEntry?.op === 'replace') {
    const removed = (base.cells ?? []).map((a, k): Paired<Cell> => ({ status: 'removed', a, aIndex: k }))
    return [
      ...removed,
      ...(cellsEntry.value as Cell[]).map((b, k): Paired<Cell> => ({ status: 'added', b, bIndex: k })),
    ]
  }
  if (cellsEntry?.op === 'remove') return (base.cells ?? []).map((a, k) => ({ status: 'removed', a, aIndex: k }))
  return pairSequence(base.cells ?? [], undefined)
}

export function summarize(base: Notebook, diff: readonly DiffEntry[]): NotebookSummary {
  const s: NotebookSummary = {
    cellsAdded: 0,
    cellsRemoved: 0,
    cellsModified: 0,
    outputsChanged: 0,
    sourcesChanged: 0,
    metadataChanged: false,
  }
  for (const c of pairCells(base, diff)) {
    if (c.status === 'added') s.cellsAdded++
    else if (c.status === 'removed') s.cellsRemoved++
    else if (c.status === 'modified') {
      s.cellsModified++
      if (entryFor(c.diff, 'outputs')) s.outputsChanged++
      if (entryFor(c.diff, 'source')) s.sourcesChanged++
    }
  }
  s.metadataChanged = diff.some((e) => e.key !== 'cells')
  return s
}

export { applyChars }
