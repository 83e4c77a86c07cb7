// The one living PR comment (issue #13): found again by its hidden marker and updated in place.
// The latest build per rule with its result, failing stage, tests and link, then the notebook
// diff summary (src/diffs/summary.ts), cut to the host's comment limit on a line (cell) boundary
// with a link to the full HTML diff. Everything that came from a push or PR is escaped.
import { renderPushSummaryMarkdown } from '../diffs/summary.js'
import type { PushDiff } from '../diffs/model.js'
import type { BuildRecord } from '../store/builds.js'
import { statusOf } from './decide.js'
import { escapeMarkdown } from './escape.js'

export const COMMENT_MARKER = '<!-- tamer:pr-comment -->'

export interface CommentInput {
  pr: { number: number; title: string | null; source: string | null; target: string | null }
  sha: string | null
  /** The latest build per rule, in rule order. */
  builds: BuildRecord[]
  diff: PushDiff | null
  /** The signed link to the full diff page (null: links not configured). */
  diffLink: string | null
  /** The host's comment limit in characters. */
  limit: number
  now: number
  timeoutMs: number
  /** The shown builds' metric tables, Markdown already escaped (metrics/table.ts metricTableMarkdown; #15). */
  metrics?: string[]
  /** The shown builds' sign-off state, one line each (src/notify/signoff-state.ts; issue #15). */
  signoffs?: string[]
}

const ICON: Record<string, string> = {
  success: '✅',
  failure: '❌',
  error: '⚠️',
  cancelled: '⏹️',
  running: '🔄',
  pending: '⏳',
}

function row(b: BuildRecord, now: number, timeoutMs: number): string {
  const s = statusOf(b, now, timeoutMs)
  const state = s ? `${ICON[s.state] ?? ''} ${s.state}` : 'recorded'
  const tests = b.tests ? `${b.tests.total - b.tests.failed - b.tests.skipped} passed, ${b.tests.failed} failed` : ''
  const link = b.buildUrl && /^https?:\/\//.test(b.buildUrl) ? `[#${b.buildNumber ?? 'build'}](<${b.buildUrl}>)` : ''
  return `| ${escapeMarkdown(b.rule)} | ${state} | ${b.failingStage ? escapeMarkdown(b.failingStage) : ''} | ${tests} | ${link} |`
}

/** Failed tests shown per build; the rest are counted. */
const FAILED_TESTS_SHOWN = 10

/** The failed tests of the builds' JUnit reports: name and first error line, escaped (test output is anyone's text). */
function failedTests(builds: readonly BuildRecord[]): string[] {
  const out: string[] = []
  for (const b of builds) {
    const failures = b.tests?.failures ?? []
    if (failures.length === 0) continue
    out.push(`**Failed tests (${escapeMarkdown(b.rule)})**`, '')
    for (const f of failures.slice(0, FAILED_TESTS_SHOWN))
      out.push(`- ${escapeMarkdown(f.name)}${f.error ? `: ${escapeMarkdown(f.error)}` : ''}`)
    const more = (b.tests?.failed ?? 0) - Math.min(failures.length, FAILED_TESTS_SHOWN)
    if (more > 0) out.push(`- and ${more} more`)
    out.push('')
  }
  return out
}

export function commentBody(c: CommentInput): string {
  const title = c.pr.title ? ` ${escapeMarkdown(c.pr.title)}` : ''
  const branches =
    c.pr.source && c.pr.target ? `\`${c.pr.source.replace(/`/g, "'")}\` → \`${c.pr.target.replace(/`/g, "'")}\`` : ''
  const head = [
    COMMENT_MARKER,
    `### Tamer: #${c.pr.number}${title}`,
    `${branches}${c.sha ? ` at \`${c.sha.slice(0, 12)}\`` : ''}`,
    '',
    '| rule | result | failing stage | tests | build |',
    '|---|---|---|---|---|',
    ...c.builds.map((b) => row(b, c.now, c.timeoutMs)),
    '',
    ...failedTests(c.builds),
    ...(c.metrics ?? []).flatMap((m) => [m, '']),
    ...(c.signoffs?.length ? ['**Sign-off**', '', ...c.signoffs.map((l) => `- ${escapeMarkdown(l)}`), ''] : []),
  ].join('\n')
  const linkLine = c.diffLink ? `\n[Full notebook diff](<${c.diffLink}>)\n` : ''
  if (!c.diff) return head + linkLine
  const budget = c.limit - head.length - linkLine.length - 200
  const summary = budget > 500 ? renderPushSummaryMarkdown(c.diff, { budget, perNotebook: 100_000 }) : ''
  return `${head}\n#### Notebooks\n\n${summary}${linkLine}`
}
