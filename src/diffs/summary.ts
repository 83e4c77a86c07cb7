// A push's Markdown summary for mails, chat and PR comments: a header line, the push's notes, then
// one block per file, notebooks first (their blocks come from notebooks/render/markdown.ts), cut to
// a size budget.
import { code, fitBudget, md, notebookBlock, type MarkdownOptions } from '../notebooks/render/markdown.js'
import type { FileDiff, PushDiff } from './model.js'

export function renderPushSummaryMarkdown(push: PushDiff, options: MarkdownOptions = {}): string {
  const header = `**${md(push.repository)}** ${push.ref ? `\`${code(push.ref)}\` ` : ''}${push.base.slice(0, 7)}…${push.head.slice(0, 7)}: ${push.files.length} file${push.files.length === 1 ? '' : 's'} changed`
  const blocks = push.files.map((f) => fileBlock(f, options.perNotebook ?? 8))
  // Notebooks first: they are what this summary is for.
  blocks.sort((x, y) => Number(y.startsWith('###')) - Number(x.startsWith('###')))
  return fitBudget([header, ...push.notes.map((n) => `_${md(n)}_`), ...blocks], options.budget ?? 3000)
}

function fileBlock(f: FileDiff, per: number): string {
  if (f.kind === 'notebook') return notebookBlock(f.path, f.status, f.base, f.diff, per, f.degraded ?? [])
  // A heading like a diffed notebook's: it is a notebook, and what it says matters as much.
  if (f.kind === 'note' && f.reason === 'time-limit') return `### \`${code(f.path)}\` (${f.status})\n**${md(f.note.replace(/; plain-text diff below$/, ''))}**; the diff page shows it as plain text.`
  if (f.kind === 'note') return `- \`${code(f.path)}\` (${f.status}): ${md(f.note)}`
  return `- \`${code(f.path)}\` (${f.status}${f.oldPath && f.oldPath !== f.path ? ` from \`${code(f.oldPath)}\`` : ''})`
}
