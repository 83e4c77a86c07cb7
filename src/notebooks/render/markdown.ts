/**
 * A notebook's diff summary for mails, chat and PR comments, in Markdown or plain text (markup.ts):
 * the counts of added, removed and modified cells and of cells with changed outputs, then the
 * changes cell by cell in notebook order — new errors, printed numbers that moved (a metric),
 * re-drawn plots, edited sources; when there are more than fit, the most telling ones are kept —
 * cut to a size budget with "… and N more".
 */
import type { Cell, DiffDegradation, DiffEntry, JsonObject, JsonValue, Notebook } from '../core/model.js'
import { DEGRADED_HEADING, describeDegradation } from './degraded.js'
import { MARKDOWN, type SummaryMarkup } from './markup.js'
import { stripAnsi } from './safe.js'
import { entryFor, leafChanges, lineText, pairCells, pairSequence, summarize, type Paired } from './view.js'

export interface MarkdownOptions {
  /** Maximum characters of the whole summary (default 3,000; chat tools cut longer messages). */
  budget?: number
  /** Most changes listed per notebook (default 8). */
  perNotebook?: number
}

interface Finding {
  score: number
  /** Where in the notebook: the cell's place in the diff, then 0 for its source, 1 + k for its output k. */
  at: [number, number]
  text: string
}

const byPlace = (x: Finding, y: Finding) => x.at[0] - y.at[0] || x.at[1] - y.at[1]

export function renderNotebookSummaryMarkdown(
  name: string,
  base: Notebook,
  diff: readonly DiffEntry[],
  options: MarkdownOptions = {},
  degraded: readonly DiffDegradation[] = [],
): string {
  return fitBudget(
    [notebookBlock(name, 'modified', base, diff, options.perNotebook ?? 8, degraded)],
    options.budget ?? 3000,
  )
}

/**
 * One notebook's block: heading, counts, the changes in notebook order (also in a push's summary, diffs/summary.ts).
 */
export function notebookBlock(
  name: string,
  status: string,
  base: Notebook,
  diff: readonly DiffEntry[],
  per: number,
  degraded: readonly DiffDegradation[] = [],
  m: SummaryMarkup = MARKDOWN,
): string {
  const s = summarize(base, diff)
  const counts = [`${s.cellsAdded} added`, `${s.cellsRemoved} removed`, `${s.cellsModified} modified`].join(', ')
  const lines = [
    m.heading(`${m.code(name)} (${status})`),
    `Cells: ${counts}; outputs changed in ${s.outputsChanged} cell${s.outputsChanged === 1 ? '' : 's'}${s.metadataChanged ? '; notebook metadata changed' : ''}.`,
  ]
  if (degraded.length)
    lines.push(m.note(`${DEGRADED_HEADING}: ${degraded.map((d) => m.text(describeDegradation(d))).join('; ')}.`))
  const findings = pairCells(base, diff).flatMap((c, k) => findingsOf(c, k, m))
  // Over the limit the most telling changes stay (ties: the earlier); shown as the notebook reads.
  const kept = [...findings]
    .sort((x, y) => y.score - x.score || byPlace(x, y))
    .slice(0, per)
    .sort(byPlace)
  for (const f of kept) lines.push(`- ${f.text}`)
  if (findings.length > per)
    lines.push(`- … and ${findings.length - per} more change${findings.length - per === 1 ? '' : 's'}`)
  return lines.join('\n')
}

function findingsOf(c: Paired<Cell>, k: number, m: SummaryMarkup): Finding[] {
  const where = c.status === 'added' ? `new cell ${c.bIndex! + 1}` : `cell ${c.aIndex! + 1}`
  const cell = (c.b ?? c.a)!
  if (c.status === 'added' || c.status === 'removed') {
    const first = firstLine(String(cell.source ?? ''))
    const errors = ((cell['outputs'] ?? []) as JsonObject[]).filter((o) => o['output_type'] === 'error')
    const out: Finding[] = [
      {
        score: 2,
        at: [k, 0],
        text: `${c.status === 'added' ? 'added' : 'removed'} ${cell.cell_type} ${where}${first ? `: ${m.snippet(first)}` : ''}`,
      },
    ]
    if (c.status === 'added')
      for (const e of errors) out.push({ score: 9, at: [k, 1], text: `${where} raises ${errorText(e, m)}` })
    return out
  }
  if (c.status !== 'modified') return []
  const out: Finding[] = []
  const src = entryFor(c.diff, 'source')
  if (src?.op === 'patch') {
    const changes = leafChanges(c.a, [src])[0]
    const rows = changes?.rows?.filter((r) => r.kind !== 'same') ?? []
    const sample = rows.find((r) => r.kind === 'mod' || r.kind === 'add')
    const shown = sample ? (sample.kind === 'mod' ? lineText(sample.b) : sample.text) : ''
    out.push({
      score: 3,
      at: [k, 0],
      text: `${where}: source edited (${rows.length} line${rows.length === 1 ? '' : 's'})${shown.trim() ? `, e.g. ${m.snippet(firstLine(shown))}` : ''}`,
    })
  }
  const outputs = entryFor(c.diff, 'outputs')
  if (outputs?.op === 'patch') {
    for (const [j, p] of pairSequence((c.a!['outputs'] ?? []) as JsonObject[], outputs.diff).entries())
      out.push(...outputFindings(p, where, [k, 1 + j], m))
  }
  return out
}

