// The parity result as plain lines for notices (mail text and HTML, chat): the verdict with its
// reasons, the largest differences and the package-version diff between development and the image.
import { fmt } from './compare.js'
import type { ParityResult } from './result.js'

const SHOWN_DIFFERENCES = 5
const SHOWN_PACKAGES = 10

export function parityHeadline(r: ParityResult): string {
  return r.pass
    ? `Dev/prod parity: passed (${r.rows.reference} rows, ${r.columns.length} columns as in development)`
    : 'Dev/prod parity: FAILED'
}

/** The lines under the headline. */
export function parityLines(r: ParityResult): string[] {
  const out: string[] = []
  for (const reason of r.reasons) out.push(`- ${reason}`)
  const diffs = r.differences.slice(0, SHOWN_DIFFERENCES)
  if (diffs.length > 0) {
    out.push('Largest differences:')
    for (const d of diffs)
      out.push(
        `  row ${d.row}${d.key !== null ? ` (${d.key})` : ''} ${d.column}: development ${d.expected}, image ${d.actual}` +
          (d.diff !== null ? ` (difference ${fmt(d.diff)})` : ''),
      )
  }
  if (r.packages && r.packages.length > 0) {
    out.push(`Package versions, development -> image (${r.reference.packages ?? 'packages'}):`)
    for (const p of r.packages.slice(0, SHOWN_PACKAGES))
      out.push(`  ${p.name} ${p.dev ?? '(none)'} -> ${p.image ?? '(none)'}`)
    if (r.packagesChanged > SHOWN_PACKAGES) out.push(`  … and ${r.packagesChanged - SHOWN_PACKAGES} more`)
  } else if (r.packages) out.push('Package versions: the same in development and the image')
  for (const note of r.notes) out.push(`Note: ${note}`)
  return out
}

/** For the PR comment: the headline in bold, the rest as a code block (nothing in it is Markdown). */
export function parityMarkdown(r: ParityResult): string {
  const lines = parityLines(r).map((l) => l.replaceAll('`', "'"))
  return `**${parityHeadline(r)}**` + (lines.length > 0 ? `\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`` : '')
}

/** Headline and lines, for the places that take one list. */
export const parityText = (r: ParityResult): string[] => [parityHeadline(r), ...parityLines(r)]
