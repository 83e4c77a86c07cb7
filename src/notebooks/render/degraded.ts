/**
 * How a diff made coarser than nbdime's (to stay within the caps, see `DiffOptions`) says so: one
 * sentence per string, the same on the page, in text, Markdown and notices. Pure.
 */
import type { DiffDegradation } from '../core/model.js'

/** `/cells/3/source` → "cell 4 source"; `/cells/3/outputs/0/text` → "cell 4 output 1 text". */
export function degradedWhere(path: string): string {
  const parts = path.split('/').slice(1)
  const words: string[] = []
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k] as string
    const next = parts[k + 1]
    if ((p === 'cells' || p === 'outputs') && next !== undefined && /^\d+$/.test(next)) {
      words.push(`${p === 'cells' ? 'cell' : 'output'} ${Number(next) + 1}`)
      k++
    } else words.push(p)
  }
  return words.join(' ') || 'notebook'
}

const n = (x: number) => x.toLocaleString('en-US')

export function describeDegradation(d: DiffDegradation): string {
  const where = degradedWhere(d.path)
  if (d.kind === 'lines') {
    return `${where}: ${n(d.removed)} → ${n(d.added)} changed lines, too many to align within ${n(d.limit)} line pairs (diffs.maxLinePairs): shown removed and added`
  }
  return `${where}: changed lines over ${n(d.limit)} characters (diffs.maxLineChars) shown removed and added, not diffed character by character`
}

/** The heading every renderer puts over the list. */
export const DEGRADED_HEADING = 'Shown coarser than a full diff, to keep it fast'
