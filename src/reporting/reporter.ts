// The reporter (issue #13): turns builds into commit statuses and the living PR comment, stored as
// outbox entries (the decision) and posted by outbox.ts, in passes like the notifier. It is woken
// with the id of a build whose state changed (compose/: the buildChanged signal) and also scans
// the active and latest builds now and then, which finds what a missed signal or a restart left,
// and times out builds that never end. It never blocks the pipeline: it only reads builds.
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Config } from '../config/schema.js'
import type { PushDiff } from '../diffs/model.js'
import type { PullRequestEvent, TamerEvent } from '../events/model.js'
import type { DiffLinks } from '../links/diff-links.js'
import { COMMENT_LIMITS, type CommitStatus } from '../providers/outbound.js'
import { secretValues } from '../security/secrets.js'
import { ACTIVE_BUILD_STATES, type BuildRecord, type TamerStore } from '../store/builds.js'
import type { HostPostStore, NewHostPost } from '../store/host-posts.js'
import { serialPasses } from '../work/passes.js'
import { realTimers, type Timers } from '../work/timers.js'
import { commentBody } from './comment.js'
import type { SignoffStore } from '../store/signoffs.js'
import type { MetricsStore } from '../store/metrics.js'
import type { Verdict } from '../metrics/evaluate.js'
import { parityMarkdown } from '../parity/lines.js'
import { paritySummary, type ParityResult } from '../parity/result.js'
import { metricTable, metricTableMarkdown } from '../metrics/table.js'
import { signoffLine } from '../notify/signoff-state.js'
import { DESCRIPTION_BUDGET, failed, statusOf, statusVersion } from './decide.js'
import type { HostRegistry } from './hosts.js'
import { sendHostPost, type PostDeps } from './outbox.js'
import type { LeaseKeeper } from '../store/lease-keeper.js'
import type { WorkLeaseStore } from '../store/leases.js'

export type ReportingStore = TamerStore &
  HostPostStore &
  Pick<SignoffStore, 'signoffsOfBuild'> &
  Pick<MetricsStore, 'latestMetricReport' | 'latestParityReport'> &
  WorkLeaseStore

/** The notebook diff a build's commit brought (null: none, or not a notebook change). */
export interface NotebookDiffSource {
  diffOf(build: BuildRecord, event: TamerEvent): Promise<PushDiff | null>
}

export interface ReporterDeps {
  config: Config
  store: ReportingStore
  hosts: HostRegistry
  links: DiffLinks
  notebookDiffs: NotebookDiffSource
  logger: Logger
  now?: () => number
  timers?: Timers
  /** With real timers, active builds are also looked at this often (time-outs, missed signals). */
  scanEveryMs?: number
  /** Told after each post to a git host (src/reporting/outbox.ts); for /metrics. */
  posted?: PostDeps['posted']
  /** This replica's leases: on shared work (PostgreSQL) posts are claimed, so one replica posts each. */
  leases?: LeaseKeeper
}

export interface Reporter {
  start(): Promise<void>
  /** A build's state changed (or anything: no id scans). */
  wake(buildId?: string): void
  drain(): Promise<void>
  stop(): Promise<void>
}

const DIFF_CONTEXT = 'tamer/notebook-diff'
const METRICS_CONTEXT = 'tamer/metrics'
/** Its own status, like tamer/metrics: a branch protection rule can require it by name. */
const PARITY_CONTEXT = 'tamer/parity'

/** The metric gate in a status description: `Metric gate passed: auc 0.81 (main 0.8, +0.01)` or the first failure. */
function metricsDescription(v: Verdict): string {
  const text = v.pass
    ? `Metric gate passed: ${v.results
        .filter((r) => r.threshold !== null && r.value !== null)
        .map((r) => `${r.name} ${Number(r.value!.toPrecision(4))}`)
        .join(', ')}`
    : `Metric gate failed: ${v.reasons.join('; ')}`
  return text.length > DESCRIPTION_BUDGET ? `${text.slice(0, DESCRIPTION_BUDGET - 1)}…` : text
}

function notebookCount(d: PushDiff): number {
  return d.files.filter((f) => f.kind === 'notebook' || (f.kind === 'note' && f.reason === 'time-limit')).length
}

