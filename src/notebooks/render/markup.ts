/**
 * The two markups of a diff summary: Markdown for chat and PR comments, plain text for a mail's
 * text/plain part and terminals, where `**name**` and `### path` would be noise (issue #11).
 * The summary is written once against this interface; only the marks differ.
 */
import { stripAnsi } from './safe.js'

export interface SummaryMarkup {
  /** A file's heading line (content already marked up). */
  heading(s: string): string
  /** A name or value as typed: a path, a ref, a label. */
  code(s: string): string
  /** A snippet of a notebook's source or output: one line, bounded. */
  snippet(s: string): string
  strong(s: string): string
  /** An aside: a push's notes, what the budget left out. */
  note(s: string): string
  /** Prose from outside Tamer (a note, a degradation): as text, never markup. */
  text(s: string): string
}

/** One line, no backticks, bounded: a name or snippet shown inline. */
export function inline(s: string): string {
  const one = stripAnsi(s).replace(/`/g, "'").replace(/\s+/g, ' ').trim()
  return one.length > 100 ? `${one.slice(0, 99)}…` : one
}

/** Text with Markdown's markup characters escaped. */
export const md = (s: string) => stripAnsi(s).replace(/([\\`*_[\]<>#|])/g, '\\$1')

export const MARKDOWN: SummaryMarkup = {
  heading: (s) => `### ${s}`,
  code: (s) => `\`${inline(s)}\``,
  snippet: (s) => `\`${inline(s)}\``,
  strong: (s) => `**${s}**`,
  note: (s) => `_${s}_`,
  text: md,
}

export const PLAIN_TEXT: SummaryMarkup = {
  heading: (s) => s,
  code: (s) => inline(s),
  snippet: (s) => `"${inline(s)}"`,
  strong: (s) => s,
  note: (s) => s,
  text: (s) => stripAnsi(s),
}
