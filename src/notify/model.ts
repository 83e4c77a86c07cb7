// The neutral notice every channel formats: what broke, who broke it, what changed.
// Built once from the store (content.ts); channels only format it.
import type { TestCounts } from '../store/builds.js'
import type { NoticeOutcome } from '../store/notifications.js'
import type { MetricTable } from '../metrics/table.js'

export type { NoticeOutcome }

export interface NoticeCommit {
  id: string
  author: string
  email: string | null
  /** first line only, at most 200 characters */
  message: string
  url: string | null
}

/** One line of the data-science template's metric gate (`name value min=… max=… ok|FAIL`). */
export interface MetricGateValue {
  name: string
  value: string
  min: string | null
  max: string | null
  ok: boolean
}

export interface Notice {
  outcome: NoticeOutcome
  tenant: string
  repository: string
  branch: string | null
  job: string
  buildNumber: number | null
  buildUrl: string | null
  result: string
  durationMs: number | null
  failingStage: string | null
  /** the last green build's commit (or the first push's base) … this build's commit */
  range: { from: string | null; to: string | null }
  /** newest first, at most 20 */
  commits: NoticeCommit[]
  /** commits in the range beyond those listed */
  moreCommits: number
  pusher: string | null
  /** trimmed, masked, bounded */
  logExcerpt: string
  tests: TestCounts | null
  failedTests: string[]
  metrics: MetricGateValue[]
  /** Tamer's verdict on the build's metrics (issue #15); when present, `metrics` (parsed from the log) is empty. */
  metricTable?: MetricTable | null
  /** The deployment's sign-off state, one line per sign-off: who approved when, who is waited on (issue #15). */
  signoffs?: string[]
  /** The dev/prod parity result as lines, headline first (src/parity/lines.ts; issue #15 item 3). */
  parity?: string[] | null
  /** The build's metric chart (SVG, src/metrics/chart.ts): mail attaches it as an inline PNG next to the table. */
  chartSvg?: string | null
  /** Markdown from the notebook diff, when there is one (chat) */
  notebookSummary: string | null
  /** The same as plain text (a mail's text part, Google Chat's card) */
  notebookSummaryText: string | null
  diffUrl: string | null
  /** A made-up sample from `tamer notify test`: every channel marks its title and says so first. */
  test?: boolean
}

/** What a test notice says before anything else, on every channel. */
export const TEST_NOTICE_NOTE =
  'This is a test from tamer notify test, to check this channel. The build below is a made-up sample: nothing failed.'

const OUTCOME_WORDS: Record<NoticeOutcome, string> = {
  'first-failure': 'failed',
  'still-failing': 'is still failing',
  fixed: 'is fixed',
  unstable: 'is unstable',
  aborted: 'was aborted',
}

/**
 * e.g. `acme-ds/churn-model main failed: ds/churn-model/main #7 (Unit tests)`; one line, bounded. A test starts
 * `[TEST]`.
 */
export function headline(n: Notice): string {
  const mark = n.test ? '[TEST] ' : ''
  const where = `${n.repository}${n.branch ? ` ${n.branch}` : ''}`
  const build = `${n.job}${n.buildNumber !== null ? ` #${n.buildNumber}` : ''}`
  const stage = n.failingStage && n.outcome !== 'fixed' ? ` (${n.failingStage})` : ''
  return oneLine(`${mark}${where} ${OUTCOME_WORDS[n.outcome]}: ${build}${stage}`, 250)
}

export function oneLine(s: string, max: number): string {
  const flat = s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

export function formatDuration(ms: number | null): string | null {
  if (ms === null) return null
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${s % 60} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

export const shortSha = (sha: string | null) => (sha ? sha.slice(0, 7) : '')

/** Facts as label/value pairs, in the order every channel shows them. */
export function facts(n: Notice): [string, string][] {
  const out: [string, string][] = [
    ['Repository', n.repository],
    ['Branch', n.branch ?? '(none)'],
    ['Result', n.result],
  ]
  const d = formatDuration(n.durationMs)
  if (d) out.push(['Duration', d])
  if (n.failingStage) out.push(['Failing stage', n.failingStage])
  if (n.range.to)
    out.push(['Commits', n.range.from ? `${shortSha(n.range.from)}…${shortSha(n.range.to)}` : shortSha(n.range.to)])
  if (n.tests) out.push(['Tests', `${n.tests.total} run, ${n.tests.failed} failed, ${n.tests.skipped} skipped`])
  if (n.pusher) out.push(['Pushed by', n.pusher])
  return out
}