export function createReporter(deps: ReporterDeps): Reporter {
  const { config, store, hosts, logger } = deps
  const now = deps.now ?? Date.now
  const timers = deps.timers ?? realTimers
  const r = config.reporting
  const timeoutMs = r.timeoutHours * 3_600_000
  const sender: PostDeps = {
    store,
    hosts,
    now,
    logger,
    secrets: secretValues(config),
    retryBaseMs: r.retryBaseMs,
    retryMaxMs: r.retryMaxMs,
    maxAttempts: r.maxAttempts,
    posted: deps.posted,
  }
  const scanEveryMs = deps.scanEveryMs ?? (deps.timers ? null : 30_000)
  const dirty = new Set<string>()
  let scanDue = true
  const warned = new Set<string>()
  // A build decided at this updatedAt needs no second look unless it is active (it may time out):
  // the scans then cost what changed, not every diff lookup of the latest 100 builds.
  const decided = new Map<string, string>()
  let timer: unknown = null
  let stopped = false

  const commentMode = (b: BuildRecord) => config.rules.find((x) => (x.name ?? x.job) === b.rule)?.comment ?? r.comment

  async function eventOf(b: BuildRecord): Promise<TamerEvent | null> {
    const d = await store.getDelivery(b.deliveryId)
    return d?.normalized.kind === 'events' ? (d.normalized.events[b.eventIndex] ?? null) : null
  }

  async function decide(b: BuildRecord): Promise<NewHostPost[]> {
    if (!b.repository || !b.commitSha) return []
    const target = hosts.clientFor(b.provider, b.tenant, b.repository)
    if (!target) {
      const key = `${b.provider}:${b.repository}`
      if (!warned.has(key)) {
        warned.add(key)
        logger.warn(
          { provider: b.provider, repository: b.repository },
          'no reporting.hosts entry covers this repository: its commit statuses and PR comment are skipped',
        )
      }
      return []
    }
    const entry = (kind: 'status' | 'comment', t: string, version: number, payload: unknown): NewHostPost => ({
      id: randomUUID(),
      buildId: b.id,
      tenant: b.tenant,
      provider: b.provider,
      repository: b.repository!,
      kind,
      target: t,
      version,
      payload,
      credential: target.credential,
    })
    const out: NewHostPost[] = []
    const s = statusOf(b, now(), timeoutMs)
    if (!s) return []
    // Read back only for a repository with a host to post to (a burst of builds read every delivery, issue #12).
    const event = await eventOf(b)
    const status: CommitStatus = {
      repository: b.repository,
      sha: b.commitSha,
      context: `tamer/${b.rule}`,
      state: s.state,
      description: s.description,
      targetUrl: b.buildUrl,
      ref: b.branch,
    }
    out.push(entry('status', `${b.commitSha} ${status.context}`, statusVersion(b, s.rank), status))

    // The metric gate's verdict as its own status (issue #15 item 5), a new version per report.
    const metrics = await store.latestMetricReport(b.id).catch(() => null)
    if (metrics) {
      const v = metrics.verdict as Verdict
      out.push(
        entry('status', `${b.commitSha} ${METRICS_CONTEXT}`, metrics.seq, {
          ...status,
          context: METRICS_CONTEXT,
          state: metrics.pass ? ('success' as const) : ('failure' as const),
          description: metricsDescription(v),
        }),
      )
    }

    // The dev/prod parity result as its own status (issue #15 item 3), a new version per report.
    const parity = await store.latestParityReport(b.id).catch(() => null)
    if (parity) {
      const summary = paritySummary(parity.result as ParityResult)
      out.push(
        entry('status', `${b.commitSha} ${PARITY_CONTEXT}`, parity.seq, {
          ...status,
          context: PARITY_CONTEXT,
          state: parity.pass ? ('success' as const) : ('failure' as const),
          description: summary.length > DESCRIPTION_BUDGET ? `${summary.slice(0, DESCRIPTION_BUDGET - 1)}…` : summary,
        }),
      )
    }

    const diff = event ? await deps.notebookDiffs.diffOf(b, event).catch(() => null) : null
    const link = deps.links.urlFor(b.deliveryId)
    if (diff && notebookCount(diff) > 0 && link) {
      const n = notebookCount(diff)
      const diffStatus = {
        ...status,
        context: DIFF_CONTEXT,
        state: 'success' as const,
        description: `${n} notebook${n === 1 ? '' : 's'} changed: open the notebook diff`,
        targetUrl: link,
      }
      // One per commit: the first delivery's diff page is as good as a later one's.
      out.push(entry('status', `${b.commitSha} ${DIFF_CONTEXT}`, 1, diffStatus))
    }

    if (b.pullRequest !== null && event?.kind === 'pull_request') {
      const siblings = (await store.listBuilds({ deliveryId: b.deliveryId, limit: 200 })).filter(
        (x) => x.eventIndex === b.eventIndex,
      )
      const visible = siblings.filter((x) => commentMode(x) !== 'off')
      let shown = visible.filter((x) => commentMode(x) === 'always' || failed(x))
      // `comment: failure` opens the comment on a failure; once it exists it follows every later build,
      // or a pull request fixed since would go on showing the failure.
      if (shown.length < visible.length) {
        const commented = await store.newestHostPostVersion(b.provider, b.repository, `pr:${b.pullRequest}`)
        if (commented !== null) shown = visible
      }
      shown.sort((x, y) => x.seq - y.seq)
      if (shown.length > 0) {
        const pr = event as PullRequestEvent
        // Each sign-off decision changes the comment: it counts as progress, so the new body is posted.
        const signoffs = (await Promise.all(shown.map((x) => store.signoffsOfBuild(x.id)))).flat()
        const decisions = signoffs.reduce((n, s) => n + s.parties.filter((p) => p.decision !== null).length, 0)
        const tables = await Promise.all(shown.map((x) => store.latestMetricReport(x.id).catch(() => null)))
        const parities = await Promise.all(shown.map((x) => store.latestParityReport(x.id).catch(() => null)))
        const body = commentBody({
          pr: { number: pr.number, title: pr.title, source: pr.source.branch, target: pr.target.branch },
          sha: b.commitSha,
          builds: shown,
          diff,
          diffLink: link,
          limit: target.client.commentLimit ?? COMMENT_LIMITS[b.provider],
          now: now(),
          timeoutMs,
          signoffs: signoffs.map(signoffLine),
          metrics: [
            ...tables.flatMap((r) => (r ? [metricTableMarkdown(metricTable(r.verdict as Verdict))] : [])),
            ...parities.flatMap((r) => (r ? [parityMarkdown(r.result as ParityResult)] : [])),
          ],
        })
        // Later deliveries outrank earlier ones; within one, every step of every build counts.
        const first = Math.min(...siblings.map((x) => x.seq))
        const progress =
          siblings.reduce((sum, x) => sum + (statusOf(x, now(), timeoutMs)?.rank ?? 0), 0) +
          decisions +
          tables.filter((r) => r !== null).length +
          parities.filter((r) => r !== null).length
        out.push(
          entry('comment', `pr:${b.pullRequest}`, first * 4096 + progress, {
            pr: { repository: b.repository, number: b.pullRequest },
            body,
          }),
        )
      }
    }
    return out
  }

  const leases = deps.leases && store.sharedWork ? deps.leases : null
  let swept = now()
  /** Shared work: posts left `sending` by a replica that died are pending again once its lease ended. */
  const claimPosts = async (keeper: LeaseKeeper) => {
    if (now() - swept >= keeper.leaseMs) {
      swept = now()
      const resumed = await store.resumeInterruptedHostPosts(now())
      if (resumed > 0) logger.warn({ count: resumed }, 'posts interrupted by a replica that stopped are posted again')
    }
    return store.claimDueHostPosts(keeper.lease(), 50)
  }

  async function pass(): Promise<number> {
    let done = 0
    const ids = [...dirty]
    dirty.clear()
    // One read for all: on PostgreSQL one statement, not a round trip per build changed (issue #16).
    const builds = await store.getBuilds(ids)
    if (scanDue) {
      scanDue = false
      builds.push(...(await store.activeBuilds()), ...(await store.listBuilds({ limit: 100 })))
    }
    const seen = new Set<string>()
    for (const b of builds) {
      if (seen.has(b.id)) continue
      seen.add(b.id)
      if (!ACTIVE_BUILD_STATES.includes(b.state) && decided.get(b.id) === b.updatedAt) continue
      try {
        const posts = await decide(b)
        if (posts.length > 0) done += await store.recordHostPosts(posts)
        if (decided.size > 10_000) decided.clear()
        decided.set(b.id, b.updatedAt)
      } catch (err) {
        logger.error({ err, buildId: b.id }, 'status decision failed')
      }
    }
    const { due, nextAt } = leases ? await claimPosts(leases) : await store.dueHostPosts(now(), 50)
    // One at a time: posts of one commit keep their order, and a host's rate limits are kinder to it.
    for (const p of due) {
      try {
        await sendHostPost(sender, p)
      } finally {
        if (leases)
          await store
            .releaseWork('host-post', p.id, leases.owner)
            .catch((err: unknown) => logger.warn({ err }, 'lease'))
      }
    }
    done += due.length
    if (timer !== null) timers.clear(timer)
    timer = null
    if (!stopped) {
      const next = Math.min(nextAt ?? Infinity, scanEveryMs === null ? Infinity : now() + scanEveryMs)
      if (Number.isFinite(next))
        timer = timers.set(
          () => {
            timer = null
            if (next !== nextAt) scanDue = true
            wake()
          },
          Math.max(0, next - now()),
        )
    }
    return done
  }

  const passes = serialPasses(
    pass,
    (err) => logger.error({ err }, 'reporter pass failed'),
    () => stopped,
  )

  // With no reporting.hosts nothing is posted for any build: a changed build is not read back (one read per step
  // of a burst, ~4 % of it, issue #12). The scans still run (posts queued under an earlier config are sent).
  const posts = r.hosts.length > 0

  function wake(buildId?: string): void {
    if (stopped) return
    if (buildId && !posts) return
    if (buildId) dirty.add(buildId)
    else scanDue = true
    void passes.run()
  }

  return {
    async start() {
      const resumed = await store.resumeInterruptedHostPosts(now())
      if (resumed > 0) logger.warn({ count: resumed }, 'posts interrupted by a restart are posted again')
      wake()
    },
    wake,
    async drain() {
      for (let round = 0; round < 1000; round++) {
        await passes.current()
        scanDue = true
        if ((await passes.run()) === 0 && !passes.current()) return
      }
      throw new Error('bug: the reporter did not settle in 1000 passes')
    },
    async stop() {
      stopped = true
      if (timer !== null) timers.clear(timer)
      timer = null
      await passes.current()
    },
  }
}
