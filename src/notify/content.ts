// Builds the neutral notice for a finished build from what the store holds: the build, the
// branch's builds since it was last green and the pushes that started them.
import type { Commit, PushEvent, TamerEvent } from '../events/model.js'
import type { BuildRecord } from '../store/builds.js'
import type { NoticeOutcome } from '../store/notifications.js'
import type { StoredDelivery } from '../store/store.js'
import { maskSecrets } from '../security/secrets.js'
import { logExcerpt } from './mask.js'
import { oneLine, type MetricGateValue, type Notice, type NoticeCommit } from './model.js'
import type { NotebookSummaryTexts } from './notebook-summary.js'
import { branchOf } from './outcome.js'
import { safeHref } from './render/html-escape.js'
import type { Verdict } from '../metrics/evaluate.js'
import { parityText } from '../parity/lines.js'
import type { ParityResult } from '../parity/result.js'
import { maskMetricTable, metricTable } from '../metrics/table.js'

const MAX_COMMITS = 20
const MAX_FAILED_TESTS = 20

export interface NoticeInput {
  build: BuildRecord
  outcome: NoticeOutcome
  /** the last green build of the branch, if any */
  lastGreen: BuildRecord | null
  /** earlier builds since then, oldest first; this build is added at the end */
  sinceGreen: BuildRecord[]
  /** the stored deliveries of those builds, by id */
  deliveries: ReadonlyMap<string, StoredDelivery>
  secrets: readonly string[]
  logLines: number
  notebookSummary: NotebookSummaryTexts | null
  /** A signed link to a delivery's diff page (null when links are not configured), for builds without DIFF_URL */
  diffLink(deliveryId: string): string | null
  /** Tamer's verdict on the build's metrics, if its gate reported any (src/metrics/gate.ts). */
  metricVerdict?: Verdict | null
  /** The build's sign-off state, one line each (issue #15). */
  signoffs?: string[]
  /** The dev/prod parity result, if the build's parity stage reported one (issue #15 item 3). */
  parity?: ParityResult | null
  /** The metric chart of the build's branch, when its gate reported metrics. */
  chartSvg?: string | null
}

export function eventOf(b: BuildRecord, deliveries: ReadonlyMap<string, StoredDelivery>): TamerEvent | null {
  const d = deliveries.get(b.deliveryId)
  if (!d || d.normalized.kind !== 'events') return null
  return d.normalized.events[b.eventIndex] ?? null
}

export function pushOf(b: BuildRecord, deliveries: ReadonlyMap<string, StoredDelivery>): PushEvent | null {
  const e = eventOf(b, deliveries)
  return e?.kind === 'push' ? e : null
}

/** Commits of the range, newest first, each once (a force-push can repeat them). */
export function rangeCommits(
  builds: readonly BuildRecord[],
  deliveries: ReadonlyMap<string, StoredDelivery>,
): Commit[] {
  const seen = new Set<string>()
  const out: Commit[] = []
  for (const b of [...builds].reverse()) {
    const push = pushOf(b, deliveries)
    for (const c of [...(push?.commits ?? [])].reverse()) {
      if (seen.has(c.id)) continue
      seen.add(c.id)
      out.push(c)
    }
  }
  return out
}

const personName = (p: { name: string | null; username: string | null; email: string | null }) =>
  p.name || p.username || p.email || 'unknown'

function noticeCommit(c: Commit): NoticeCommit {
  return {
    id: c.id,
    author: oneLine(personName(c.author), 100),
    email: c.author.email,
    message: oneLine(c.message.split('\n')[0] ?? '', 200),
    url: safeHref(c.url),
  }
}

const METRIC_LINE = /^\s*(\S+)\s+(\S+)\s+min=(\S+)\s+max=(\S+)\s+(ok|FAIL)\s*$/
const none = (v: string) => (v === 'None' || v === 'null' ? null : v)

/** The data-science template's metric gate prints `name value min=… max=… ok|FAIL` per metric. */
export function metricGateValues(log: string): MetricGateValue[] {
  const out = new Map<string, MetricGateValue>()
  for (const line of log.split('\n')) {
    const m = METRIC_LINE.exec(line)
    if (m) out.set(m[1]!, { name: m[1]!, value: m[2]!, min: none(m[3]!), max: none(m[4]!), ok: m[5] === 'ok' })
  }
  return [...out.values()].slice(0, 30)
}

