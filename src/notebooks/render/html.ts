/**
 * One self-contained HTML page per notebook (and the parts of a push's page, diffs/page.ts): cells
 * side by side or unified (a CSS-only switch, no script), inline line and character highlights
 * from the diff's nested ops, changed images before/after, text outputs diffed, errors with their
 * tracebacks, metadata collapsed.
 *
 * The page contains no <script> and nothing from a notebook that could run: serve it with
 * `DIFF_PAGE_CSP` (re-exported here so routes and renderer cannot disagree).
 */
import type { Cell, DiffDegradation, DiffEntry, JsonObject, JsonValue, Notebook } from '../core/model.js'
import { DEGRADED_HEADING, describeDegradation } from './degraded.js'
import { attachmentsHtml, leafChangesHtml, lineTables, outputHtml, PAGE_CSS } from './html-parts.js'
import { escapeHtml as esc } from './safe.js'
import {
  entryFor,
  leafChanges,
  pairCells,
  pairSequence,
  stringRows,
  summarize,
  wholeRows,
  type NotebookSummary,
  type Paired,
} from './view.js'

export { DIFF_PAGE_CSP } from './safe.js'

export interface NotebookHtmlInput {
  base: Notebook
  diff: readonly DiffEntry[]
  nameA?: string
  nameB?: string
  title?: string
  /** Where the diff is coarser than nbdime's (the native engine's caps). */
  degraded?: readonly DiffDegradation[]
}

/** The page for one notebook diff. */
export function renderNotebookDiffHtml(input: NotebookHtmlInput): string {
  const nameA = input.nameA ?? 'a.ipynb'
  const nameB = input.nameB ?? 'b.ipynb'
  const title = input.title ?? `${nameA} → ${nameB}`
  const degraded = input.degraded ?? []
  const body = `<section class="file"><h2>${esc(title)}${summaryBadges(summarize(input.base, input.diff))}${degradedBadge(degraded)}</h2><div class="body">${degradedList(degraded)}${notebookBody(input.base, input.diff, degraded)}</div></section>`
  return page(title, '', body)
}

/** Embedded images stop here (per page); later ones are named, not shown. */
export const MAX_PAGE_IMAGE_BYTES = 40 * 2 ** 20

/**
 * Cap the data: images of a page. The regex only ever sees our own markup: notebook text is
 * escaped, so it cannot contain a literal `<img`.
 */
function capImages(html: string, maxBytes: number): string {
  let used = 0
  return html.replace(/<img alt="([^"]*)" src="(data:[^"]*)">/g, (whole, alt: string, uri: string) => {
    used += uri.length
    return used <= maxBytes
      ? whole
      : `<p class="note">${alt} not shown: the page's image budget (${Math.round(maxBytes / 2 ** 20)} MB) is used up</p>`
  })
}