function outputFindings(p: Paired<JsonObject>, where: string, at: [number, number], m: SummaryMarkup): Finding[] {
  const o = (p.b ?? p.a)!
  const type = o['output_type']
  if (type === 'error' && p.status === 'added')
    return [{ score: 9, at, text: `${where} now raises ${errorText(o, m)}` }]
  if (type === 'error' && p.status === 'removed')
    return [{ score: 6, at, text: `${where} no longer raises ${errorText(o, m)}` }]
  const data = (o['data'] ?? {}) as JsonObject
  if ((p.status === 'added' || p.status === 'removed') && ('image/png' in data || 'image/jpeg' in data))
    return [
      {
        score: p.status === 'added' ? 4 : 1,
        at,
        text: `${where}: plot ${p.status === 'added' ? 're-drawn / added' : 'removed'}`,
      },
    ]
  if (p.status !== 'modified')
    return p.status === 'added' ? [{ score: 2, at, text: `${where}: new ${String(type)} output` }] : []
  const found: Finding[] = []
  for (const leaf of leafChanges(p.a as JsonValue, p.diff ?? [])) {
    for (const r of leaf.rows ?? []) {
      if (r.kind !== 'mod') continue
      const move = numberMove(lineText(r.a), lineText(r.b))
      // A bare number has no words to name it: "output 1000 → 1200", not the value twice.
      if (move)
        found.push({
          score: 8,
          at,
          text: `${where}: ${move.label ? m.code(move.label) : 'output'} ${move.from} → ${move.to}`,
        })
    }
  }
  return found.length ? found : [{ score: 5, at, text: `${where}: ${String(type)} output changed` }]
}

const NUMBER = /[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?%?/g

/**
 * "accuracy: 0.91" → "accuracy: 0.93": same words, different numbers. The label is the words before the first moved
 * number ('' when none).
 */
export function numberMove(a: string, b: string): { label: string; from: string; to: string } | null {
  const sa = stripAnsi(a).trim()
  const sb = stripAnsi(b).trim()
  if (sa.replace(NUMBER, '#') !== sb.replace(NUMBER, '#')) return null
  const na = [...sa.matchAll(NUMBER)]
  const nb = [...sb.matchAll(NUMBER)].map((x) => x[0])
  const k = na.findIndex((x, i) => x[0] !== nb[i])
  if (k < 0) return null
  // Cut at the number's own position: the same digits may occur earlier ("10 epochs: loss 1").
  const label = sa.slice(0, na[k]!.index).replace(/[\s:=]+$/, '')
  // Only brackets or signs before it ("(12000, 18)"): no words to name the number, so a short
  // value is shown whole, a long one as its numbers.
  if (!/\p{L}/u.test(label) && sa.length <= 40) return { label: '', from: sa, to: sb }
  const moved = na.map((x, i) => [x[0], nb[i]!] as const).filter(([x, y]) => x !== y)
  const named = /\p{L}/u.test(label) ? label.slice(-60) : ''
  return { label: named, from: moved.map(([x]) => x).join(', '), to: moved.map(([, y]) => y).join(', ') }
}

const errorText = (o: JsonObject, m: SummaryMarkup) =>
  m.snippet(`${String(o['ename'] ?? 'Error')}: ${String(o['evalue'] ?? '')}`)
const firstLine = (s: string) =>
  stripAnsi(s)
    .split('\n')
    .find((l) => l.trim()) ?? ''

/** Blocks joined until the budget, then cut at a line with "… more changes not shown". */
export function fitBudget(blocks: string[], budget: number, m: SummaryMarkup = MARKDOWN): string {
  const out: string[] = []
  let used = 0
  for (const [k, b] of blocks.entries()) {
    const rest = blocks.length - k
    if (used + b.length + 2 > budget - 40) {
      // Cut a block at a line boundary rather than dropping it whole.
      const lines = b.split('\n')
      const kept: string[] = []
      for (const l of lines) if (used + kept.join('\n').length + l.length + 3 < budget - 40) kept.push(l)
      if (kept.length) out.push(kept.join('\n'))
      out.push(
        m.note(
          `… ${rest - (kept.length ? 1 : 0) > 0 ? `${rest - (kept.length ? 1 : 0)} more file(s) and ` : ''}more changes not shown`,
        ),
      )
      break
    }
    out.push(b)
    used += b.length + 2
  }
  return out.join('\n\n') + '\n'
}
