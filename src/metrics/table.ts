// The metric table of a gate's verdict (value, threshold, default-branch value, delta, pass/fail),
// rendered for notices (text, and rows the mail's HTML escapes) and as Markdown for the PR comment
// (issue #13 includes `metricTableMarkdown`). One row per metric, thresholded ones first.
import type { MetricResult, Verdict } from './evaluate.js'

export interface MetricTableRow {
  metric: string
  value: string
  threshold: string
  baseline: string
  delta: string
  /** `pass`, `FAIL`, or `–` for a metric without a threshold */
  status: string
  reason: string | null
}

export interface MetricTable {
  pass: boolean
  /** `main @ 1a2b3c4d5e (#12)`, or null when there is no green default-branch build to compare with */
  baseline: string | null
  rows: MetricTableRow[]
  /** rows left out past the cap */
  more: number
}

const MAX_ROWS = 30
const fmt = (n: number | null) => (n === null ? '–' : String(Number(n.toPrecision(6))))
const signed = (n: number | null) => (n === null ? '–' : n > 0 ? `+${fmt(n)}` : fmt(n))

export function metricTable(v: Verdict, maxRows = MAX_ROWS): MetricTable {
  const rows = v.results.map((r: MetricResult): MetricTableRow => ({
    metric: r.name,
    value: r.value === null ? (r.pass === false ? 'missing/invalid' : '–') : fmt(r.value),
    threshold: r.threshold ?? '–',
    baseline: fmt(r.baseline),
    delta: signed(r.delta),
    status: r.pass === null ? '–' : r.pass ? 'pass' : 'FAIL',
    reason: r.reason,
  }))
  const b = v.baseline
  return {
    pass: v.pass,
    baseline: b
      ? `${b.branch}${b.commitSha ? ` @ ${b.commitSha.slice(0, 10)}` : ''}${b.buildNumber !== null ? ` (#${b.buildNumber})` : ''}`
      : null,
    rows: rows.slice(0, maxRows),
    more: Math.max(0, rows.length - maxRows),
  }
}

const HEAD = ['metric', 'value', 'threshold', 'default branch', 'delta', 'result'] as const
const cells = (r: MetricTableRow) => [r.metric, r.value, r.threshold, r.baseline, r.delta, r.status]

/** Plain text, columns padded (mail's text part). */
export function metricTableText(t: MetricTable): string[] {
  const all = [[...HEAD], ...t.rows.map(cells)]
  const widths = HEAD.map((_, i) => Math.min(40, Math.max(...all.map((row) => row[i]!.length))))
  const line = (row: string[]) =>
    row
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  const out = [
    `Metric gate: ${t.pass ? 'passed' : 'FAILED'}${t.baseline ? ` (compared with ${t.baseline})` : ''}`,
    ...all.map(line),
  ]
  for (const r of t.rows) if (r.status === 'FAIL' && r.reason) out.push(`  - ${r.reason}`)
  if (t.more > 0) out.push(`  … and ${t.more} more metrics`)
  return out
}

/**
 * A cell of a GitHub-flavoured Markdown table: `|` and emphasis, code and link marks escaped, `<` as an entity (no
 * HTML tag can open), line breaks flattened (https://github.github.com/gfm/#tables-extension-).
 */
const md = (s: string) =>
  s
    .replace(/[\\`*_[\]|]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/[\r\n]+/g, ' ')

/** GitHub-flavoured Markdown (the PR comment, Markdown chat). */
export function metricTableMarkdown(t: MetricTable): string {
  const lines = [
    `**Metric gate: ${t.pass ? 'passed' : 'failed'}**${t.baseline ? ` (compared with ${md(t.baseline)})` : ''}`,
    '',
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...t.rows.map(
      (r) =>
        `| ${cells(r)
          .map((c, i) => (i === 5 ? (c === 'FAIL' ? '❌ fail' : c === 'pass' ? '✅ pass' : c) : md(c)))
          .join(' | ')} |`,
    ),
  ]
  const reasons = t.rows.filter((r) => r.status === 'FAIL' && r.reason).map((r) => `- ${md(r.reason!)}`)
  if (reasons.length > 0) lines.push('', ...reasons)
  if (t.more > 0) lines.push('', `… and ${t.more} more metrics`)
  return lines.join('\n')
}

/** One line per metric for chat cards (Teams facts, Google Chat widgets): `0.785 · drop <= 0.01 · … · FAIL`. */
export function metricTableFacts(t: MetricTable): { title: string; value: string }[] {
  return t.rows.map((r) => ({
    title: r.metric,
    value: [
      r.value,
      r.threshold === '–' ? null : r.threshold,
      r.baseline === '–' ? null : `default branch ${r.baseline}`,
      r.delta === '–' ? null : `Δ ${r.delta}`,
      r.status === '–' ? null : r.status,
    ]
      .filter((x) => x !== null)
      .join(' · '),
  }))
}

/** Every string of the table through `mask` (metric names and reasons come from the repository). */
export function maskMetricTable(t: MetricTable, mask: (s: string) => string): MetricTable {
  return {
    ...t,
    baseline: t.baseline === null ? null : mask(t.baseline),
    rows: t.rows.map((r) => ({
      ...r,
      metric: mask(r.metric),
      threshold: mask(r.threshold),
      reason: r.reason === null ? null : mask(r.reason),
    })),
  }
}