/** A whole page around sections: the view switch, the CSS, the image budget. */
export function page(title: string, intro: string, body: string): string {
  body = capImages(body, MAX_PAGE_IMAGE_BYTES)
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${esc(title)}</title><style>${PAGE_CSS}</style></head>
<body><input type="radio" name="view" id="v-side" checked hidden><input type="radio" name="view" id="v-uni" hidden>
<header class="page"><strong>${esc(title)}</strong><span class="viewswitch"><label for="v-side">side by side</label> · <label for="v-uni">unified</label></span>${intro}</header>
<main>${body}</main></body></html>
`
}

/** A notebook section's heading badges and body, as on a push's page (diffs/page.ts). */
export function notebookBadges(summary: NotebookSummary, degraded: readonly DiffDegradation[]): string {
  return summaryBadges(summary) + degradedBadge(degraded)
}

export function notebookSectionBody(
  base: Notebook,
  diff: readonly DiffEntry[],
  degraded: readonly DiffDegradation[],
): string {
  return degradedList(degraded) + notebookBody(base, diff, degraded)
}

function summaryBadges(s: NotebookSummary): string {
  const parts = [
    s.cellsAdded && `${s.cellsAdded} added`,
    s.cellsRemoved && `${s.cellsRemoved} removed`,
    s.cellsModified && `${s.cellsModified} modified`,
    s.outputsChanged && `${s.outputsChanged} with changed outputs`,
    s.metadataChanged && 'metadata changed',
  ].filter(Boolean)
  return parts.map((p) => `<span class="badge">${esc(String(p))}</span>`).join('')
}

function degradedBadge(degraded: readonly DiffDegradation[]): string {
  return degraded.length ? '<span class="badge warn">shown coarser</span>' : ''
}

function degradedList(degraded: readonly DiffDegradation[]): string {
  if (!degraded.length) return ''
  return `<div class="degraded"><strong>${esc(DEGRADED_HEADING)}:</strong><ul>${degraded.map((d) => `<li>${esc(describeDegradation(d))}</li>`).join('')}</ul></div>`
}

function notebookBody(base: Notebook, diff: readonly DiffEntry[], degraded: readonly DiffDegradation[] = []): string {
  const out: string[] = []
  const nbLevel = diff.filter((e) => e.key !== 'cells')
  out.push(leafChangesHtml('notebook metadata and format changes', leafChanges(base, nbLevel)))
  let unchanged: Paired<Cell>[] = []
  const flush = () => {
    if (unchanged.length) out.push(unchangedRun(unchanged))
    unchanged = []
  }
  for (const c of pairCells(base, diff)) {
    if (c.status === 'unchanged') unchanged.push(c)
    else {
      flush()
      const here = c.aIndex === undefined ? [] : degraded.filter((d) => d.path.startsWith(`/cells/${c.aIndex}/`))
      out.push(cellHtml(c, here))
    }
  }
  flush()
  if (diff.length === 0) out.push('<p class="note">The notebooks are identical.</p>')
  return out.join('')
}

function unchangedRun(cells: readonly Paired<Cell>[]): string {
  const first = (cells[0]!.bIndex ?? 0) + 1
  const label = cells.length === 1 ? `cell ${first} unchanged` : `cells ${first}–${first + cells.length - 1} unchanged`
  const inner = cells.map((c) => `<pre>${esc(String(c.a?.source ?? ''))}</pre>`).join('<hr>')
  return `<details class="meta"><summary>${label}</summary>${inner}</details>`
}

function cellHtml(c: Paired<Cell>, degraded: readonly DiffDegradation[] = []): string {
  const cell = (c.b ?? c.a)!
  const where =
    c.status === 'added'
      ? `new cell ${c.bIndex! + 1}`
      : c.status === 'removed'
        ? `cell ${c.aIndex! + 1} removed`
        : `cell ${c.aIndex! + 1} → ${c.bIndex! + 1}`
  const type =
    c.a && c.b && c.a.cell_type !== c.b.cell_type ? `${c.a.cell_type} → ${c.b.cell_type}` : String(cell.cell_type)
  const parts = [
    `<h3>${esc(type)} · ${esc(where)} · ${c.status}</h3>`,
    ...degraded.map((d) => `<p class="degraded">${esc(describeDegradation(d))}</p>`),
  ]
  const src = entryFor(c.diff, 'source')
  if (c.status === 'added') parts.push(lineTables(wholeRows(String(cell.source ?? ''), 'add')))
  else if (c.status === 'removed') parts.push(lineTables(wholeRows(String(cell.source ?? ''), 'del')))
  else if (src?.op === 'patch' && typeof c.a!.source === 'string')
    parts.push(lineTables(stringRows(c.a!.source, src.diff)))
  else parts.push(lineTables(wholeRows(String(cell.source ?? ''), 'same')))

  parts.push(outputsHtml(c))
  const att = entryFor(c.diff, 'attachments')
  if (att || (c.status !== 'modified' && cell['attachments'])) {
    parts.push(
      `<div class="outs"><div class="out removed">${attachmentsHtml(c.a?.['attachments'])}</div><div class="out added">${attachmentsHtml(c.b?.['attachments'])}</div></div>`,
    )
  }
  if (c.status === 'modified') {
    const rest = (c.diff ?? []).filter((e) => e.key !== 'source' && e.key !== 'outputs' && e.key !== 'attachments')
    parts.push(leafChangesHtml('cell metadata, execution count, id', leafChanges(c.a, rest)))
  }
  return `<section class="cell ${c.status}">${parts.join('')}</section>`
}

/** Outputs in two columns, before and after; modified text outputs also get a line diff. */
function outputsHtml(c: Paired<Cell>): string {
  const aOuts = (c.a?.['outputs'] ?? []) as JsonObject[]
  const bOuts = (c.b?.['outputs'] ?? []) as JsonObject[]
  if (!aOuts.length && !bOuts.length) return ''
  const entry = entryFor(c.diff, 'outputs')
  if (c.status === 'modified' && !entry)
    return `<details class="meta"><summary>outputs unchanged (${aOuts.length})</summary>${aOuts.map((o) => `<div class="out">${outputHtml(o)}</div>`).join('')}</details>`
  const pairs: Paired<JsonObject>[] =
    c.status === 'added'
      ? bOuts.map((b) => ({ status: 'added', b }))
      : c.status === 'removed'
        ? aOuts.map((a) => ({ status: 'removed', a }))
        : entry?.op === 'patch'
          ? pairSequence(aOuts, entry.diff)
          : [
              ...aOuts.map((a): Paired<JsonObject> => ({ status: 'removed', a })),
              ...bOuts.map((b): Paired<JsonObject> => ({ status: 'added', b })),
            ]
  const left: string[] = []
  const right: string[] = []
  const diffs: string[] = []
  for (const p of pairs) {
    if (p.a) left.push(`<div class="out ${p.status === 'unchanged' ? '' : 'removed'}">${outputHtml(p.a)}</div>`)
    if (p.b) right.push(`<div class="out ${p.status === 'unchanged' ? '' : 'added'}">${outputHtml(p.b)}</div>`)
    if (p.status === 'modified') {
      const leaves = leafChanges(p.a as JsonValue, p.diff ?? [])
      for (const l of leaves.filter((x) => x.rows))
        diffs.push(`<p><code>${esc(l.path.slice(1))}</code></p>${lineTables(l.rows!)}`)
      diffs.push(
        leafChangesHtml(
          'output metadata and counts',
          leaves.filter((x) => !x.rows),
        ),
      )
    }
  }
  return `<div class="outs"><div>${left.join('')}</div><div>${right.join('')}</div></div>${diffs.join('')}`
}