/**
 * pytest's short summary (`FAILED tests/test_x.py::test_y - …`). A fallback only, for a build without a JUnit
 * report (a template that publishes none, or a row recorded before Tamer read the report): failedTests.
 */
export function failedTestNames(log: string): string[] {
  const out = new Set<string>()
  for (const line of log.split('\n')) {
    const m = /^(?:\S+\s+)?FAILED\s+(\S+::\S+)/.exec(line)
    if (m) out.add(oneLine(m[1]!, 200))
  }
  return [...out].slice(0, MAX_FAILED_TESTS)
}

/** The failed tests of the build's JUnit report (`name: first error line`); the log's summary only without one. */
function failedTests(b: BuildRecord, maskedLog: string, secrets: readonly string[]): string[] {
  const failures = b.tests?.failures
  if (!failures) return failedTestNames(maskedLog)
  return failures
    .slice(0, MAX_FAILED_TESTS)
    .map((f) => oneLine(maskSecrets(f.error ? `${f.name}: ${f.error}` : f.name, secrets), 300))
}

export function buildNotice(i: NoticeInput): Notice {
  const b = i.build
  const builds = [...i.sinceGreen, b]
  const commits = rangeCommits(builds, i.deliveries)
  const push = pushOf(b, i.deliveries)
  const firstPush = builds.map((x) => pushOf(x, i.deliveries)).find((p) => p !== null) ?? null
  const event = eventOf(b, i.deliveries)
  // Parsed from the whole stored tail, masked first: a metric or test name is no place for a secret either.
  const fullLog = maskSecrets(b.logTail ?? '', i.secrets)
  // Only signed links: an unsigned /diffs URL would answer 401 to whoever reads the notice.
  const diffUrl = safeHref(b.parameters.DIFF_URL || (push ? i.diffLink(b.deliveryId) : null))
  return {
    outcome: i.outcome,
    tenant: b.tenant,
    repository: b.repository ?? event?.repository.fullName ?? '(unknown repository)',
    branch: branchOf(b),
    job: b.job,
    buildNumber: b.buildNumber,
    buildUrl: safeHref(b.buildUrl),
    result: b.result ?? 'UNKNOWN',
    durationMs: b.durationMs,
    failingStage: b.failingStage ? oneLine(b.failingStage, 100) : null,
    range: {
      from: i.lastGreen?.commitSha || firstPush?.before || null,
      to: b.commitSha || push?.after || null,
    },
    commits: commits.slice(0, MAX_COMMITS).map(noticeCommit),
    moreCommits: Math.max(0, commits.length - MAX_COMMITS),
    pusher: push
      ? oneLine(personName(push.pusher), 100)
      : event?.kind === 'pull_request'
        ? oneLine(personName(event.author), 100)
        : null,
    logExcerpt: i.outcome === 'fixed' ? '' : logExcerpt(b.logTail, i.logLines, i.secrets),
    tests: b.tests,
    failedTests: failedTests(b, fullLog, i.secrets),
    metrics: i.metricVerdict ? [] : metricGateValues(fullLog),
    metricTable: i.metricVerdict
      ? maskMetricTable(metricTable(i.metricVerdict), (s) => maskSecrets(s, i.secrets))
      : null,
    signoffs: i.signoffs ?? [],
    parity: i.parity ? parityText(i.parity).map((l) => maskSecrets(l, i.secrets)) : null,
    chartSvg: i.metricVerdict ? (i.chartSvg ?? null) : null,
    notebookSummary: i.notebookSummary ? maskSecrets(i.notebookSummary.markdown, i.secrets) : null,
    notebookSummaryText: i.notebookSummary ? maskSecrets(i.notebookSummary.text, i.secrets) : null,
    diffUrl,
  }
}

/** Who changed the branch since it was green: commit authors, newest first; plus the pusher. */
export function culpritAddresses(i: Pick<NoticeInput, 'build' | 'sinceGreen' | 'deliveries'>): string[] {
  const builds = [...i.sinceGreen, i.build]
  const out = rangeCommits(builds, i.deliveries).map((c) => c.author.email ?? '')
  for (const b of builds) {
    const e = eventOf(b, i.deliveries)
    if (e?.kind === 'pull_request' && e.author.email) out.push(e.author.email)
  }
  return out.filter(Boolean)
}

export function pusherAddress(b: BuildRecord, deliveries: ReadonlyMap<string, StoredDelivery>): string | null {
  return pushOf(b, deliveries)?.pusher.email ?? null
}
