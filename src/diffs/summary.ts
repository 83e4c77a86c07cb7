// A push's summary for mails, chat and PR comments, in Markdown or plain text: a header line, the
// push's notes, then one block per file, notebooks first (their blocks come from
// notebooks/render/markdown.ts), cut to a size budget.
import { fitBudget, notebookBlock, type MarkdownOptions } from '../notebooks/render/markdown.js'
import { MARKDOWN, PLAIN_TEXT, type SummaryMarkup } from '../notebooks/render/markup.js'
import type { FileDiff, PushDiff } from './model.js'

export function renderPushSummaryMarkdown(push: PushDiff, options: MarkdownOptions = {}): string {
  return renderPushSummary(push, MARKDOWN, options)
}

/** The same summary as plain text: a mail's text/plain part shows no Markdown marks. */
export function renderPushSummaryText(push: PushDiff, options: MarkdownOptions = {}): string {
  return renderPushSummary(push, PLAIN_TEXT, options)
}

function renderPushSummary(push: PushDiff, m: SummaryMarkup, options: MarkdownOptions): string {
  const header = `${m.strong(m.text(push.repository))} ${push.ref ? `${m.code(push.ref)} ` : ''}${push.base.slice(0, 7)}…${push.head.slice(0, 7)}: ${push.files.length} file${push.files.length === 1 ? '' : 's'} changed`
  // Notebooks first: they are what this summary is for (the sort is stable: in push order otherwise).
  const files = [...push.files].sort((x, y) => Number(headed(y)) - Number(headed(x)))
  const blocks = files.map((f) => fileBlock(f, options.perNotebook ?? 8, m))
  return fitBudget([header, ...push.notes.map((n) => m.note(m.text(n))), ...blocks], options.budget ?? 3000, m)
}

/** A diffed notebook, or one too large to diff in time: both get a heading. */
const headed = (f: FileDiff) => f.kind === 'notebook' || (f.kind === 'note' && f.reason === 'time-limit')

function fileBlock(f: FileDiff, per: number, m: SummaryMarkup): string {
  if (f.kind === 'notebook') return notebookBlock(f.path, f.status, f.base, f.diff, per, f.degraded ?? [], m)
  // A heading like a diffed notebook's: it is a notebook, and what it says matters as much.
  if (f.kind === 'note' && f.reason === 'time-limit')
    return `${m.heading(`${m.code(f.path)} (${f.status})`)}\n${m.strong(m.text(f.note.replace(/; plain-text diff below$/, '')))}; the diff page shows it as plain text.`
  if (f.kind === 'note') return `- ${m.code(f.path)} (${f.status}): ${m.text(f.note)}`
  return `- ${m.code(f.path)} (${f.status}${f.oldPath && f.oldPath !== f.path ? ` from ${m.code(f.oldPath)}` : ''})`
}
