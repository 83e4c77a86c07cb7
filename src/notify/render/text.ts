// The plain-text notice: the mail's text part and what `notify test` prints.
import { metricTableText } from '../../metrics/table.js'
import { facts, headline, shortSha, TEST_NOTICE_NOTE, type Notice } from '../model.js'

export function renderText(n: Notice): string {
  const out: string[] = [headline(n), '']
  if (n.test) out.push(TEST_NOTICE_NOTE, '')
  const f = facts(n)
  const width = Math.max(...f.map(([k]) => k.length))
  for (const [k, v] of f) out.push(`${`${k}:`.padEnd(width + 2)}${v}`)
  if (n.buildUrl) out.push(`${'Build:'.padEnd(width + 2)}${n.buildUrl}`)
  if (n.commits.length > 0) {
    out.push('', 'Changes:')
    for (const c of n.commits) out.push(`  ${shortSha(c.id)} ${c.message} (${c.author})`)
    if (n.moreCommits > 0) out.push(`  … and ${n.moreCommits} more`)
  }
  if (n.failedTests.length > 0) out.push('', 'Failed tests:', ...n.failedTests.map((t) => `  ${t}`))
  if (n.metricTable) out.push('', ...metricTableText(n.metricTable))
  if (n.signoffs?.length) out.push('', 'Sign-off:', ...n.signoffs.map((l) => `  ${l}`))
  if (n.parity?.length) out.push('', ...n.parity)
  if (n.metrics.length > 0) {
    out.push('', 'Metric gate:')
    for (const m of n.metrics)
      out.push(`  ${m.ok ? 'ok  ' : 'FAIL'} ${m.name} = ${m.value} (min ${m.min ?? '-'}, max ${m.max ?? '-'})`)
  }
  if (n.notebookSummaryText || n.diffUrl) {
    out.push('', 'Notebooks:')
    if (n.notebookSummaryText) out.push(n.notebookSummaryText.trimEnd())
    if (n.diffUrl) out.push(`Diff: ${n.diffUrl}`)
  }
  if (n.logExcerpt) out.push('', 'Console (last lines):', ...n.logExcerpt.split('\n').map((l) => `  ${l}`))
  out.push('', '-- ', `Tamer · ${n.tenant}`)
  return out.join('\n') + '\n'
}
